import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird

/// Contributions: the list (by contributor and value dates, a page at a time) and, for finance officials, the form
/// that records one.
extension Console {
    func registerContributions(on router: Router<BasicRequestContext>) {
        router.get("contributions") { request, context in
            try await self.page(request, context) { visit in try await self.contributions(visit) }
        }
        router.get("contributions/new") { request, context in
            try await self.page(request, context) { visit in
                try await self.contributionForm(visit, input: [:], errors: [:])
            }
        }
        router.post("contributions") { request, context in
            try await self.page(request, context) { visit in try await self.recordContribution(visit) }
        }
        router.get("contributions/:id") { request, context in
            try await self.page(request, context) { visit in
                try await self.contribution(visit, id: try self.id(context))
            }
        }
        router.get("contributions/:id/reverse") { request, context in
            try await self.page(request, context) { visit in
                try await self.reversalForm(visit, id: try self.id(context), input: [:], errors: [:])
            }
        }
        router.post("contributions/:id/reverse") { request, context in
            try await self.page(request, context) { visit in
                try await self.reverseContribution(visit, id: try self.id(context))
            }
        }
    }

    func contributions(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        func value(_ name: String) -> String? { visit.query.optional(name) }
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        var errors: [String: String] = [:]
        var page: Page<Contribution>?
        let from = dateField("from", visit, &errors)
        let to = dateField("to", visit, &errors)
        if errors.isEmpty {
            do {
                let filter = try ContributionFilter(
                    contributor: value("contributor"), from: from, to: to, cursor: value("cursor"), limit: 50)
                page = try await ledger.contributions(filter, by: principal)
            } catch let error as ValidationError { keep(error, visit, &errors) }
        }
        let rows: [[String: Any]] = (page?.items ?? []).map { contribution in
            [
                "contributor": Format.place(contribution.contributor, names, visit.language),
                "amount": Format.money(contribution.amount), "valueDate": contribution.valueDate.description,
                "reference": contribution.reference, "entry": "\(contribution.entryID)",
                "id": contribution.id.text,
                "recordedBy": contribution.recordedBy, "recordedAt": Format.time(contribution.recordedAt),
                "reversed": contribution.reversal != nil,
            ]
        }
        let next = page?.nextCursor.map { cursor in
            Views.address(
                "/contributions",
                [("cursor", cursor)]
                    + ["contributor", "from", "to"].compactMap { name in value(name).map { (name, $0) } })
        }
        let contributors = places.filter { $0.level != .city }.map { place in
            [
                "code": place.code, "name": Format.place(place.code, names, visit.language),
                "selected": value("contributor") == place.code,
            ] as [String: Any]
        }
        var data: [String: Any] = [
            "rows": rows, "empty": rows.isEmpty, "next": next ?? "", "hasNext": next != nil,
            "contributors": contributors, "from": value("from") ?? "", "to": value("to") ?? "",
            "mayRecord": principal.may(.recordContributions),
        ]
        // Only fields in error get a message: Mustache shows a section for any string, the empty one too.
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page("contributions", title: visit.text("contrib_title"), visit: visit, data: data)
    }

