import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Access that one admin asks for and a second decides: a token for someone whose role moves money, and any change
/// of a user's role or jurisdiction. The same maker-checker as disbursement runs, in the service and in the schema
/// (Schema/008): the user or token exists only in the transaction that approved the request.
public struct AccessService: Sendable {
    /// The most requests one list returns.
    public static let listMax = 500

    let database: Database
    /// The server's token checks, forgotten when a role change stops tokens.
    let tokens: TokenService
    var logger: Logger { database.logger }

    public init(database: Database, tokens: TokenService) {
        self.database = database
        self.tokens = tokens
    }

    /// Requests, the oldest first; of one status when asked (`pending` is the queue of work).
    public func requests(status: AccessRequest.Status?, by principal: Principal) async throws -> [AccessRequest] {
        try principal.authorize(.decideAccess)
        return try await database.read { connection in
            try await AccessRequestRepository.list(status: status, on: connection, logger: logger)
        }
    }

    public func request(_ id: UUID, by principal: Principal) async throws -> AccessRequest {
        try principal.authorize(.decideAccess)
        guard
            let found = try await database.read({ connection in
                try await AccessRequestRepository.find(id, on: connection, logger: logger)
            })
        else { throw StoreError(.notFound, "no access request \(id.text)") }
        return found.request
    }

