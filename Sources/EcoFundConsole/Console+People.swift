import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird

/// People, for admins: the list, a new person (with the activation code shown once, or a request that a second
/// admin decides), deactivation; and the queue of requests another admin made.
extension Console {
    func registerPeople(on router: Router<BasicRequestContext>) {
        router.get("people") { request, context in
            try await self.page(request, context) { visit in try await self.peoplePage(visit, input: [:], errors: [:]) }
        }
        router.post("people") { request, context in
            try await self.page(request, context) { visit in try await self.createPerson(visit) }
        }
        for action in ["deactivate", "activation-code", "second-factor-reset"] {
            router.post("people/:id/\(action)") { request, context in
                try await self.page(request, context) { visit in
                    try await self.managePerson(visit, id: try self.id(context), action: action)
                }
            }
        }
        router.get("access-requests") { request, context in
            try await self.page(request, context) { visit in try await self.requestsPage(visit, issued: nil, error: nil)
            }
        }
        router.post("access-requests/:id/approve") { request, context in
            try await self.page(request, context) { visit in
                try await self.decide(visit, id: context.parameters.get("id") ?? "", approve: true)
            }
        }
        router.post("access-requests/:id/reject") { request, context in
            try await self.page(request, context) { visit in
                try await self.decide(visit, id: context.parameters.get("id") ?? "", approve: false)
            }
        }
    }

    func roleOptions(_ visit: Visit, chosen: String) -> [[String: Any]] {
        Role.allCases.map { role in
            ["code": role.rawValue, "name": visit.text("role_\(role.rawValue)"), "selected": role.rawValue == chosen]
        }
    }

