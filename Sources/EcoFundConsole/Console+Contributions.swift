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
    }

    func contributions(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let query = visit.request.uri.queryParameters
        func value(_ name: String) -> String? {
            query[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        }
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        var errors: [String: String] = [:]
        var page: Page<Contribution>?
        do {
            let from = try value("from").map { text throws(ValidationError) in
                try CalendarDate(parsing: text, at: "/from")
            }
            let to = try value("to").map { text throws(ValidationError) in try CalendarDate(parsing: text, at: "/to") }
            let filter = try ContributionFilter(
                contributor: value("contributor"), from: from, to: to, cursor: value("cursor"), limit: 50)
            page = try await ledger.contributions(filter, by: principal)
        } catch let error as ValidationError {
            let field = error.pointer.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            errors[field] = visit.catalog.message(kind: error.code.rawValue, pointer: "/\(field)")
        }
        let rows: [[String: Any]] = (page?.items ?? []).map { contribution in
            [
                "contributor": Format.place(contribution.contributor, names, visit.language),
                "amount": Format.money(contribution.amount), "valueDate": contribution.valueDate.description,
                "reference": contribution.reference, "entry": "\(contribution.entryID)",
                "recordedBy": contribution.recordedBy, "recordedAt": Format.time(contribution.recordedAt),
                "reversed": contribution.reversal != nil,
            ]
        }
        var next: String?
        if let cursor = page?.nextCursor {
            var parts = ["cursor=\(cursor)"]
            for name in ["contributor", "from", "to"] {
                if let given = value(name) {
                    parts.append("\(name)=\(given.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
                }
            }
            next = "/contributions?" + parts.joined(separator: "&")
        }
        let contributors = places.filter { $0.level == .province }.map { place in
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
        let contributors = places.filter { $0.level == .province }
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
            "contribution-new", title: visit.text("contrib_new_title"), visit: visit, data: data, status: status)
    }

    func recordContribution(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        let input = form.fields
        do {
            let request = try ContributionRequest(
                contributor: form["contributor"], amount: form["amount"].trimmingCharacters(in: .whitespaces),
                currency: Money.currency, valueDate: form["valueDate"].trimmingCharacters(in: .whitespaces),
                reference: form["reference"], memo: form.optional("memo"))
            let recorded = try await ledger.recordContribution(request, by: principal, idempotencyKey: key)
            return Views.redirect("/contributions?recorded=\(recorded.value.id.text)")
        } catch let error as any ProblemDescribing {
            let facts = error.problem
            guard facts.status < 500, let pointer = facts.pointer, pointer.hasPrefix("/") else { throw error }
            let field = String(pointer.dropFirst().split(separator: "/").first ?? "")
            // A new key for the corrected form: the refused one did nothing.
            var kept = input
            kept["idempotencyKey"] = UUID().uuidString
            return try await contributionForm(
                visit, input: kept, errors: [field: visit.catalog.message(kind: facts.kind, pointer: pointer)],
                status: .unprocessableContent)
        }
    }
}
