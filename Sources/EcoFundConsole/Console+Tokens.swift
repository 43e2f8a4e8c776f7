import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// API tokens, for the systems that call `/v1`: the list, a new token (its secret shown once, here; one for a role
/// that moves money waits for a second admin, who sees the secret on approving), and revocation.
extension Console {
    func registerTokens(on router: Router<BasicRequestContext>) {
        router.get("tokens") { request, context in
            try await self.page(request, context) { visit in try await self.tokensPage(visit) }
        }
        router.post("tokens") { request, context in
            try await self.page(request, context) { visit in try await self.issueToken(visit) }
        }
        router.post("tokens/:id/revoke") { request, context in
            try await self.page(request, context) { visit in try await self.revokeToken(visit, id: try self.id(context))
            }
        }
    }

    func tokensPage(
        _ visit: Visit, input: [String: String] = [:], errors: [String: String] = [:], issued: [String: Any]? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let tokens = try await self.tokens.list(by: principal)
        let names = try await placeNames(principal)
        let now = Date()
        let rows: [[String: Any]] = tokens.map { token in
            let state =
                token.revokedAt.map { visit.text("token_revoked_at", ["at": Format.time($0)]) }
                ?? (token.expiresAt <= now ? visit.text("token_expired") : visit.text("token_active"))
            var row: [String: Any] = [
                "id": token.id.text, "short": String(token.id.text.prefix(8)), "subject": token.subject,
                "role": visit.text("role_\(token.role.rawValue)"),
                "created": Format.time(token.createdAt), "expires": Format.time(token.expiresAt), "state": state,
                "active": token.revokedAt == nil && token.expiresAt > now,
            ]
            // Only when there is one: an empty string still opens a Mustache section (a dangling "·").
            if let place = token.jurisdiction { row["place"] = Format.place(place, names, visit.language) }
            return row
        }
        var data: [String: Any] = [
            "rows": rows, "empty": rows.isEmpty, "csrf": visit.session?.csrfToken ?? "",
            "idempotencyKey": UUID().uuidString, "subject": input["subject"] ?? "",
            "lifetimeDays": input["lifetimeDays"] ?? "90",
            "roles": Role.allCases.map { role in
                [
                    "code": role.rawValue, "name": visit.text("role_\(role.rawValue)"),
                    "selected": (input["role"] ?? "auditor") == role.rawValue,
                ] as [String: Any]
            },
            "places": names.values.sorted { $0.code < $1.code }.map { place in
                [
                    "code": place.code, "name": Format.place(place.code, names, visit.language),
                    "selected": input["jurisdiction"] == place.code,
                ] as [String: Any]
            },
        ]
        if let issued { data["issued"] = issued }
        if let revoked = visit.query.optional("revoked") { data["revoked"] = revoked }
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "tokens", title: visit.text("tokens_title"), visit: visit, data: data, status: status,
            address: "/tokens")
    }

    func issueToken(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        var input = form.fields
        do {
            let request = try TokenRequest(
                subject: form["subject"], role: form["role"], jurisdiction: form.optional("jurisdiction"),
                lifetimeDays: form.optional("lifetimeDays").map { Int($0) ?? -1 })
            let keyed = try await tokens.issue(request, by: principal, idempotencyKey: try idempotencyKey(form))
            switch keyed.value {
            case .issued(let token):
                // The secret only in the response that created it: a replayed form shows none.
                let shown: [String: Any] = [
                    "subject": token.subject, "secret": token.token ?? "", "hasSecret": token.token != nil,
                ]
                return try await tokensPage(visit, issued: shown)
            case .pending(let asked):
                let shown: [String: Any] = [
                    "subject": asked.subject, "pending": true, "request": asked.id.text,
                ]
                return try await tokensPage(visit, issued: shown)
            }
        } catch {
            let errors = try fieldError(error, visit)
            input["idempotencyKey"] = UUID().uuidString
            return try await tokensPage(visit, input: input, errors: errors, status: .unprocessableContent)
        }
    }

    func revokeToken(_ visit: Visit, id: UUID) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        _ = try await form(visit)
        try await tokens.revoke(id: id, by: principal)
        throw PageOutcome.redirect("/tokens?revoked=\(id.text.prefix(8))")
    }
}