    func peoplePage(
        _ visit: Visit, input: [String: String], errors: [String: String], issued: [String: Any]? = nil,
        refused: (id: UUID, reason: String, message: String)? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let people = try await self.people.list(cursor: nil, limit: PeopleService.page.itemsMax, by: principal)
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        let rows: [[String: Any]] = people.items.map { person in
            // A user with neither a password nor a pending code is a system that holds API tokens only.
            let state =
                person.deactivatedAt != nil
                ? "person_deactivated"
                : person.activated
                    ? "person_active"
                    : person.activationExpiresAt != nil ? "person_waiting_activation" : "person_api_only"
            var row: [String: Any] = [
                "id": person.id.text, "subject": person.subject, "role": visit.text("role_\(person.role.rawValue)"),
                "jurisdiction": person.jurisdiction.map { Format.place($0, names, visit.language) } ?? "",
                "state": visit.text(state), "secondFactor": person.secondFactor,
                // Not for oneself (the service refuses it too), nor for who is deactivated: that is final.
                "manageable": person.deactivatedAt == nil && person.id != principal.userID,
                "deactivateKey": UUID().uuidString, "codeKey": UUID().uuidString,
            ]
            if let refused, refused.id == person.id {
                row["reason"] = refused.reason
                row["reasonError"] = refused.message
            }
            return row
        }
        let chosenPlace = input["jurisdiction"] ?? ""
        var data: [String: Any] = [
            "rows": rows, "csrf": visit.session?.csrfToken ?? "",
            "idempotencyKey": input["idempotencyKey"] ?? UUID().uuidString, "subject": input["subject"] ?? "",
            "roles": roleOptions(visit, chosen: input["role"] ?? "finance"),
            "places": places.filter { $0.level == .province }.map { place in
                [
                    "code": place.code, "name": Format.place(place.code, names, visit.language),
                    "selected": place.code == chosenPlace,
                ] as [String: Any]
            },
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        if let issued { data["issued"] = issued }
        return views.page(
            "people", title: visit.text("people_title"), visit: visit, data: data, status: status, address: "/people")
    }

    func createPerson(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        do {
            let new = try NewPerson(
                subject: form["subject"].trimmingCharacters(in: .whitespaces), role: form["role"],
                jurisdiction: form["role"] == Role.finance.rawValue ? form.optional("jurisdiction") : nil)
            let keyed = try await people.create(new, by: principal, idempotencyKey: key)
            switch keyed.value {
            case .issued(let person, let activation):
                return try await peoplePage(
                    visit, input: [:], errors: [:], issued: codeNotice(person, activation, visit, recoded: false))
            case .pending(let request):
                return try await peoplePage(
                    visit, input: [:], errors: [:],
                    issued: ["subject": request.subject, "pending": true])
            }
        } catch {
            // A login name someone already has is a conflict with no field of its own: it belongs beside the name.
            let errors =
                (error as? StoreError)?.code == .conflict
                ? ["subject": visit.catalog.message(kind: StoreError.Code.conflict.rawValue, pointer: "/subject")]
                : try fieldError(error, visit)
            var kept = form.fields
            kept["idempotencyKey"] = UUID().uuidString
            return try await peoplePage(visit, input: kept, errors: errors, status: .unprocessableContent)
        }
    }

    /// Deactivates someone (with a reason), gives them a new activation code (for a money-moving role, a request a
    /// second admin decides), or clears their second factor.
    func managePerson(_ visit: Visit, id: UUID, action: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        switch action {
        case "deactivate":
            do {
                let person = try await people.deactivate(id, reason: form["reason"], by: principal)
                return try await peoplePage(
                    visit, input: [:], errors: [:],
                    issued: ["subject": person.subject, "notice": visit.text("people_deactivated")])
            } catch let error as ValidationError {
                return try await peoplePage(
                    visit, input: [:], errors: [:],
                    refused: (id, form["reason"], visit.catalog.message(kind: error.code.rawValue, pointer: "/reason")),
                    status: .unprocessableContent)
            }
        case "activation-code":
            let keyed = try await people.newActivationCode(
                for: id, by: principal, idempotencyKey: try idempotencyKey(form))
            switch keyed.value {
            case .issued(let person, let activation):
                return try await peoplePage(
                    visit, input: [:], errors: [:], issued: codeNotice(person, activation, visit, recoded: true))
            case .pending(let request):
                return try await peoplePage(
                    visit, input: [:], errors: [:], issued: ["subject": request.subject, "pending": true])
            }
        default:
            let person = try await people.resetSecondFactor(of: id, by: principal)
            return try await peoplePage(
                visit, input: [:], errors: [:],
                issued: ["subject": person.subject, "notice": visit.text("people_second_factor_cleared")])
        }
    }

    /// The notice that shows a new activation code, once.
    func codeNotice(_ person: Person, _ activation: ActivationCode, _ visit: Visit, recoded: Bool) -> [String: Any] {
        [
            "subject": person.subject, "code": activation.code ?? visit.text("people_code_shown_once"),
            "expiresNote": visit.text("people_code_expires", ["at": Format.time(activation.expiresAt)]),
            "recoded": recoded,
        ]
    }

    func requestsPage(_ visit: Visit, issued: [String: Any]?, error: String?) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let pending = try await access.requests(status: .pending, by: principal)
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        let rows: [[String: Any]] = pending.map { request in
            var row: [String: Any] = [
                "id": request.id.text, "kind": visit.text("request_kind_\(request.kind.rawValue)"),
                "subject": request.subject, "role": visit.text("role_\(request.role.rawValue)"),
                "requestedBy": request.requestedBy, "requestedAt": Format.time(request.requestedAt),
                "own": request.requestedBy == principal.subject,
                "idempotencyKey": UUID().uuidString,
            ]
            // Only a finance official's request names a place; an empty string would still open its section.
            if let code = request.jurisdiction { row["jurisdiction"] = Format.place(code, names, visit.language) }
            return row
        }
        var data: [String: Any] = [
            "rows": rows, "empty": rows.isEmpty, "csrf": visit.session?.csrfToken ?? "",
        ]
        if let issued { data["issued"] = issued }
        if let error { data["error"] = error }
        return views.page(
            "access-requests", title: visit.text("requests_title"), visit: visit, data: data,
            address: "/access-requests")
    }

    func decide(_ visit: Visit, id text: String, approve: Bool) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        guard let id = UUID(uuidString: text) else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        do {
            if approve {
                let decided = try await access.approve(
                    id, note: form.optional("reason"), by: principal, idempotencyKey: key)
                var issued: [String: Any] = ["subject": decided.value.request.subject]
                if let activation = decided.value.activation {
                    issued["code"] = activation.code ?? visit.text("people_code_shown_once")
                    issued["expiresNote"] = visit.text("people_code_expires", ["at": Format.time(activation.expiresAt)])
                }
                if let token = decided.value.token { issued["token"] = token.token ?? "" }
                return try await requestsPage(visit, issued: issued, error: nil)
            }
            _ = try await access.reject(id, reason: form["reason"], by: principal, idempotencyKey: key)
            return Views.redirect("/access-requests")
        } catch let error as any ProblemDescribing {
            let facts = error.problem
            guard facts.status < 500 else { throw error }
            return try await requestsPage(
                visit, issued: nil, error: visit.catalog.message(kind: facts.kind, pointer: facts.pointer))
        }
    }
}
