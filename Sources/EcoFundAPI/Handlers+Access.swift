import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// Tokens and access requests: translation only, the rules (who may ask, who may decide) live in ``TokenService``
/// and ``AccessService``.
extension Handlers {
    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try TokenRequest(
            subject: body.subject, role: body.role.rawValue, jurisdiction: body.jurisdiction,
            lifetimeDays: body.lifetimeDays)
        let issued = try await tokens.issue(
            request, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        switch issued.value {
        case .issued(let token):
            return .created(.init(headers: .init(cacheControl: .noStore), body: .json(Wire.token(token))))
        case .pending(let request):
            return .accepted(.init(body: .json(Wire.accessRequest(request))))
        }
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        try await tokens.revoke(id: try Wire.id(input.path.id), by: try RequestScope.caller())
        return .noContent(.init())
    }

    func listAccessRequests(_ input: Operations.ListAccessRequests.Input) async throws
        -> Operations.ListAccessRequests.Output
    {
        let status = input.query.status.map { Wire.accessStatus($0) }
        let requests = try await access.requests(status: status, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: requests.map(Wire.accessRequest)))))
    }

    func requestRoleChange(_ input: Operations.RequestRoleChange.Input) async throws
        -> Operations.RequestRoleChange.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let change = try RoleChange(subject: body.subject, role: body.role.rawValue, jurisdiction: body.jurisdiction)
        let requested = try await access.requestRoleChange(
            change, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .accepted(.init(body: .json(Wire.accessRequest(requested.value))))
    }

    func getAccessRequest(_ input: Operations.GetAccessRequest.Input) async throws -> Operations.GetAccessRequest.Output
    {
        let request = try await access.request(try Wire.id(input.path.id), by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.accessRequest(request))))
    }

    func approveAccessRequest(_ input: Operations.ApproveAccessRequest.Input) async throws
        -> Operations.ApproveAccessRequest.Output
    {
        let caller = try RequestScope.caller()
        var note: String?
        if case .json(let body) = input.body { note = body.reason }
        let decision = try await access.approve(
            try Wire.id(input.path.id), note: note, by: caller,
            idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .ok(
            .init(
                headers: .init(cacheControl: .noStore),
                body: .json(
                    .init(
                        request: Wire.accessRequest(decision.value.request),
                        token: decision.value.token.map(Wire.token),
                        activation: decision.value.activation.map {
                            .init(subject: $0.subject, expiresAt: $0.expiresAt, code: $0.code)
                        }))))
    }

    func rejectAccessRequest(_ input: Operations.RejectAccessRequest.Input) async throws
        -> Operations.RejectAccessRequest.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let rejected = try await access.reject(
            try Wire.id(input.path.id), reason: body.reason, by: caller,
            idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .ok(.init(body: .json(Wire.accessRequest(rejected.value))))
    }
}

extension Wire {
    static func accessRequest(_ request: AccessRequest) -> Components.Schemas.AccessRequest {
        .init(
            id: request.id.text, kind: accessKind(request.kind), subject: request.subject,
            role: role(request.role), jurisdiction: request.jurisdiction, lifetimeDays: request.lifetimeDays,
            requestedBy: request.requestedBy, requestedAt: request.requestedAt,
            status: accessStatus(request.status), decidedBy: request.decidedBy, decidedAt: request.decidedAt,
            reason: request.reason)
    }

    static func accessKind(_ kind: AccessRequest.Kind) -> Components.Schemas.AccessRequest.KindPayload {
        switch kind {
        case .token: .token
        case .role: .role
        case .person: .person
        }
    }

    static func accessStatus(_ status: AccessRequest.Status) -> Components.Schemas.AccessRequest.StatusPayload {
        switch status {
        case .pending: .pending
        case .approved: .approved
        case .rejected: .rejected
        }
    }

    static func accessStatus(_ status: Operations.ListAccessRequests.Input.Query.StatusPayload)
        -> AccessRequest.Status
    {
        switch status {
        case .pending: .pending
        case .approved: .approved
        case .rejected: .rejected
        }
    }
}