    func contributionForm(
        _ visit: Visit, input: [String: String], errors: [String: String], status: HTTPResponse.Status = .ok
    )
        async throws -> Response
    {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        // Only offered to those who may record; recording itself is the service's to allow.
        guard principal.may(.recordContributions) else {
            throw PageOutcome.refused(status: .forbidden, messageKey: "error_forbidden", detail: nil)
        }
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        let chosen = input["contributor"] ?? principal.jurisdiction ?? ""
        let contributors = places.filter { $0.level != .city }
            .filter { principal.jurisdiction == nil || principal.jurisdiction == $0.code }
            .map { place in
                [
                    "code": place.code, "name": Format.place(place.code, names, visit.language),
                    "selected": place.code == chosen,
                ] as [String: Any]
            }
        var data: [String: Any] = [
            "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": input["idempotencyKey"] ?? UUID().uuidString,
            "contributors": contributors, "amount": input["amount"] ?? "",
            "valueDate": input["valueDate"] ?? Format.beijingDate(Date()).description,
            "reference": input["reference"] ?? "", "memo": input["memo"] ?? "",
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        data["hasErrors"] = !errors.isEmpty
        return views.page(
            "contribution-new", title: visit.text("contrib_new_title"), visit: visit, data: data, status: status,
            address: "/contributions/new")
    }

    func recordContribution(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        let input = form.fields
        let fields = (
            contributor: form["contributor"], amount: form["amount"].trimmingCharacters(in: .whitespaces),
            valueDate: form["valueDate"].trimmingCharacters(in: .whitespaces), reference: form["reference"],
            memo: form.optional("memo")
        )
        // Every field's problem at once, each beside its field, so one round of corrections is enough.
        let problems = ContributionRequest.problems(
            contributor: fields.contributor, amount: fields.amount, currency: Money.currency,
            valueDate: fields.valueDate, reference: fields.reference, memo: fields.memo)
        if !problems.isEmpty {
            var errors: [String: String] = [:]
            for problem in problems { errors.merge(try fieldError(problem, visit)) { first, _ in first } }
            var kept = input
            kept["idempotencyKey"] = UUID().uuidString
            return try await contributionForm(visit, input: kept, errors: errors, status: .unprocessableContent)
        }
        do {
            let request = try ContributionRequest(
                contributor: fields.contributor, amount: fields.amount, currency: Money.currency,
                valueDate: fields.valueDate, reference: fields.reference, memo: fields.memo)
            let recorded = try await ledger.recordContribution(request, by: principal, idempotencyKey: key)
            return Views.redirect("/contributions/\(recorded.value.id.text)?done=recorded")
        } catch {
            let errors = try fieldError(error, visit)
            // A new key for the corrected form: the refused one did nothing.
            var kept = input
            kept["idempotencyKey"] = UUID().uuidString
            return try await contributionForm(visit, input: kept, errors: errors, status: .unprocessableContent)
        }
    }
}

/// One contribution read whole, and its reversal behind a confirm step.
extension Console {
    func contribution(_ visit: Visit, id: UUID) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let record = try await ledger.contributionRecord(id: id, by: principal)
        let names = try await placeNames(principal)
        let contribution = record.contribution
        var data: [String: Any] = [
            "id": contribution.id.text, "contributor": Format.place(contribution.contributor, names, visit.language),
            "amount": Format.money(contribution.amount), "valueDate": contribution.valueDate.description,
            "reference": contribution.reference, "memo": contribution.memo, "hasMemo": !contribution.memo.isEmpty,
            "recordedBy": contribution.recordedBy, "recordedAt": Format.time(contribution.recordedAt),
            "entries": record.entries.map { entryView($0, names, visit) },
            "events": record.events.map { eventView($0, visit, linked: principal.may(.readAuditLog)) },
            "mayReverse": principal.may(.reverseContributions) && contribution.reversal == nil,
        ]
        if let reversal = contribution.reversal {
            data["reversal"] = [
                "reason": reversal.reason, "by": reversal.reversedBy, "at": Format.time(reversal.reversedAt),
                "entry": "\(reversal.entryID)",
            ]
        }
        if let done = visit.query.optional("done"), ["recorded", "reversed"].contains(done) {
            data["done"] = visit.text("contrib_done_\(done)")
        }
        return views.page(
            "contribution", title: visit.text("contrib_detail_title", ["reference": contribution.reference]),
            visit: visit, data: data, current: "/contributions")
    }

    /// A journal entry as a small table of debits and credits.
    func entryView(_ posted: PostedEntry, _ names: [String: Jurisdiction], _ visit: Visit) -> [String: Any] {
        [
            "id": "\(posted.id)", "kind": visit.text("entry_kind_\(posted.entry.kind.rawValue)"),
            "valueDate": posted.entry.valueDate.description, "memo": posted.entry.memo,
            "recordedBy": posted.recordedBy, "recordedAt": Format.time(posted.recordedAt),
            "lines": posted.entry.lines.map { line in
                [
                    "account": Format.account(line.account, names, visit), "code": line.account.description,
                    "debit": line.side == .debit ? Format.money(line.amount) : "",
                    "credit": line.side == .credit ? Format.money(line.amount) : "",
                ]
            },
        ]
    }

    func reversalForm(
        _ visit: Visit, id: UUID, input: [String: String], errors: [String: String], confirming: Bool = false,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        guard principal.may(.reverseContributions) else {
            throw PageOutcome.refused(status: .forbidden, messageKey: "error_forbidden", detail: nil)
        }
        let contribution = try await ledger.contribution(id: id, by: principal)
        guard contribution.reversal == nil else {
            throw PageOutcome.refused(status: .conflict, messageKey: "error_already_reversed", detail: nil)
        }
        let names = try await placeNames(principal)
        var data: [String: Any] = [
            "id": contribution.id.text, "csrf": visit.session?.csrfToken ?? "",
            "idempotencyKey": input["idempotencyKey"] ?? UUID().uuidString,
            "contributor": Format.place(contribution.contributor, names, visit.language),
            "amount": Format.money(contribution.amount), "reference": contribution.reference,
            "originalDate": contribution.valueDate.description,
            "reason": input["reason"] ?? "", "valueDate": input["valueDate"] ?? Format.beijingDate(Date()).description,
            "confirming": confirming, "hasErrors": !errors.isEmpty,
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "contribution-reverse", title: visit.text("reverse_title"), visit: visit, data: data, status: status,
            current: "/contributions", address: "/contributions/\(contribution.id.text)/reverse")
    }

    /// The first POST checks the reason and date and asks to confirm; the second, with `confirm`, reverses.
    func reverseContribution(_ visit: Visit, id: UUID) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        var input = form.fields
        do {
            let request = try ReversalRequest(
                reason: form["reason"], valueDate: form.optional("valueDate"))
            guard form["step"] == "confirm" else {
                return try await reversalForm(visit, id: id, input: input, errors: [:], confirming: true)
            }
            _ = try await ledger.reverseContribution(id: id, request, by: principal, idempotencyKey: key)
            return Views.redirect("/contributions/\(id.text)?done=reversed")
        } catch {
            let errors = try fieldError(error, visit)
            input["idempotencyKey"] = UUID().uuidString
            return try await reversalForm(visit, id: id, input: input, errors: errors, status: .unprocessableContent)
        }
    }

    func placeNames(_ principal: Principal) async throws -> [String: Jurisdiction] {
        let places = try await jurisdictions.list(by: principal)
        return Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
    }
}
