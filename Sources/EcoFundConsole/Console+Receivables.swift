import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// Receivables and recoveries (收回): what each settlement clawed back, what recipients returned and still owe,
/// and, for the approver, the form to record money returned.
extension Console {
    func registerReceivables(on router: Router<BasicRequestContext>) {
        router.get("receivables") { request, context in
            try await self.page(request, context) { visit in try await self.receivablesPage(visit) }
        }
        router.post("receivables") { request, context in
            try await self.page(request, context) { visit in try await self.recordRecovery(visit) }
        }
    }

    func receivablesPage(
        _ visit: Visit, input: [String: String] = [:], errors: [String: String] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let receivables = try await recoveries.receivables(by: principal)
        let list = try await recoveries.recoveries(recipient: nil, by: principal)
        let names = try await placeNames(principal)
        func place(_ code: String) -> String { Format.place(code, names, visit.language) }
        let owing = receivables.filter { $0.outstanding.fen > 0 }
        let chosen = input["recipient"] ?? owing.first?.recipient ?? ""
        var data: [String: Any] = [
            "receivables": receivables.map { receivable in
                [
                    "name": place(receivable.recipient), "clawedBack": Format.money(receivable.clawedBack),
                    "recovered": Format.money(receivable.recovered),
                    "outstanding": Format.money(receivable.outstanding),
                    "ledger": "/accounts/\(AccountCode.receivable(receivable.recipient).description)",
                ]
            },
            "hasReceivables": !receivables.isEmpty,
            "recoveries": list.map { recovery in
                [
                    "date": recovery.valueDate.description, "name": place(recovery.recipient),
                    "amount": Format.money(recovery.amount), "bankReference": recovery.bankReference,
                    "entry": "\(recovery.entryID)", "by": recovery.recordedBy,
                ]
            },
            "hasRecoveries": !list.isEmpty,
            "mayRecord": principal.may(.recordRecoveries) && !owing.isEmpty,
            "owing": owing.map { receivable in
                [
                    "code": receivable.recipient,
                    "name": "\(place(receivable.recipient)) (\(Format.money(receivable.outstanding)))",
                    "selected": receivable.recipient == chosen,
                ] as [String: Any]
            },
            "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": input["idempotencyKey"] ?? UUID().uuidString,
            "amount": input["amount"] ?? "", "valueDate": input["valueDate"] ?? Format.beijingDate(Date()).description,
            "bankReference": input["bankReference"] ?? "", "recorded": visit.query.optional("recorded") != nil,
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        data["hasErrors"] = !errors.isEmpty
        return views.page(
            "receivables", title: visit.text("receivables_title"), visit: visit, data: data, status: status,
            current: "/receivables", address: "/receivables")
    }

    /// What each recipient owes the fund now, for the payment forms' offsets.
    func owedByRecipient(_ principal: Principal) async throws -> [String: Money] {
        Dictionary(
            try await recoveries.receivables(by: principal).map { ($0.recipient, $0.outstanding) },
            uniquingKeysWith: { first, _ in first })
    }

    func recordRecovery(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        let fields = (
            recipient: form["recipient"], amount: form["amount"].trimmingCharacters(in: .whitespaces),
            valueDate: form["valueDate"].trimmingCharacters(in: .whitespaces),
            bankReference: form["bankReference"].trimmingCharacters(in: .whitespaces)
        )
        let problems = RecoveryRequest.problems(
            recipient: fields.recipient, amount: fields.amount, valueDate: fields.valueDate,
            bankReference: fields.bankReference)
        guard problems.isEmpty else {
            var errors: [String: String] = [:]
            for problem in problems {
                let field = String(problem.pointer.dropFirst())
                if errors[field] == nil {
                    errors[field] = visit.catalog.message(kind: problem.code.rawValue, pointer: problem.pointer)
                }
            }
            return try await receivablesPage(visit, input: form.fields, errors: errors, status: .unprocessableContent)
        }
        do {
            let request = try RecoveryRequest(
                recipient: fields.recipient, amount: fields.amount, valueDate: fields.valueDate,
                bankReference: fields.bankReference)
            _ = try await recoveries.record(request, by: principal, idempotencyKey: key)
        } catch {
            var kept = form.fields
            kept["idempotencyKey"] = UUID().uuidString
            return try await receivablesPage(
                visit, input: kept, errors: try fieldError(error, visit), status: .unprocessableContent)
        }
        throw PageOutcome.redirect("/receivables?recorded=1")
    }
}