    /// Asks that a user's role (and jurisdiction) change; a second admin decides.
    public func requestRoleChange(_ change: RoleChange, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<AccessRequest>
    {
        try principal.authorize(.requestAccess)
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "requestRoleChange", request: change, principal: principal,
                on: connection, logger: logger
            ) {
                guard let user = try await UserRepository.find(subject: change.subject, on: connection, logger: logger)
                else { throw ValidationError(.unknownReference, at: "/subject", "no user \(change.subject)") }
                guard (user.role, user.jurisdiction) != (change.role.rawValue, change.jurisdiction) else {
                    throw StoreError(.conflict, "\(user.subject) already is \(user.role)")
                }
                return try await Self.ask(
                    .role, subject: user.subject, role: change.role, jurisdiction: change.jurisdiction,
                    lifetimeDays: nil, by: principal, on: connection, logger: logger)
            }
        }
    }

    /// Records a pending request (with its audit event) in the caller's transaction.
    static func ask(
        _ kind: AccessRequest.Kind, subject: String, role: Role, jurisdiction: String?, lifetimeDays: Int?,
        by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws -> AccessRequest {
        if let jurisdiction,
            try await JurisdictionRepository.select(code: jurisdiction, on: connection, logger: logger)
                .isEmpty
        {
            throw ValidationError(.unknownReference, at: "/jurisdiction", "no jurisdiction \(jurisdiction)")
        }
        if kind != .role, let user = try await UserRepository.find(subject: subject, on: connection, logger: logger),
            (user.role, user.jurisdiction) != (role.rawValue, jurisdiction)
        {
            throw StoreError(
                .conflict, "user \(user.subject) is \(user.role); a user keeps one role (ask for a role change)")
        }
        let id = UUID()
        try await AccessRequestRepository.insert(
            id: id, kind: kind, subject: subject, role: role, jurisdiction: jurisdiction, lifetimeDays: lifetimeDays,
            by: principal, on: connection, logger: logger)
        guard let stored = try await AccessRequestRepository.find(id, on: connection, logger: logger) else {
            preconditionFailure("access request \(id.text) vanished inside its own transaction")
        }
        try await AuditRepository.record(
            "access.requested", actor: principal.subject, payload: AccessEvent(stored.request), on: connection,
            logger: logger)
        return stored.request
    }

    /// Approves another admin's request and does what it asks, in the same transaction: issues the token (whose
    /// secret this response shows, once) or changes the role (the user's tokens are revoked).
    ///
    /// - Throws: ``MakerCheckerError`` when the caller asked for it; ``StoreError/Code/conflict`` once it is decided.
    public func approve(_ id: UUID, note: String?, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<AccessDecision>
    {
        try principal.authorize(.decideAccess)
        if let note { try Text.validate(note, at: "/reason", lengthMax: 500) }
        let secret = BearerToken.generate()
        let code = Secret.activationCode()
        let keyed = try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "approveAccess:\(id)", request: ["reason": note ?? ""],
                principal: principal, on: connection, logger: logger
            ) {
                let request = try await decide(id, .approved, reason: note, by: principal, on: connection)
                switch request.kind {
                case .person:
                    return AccessDecision(
                        request: request, token: nil,
                        activation: try await letIn(request, code: code, by: principal, on: connection))
                case .token:
                    let token = try await TokenService.insert(
                        try TokenRequest(
                            subject: request.subject, role: request.role.rawValue, jurisdiction: request.jurisdiction,
                            lifetimeDays: request.lifetimeDays),
                        secret: secret, actor: principal.subject, on: connection, logger: logger)
                    return AccessDecision(request: request, token: token)
                case .role:
                    try await changeRole(request, by: principal, on: connection)
                    return AccessDecision(request: request, token: nil)
                }
            }
        }
        tokens.forgetRecentlyChecked()
        guard !keyed.replayed else { return keyed }
        return Keyed(
            value: AccessDecision(
                request: keyed.value.request, token: keyed.value.token?.revealing(secret),
                activation: keyed.value.activation?.revealing(code)),
            replayed: false)
    }

    /// Creates the person a `person` request names, or gives the existing one a new activation code.
    private func letIn(
        _ request: AccessRequest, code: String, by principal: Principal, on connection: PostgresConnection
    )
        async throws -> ActivationCode
    {
        guard let user = try await UserRepository.find(subject: request.subject, on: connection, logger: logger) else {
            let new = try NewPerson(
                subject: request.subject, role: request.role.rawValue, jurisdiction: request.jurisdiction)
            return try await PeopleService.insert(
                new, code: code, actor: principal.subject, on: connection, logger: logger
            ).1
        }
        guard let person = try await PersonRepository.find(user.id, forUpdate: true, on: connection, logger: logger),
            person.deactivatedAt == nil, (person.role, person.jurisdiction) == (request.role, request.jurisdiction)
        else {
            throw StoreError(
                .conflict, "user \(request.subject) is no longer \(request.role.rawValue) or was deactivated")
        }
        return try await PeopleService.recode(
            person, code: code, actor: principal.subject, on: connection, logger: logger)
    }

    /// Rejects another admin's request, with a reason that is kept.
    public func reject(_ id: UUID, reason: String, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<AccessRequest>
    {
        try principal.authorize(.decideAccess)
        try Text.validate(reason, at: "/reason", lengthMax: 500)
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "rejectAccess:\(id)", request: ["reason": reason],
                principal: principal, on: connection, logger: logger
            ) {
                try await decide(id, .rejected, reason: reason, by: principal, on: connection)
            }
        }
    }

    /// Locks the request, checks it is someone else's and still pending, and records the decision and its event.
    private func decide(
        _ id: UUID, _ status: AccessRequest.Status, reason: String?, by principal: Principal,
        on connection: PostgresConnection
    ) async throws -> AccessRequest {
        guard
            let (request, requester) = try await AccessRequestRepository.find(
                id, forUpdate: true, on: connection, logger: logger)
        else { throw StoreError(.notFound, "no access request \(id.text)") }
        guard requester != principal.userID else {
            throw MakerCheckerError(
                detail: "\(principal.subject) asked for access request \(id.text) and may not decide it")
        }
        guard request.status == .pending else {
            throw StoreError(.conflict, "access request \(id.text) was already \(request.status.rawValue)")
        }
        try await AccessRequestRepository.decide(
            id, status, reason: reason, by: principal, on: connection, logger: logger)
        guard let decided = try await AccessRequestRepository.find(id, on: connection, logger: logger) else {
            preconditionFailure("access request \(id.text) vanished inside its own transaction")
        }
        try await AuditRepository.record(
            "access.\(status.rawValue)", actor: principal.subject, payload: AccessEvent(decided.request),
            on: connection, logger: logger)
        return decided.request
    }

    private func changeRole(_ request: AccessRequest, by principal: Principal, on connection: PostgresConnection)
        async throws
    {
        guard let user = try await UserRepository.find(subject: request.subject, on: connection, logger: logger) else {
            throw StoreError(.conflict, "user \(request.subject) no longer exists")
        }
        try await UserRepository.changeRole(
            of: user.id, to: request.role, jurisdiction: request.jurisdiction, on: connection, logger: logger)
        let revoked = try await TokenRepository.revokeAll(of: user.id, on: connection, logger: logger)
        try await AuditRepository.record(
            "user.role.changed", actor: principal.subject,
            payload: RoleChangedEvent(
                user: user.id, subject: user.subject, from: user.role, fromJurisdiction: user.jurisdiction,
                to: request.role.rawValue, toJurisdiction: request.jurisdiction, tokensRevoked: revoked,
                request: request.id),
            on: connection, logger: logger)
    }
}

struct AccessEvent: Encodable, Sendable {
    let id: UUID
    let kind: String
    let subject: String
    let role: String
    let jurisdiction: String?
    let lifetimeDays: Int?
    let status: String
    let reason: String?

    init(_ request: AccessRequest) {
        id = request.id
        kind = request.kind.rawValue
        subject = request.subject
        role = request.role.rawValue
        jurisdiction = request.jurisdiction
        lifetimeDays = request.lifetimeDays
        status = request.status.rawValue
        reason = request.reason
    }
}

struct RoleChangedEvent: Encodable, Sendable {
    let user: UUID
    let subject: String
    let from: String
    let fromJurisdiction: String?
    let to: String
    let toJurisdiction: String?
    let tokensRevoked: Int
    let request: UUID
}
