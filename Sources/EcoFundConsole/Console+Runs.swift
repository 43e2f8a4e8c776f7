import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird

/// Disbursement runs: preview a rule and propose a run (finance, approvers), the approvals queue, a run with each
/// recipient's amount explained from its derivation, and the approver's decisions: approve, reject with a reason,
/// post, confirm each payment with the bank's reference.
extension Console {
    func registerRuns(on router: Router<BasicRequestContext>) {
        router.get("runs") { request, context in
            try await self.page(request, context) { visit in try await self.runs(visit) }
        }
        router.get("approvals") { request, context in
            try await self.page(request, context) { visit in try await self.approvals(visit) }
        }
        router.get("runs/new") { request, context in
            try await self.page(request, context) { visit in try await self.runPreview(visit) }
        }
        router.post("runs") { request, context in
            try await self.page(request, context) { visit in try await self.proposeRun(visit) }
        }
        router.get("runs/:id") { request, context in
            try await self.page(request, context) { visit in try await self.run(visit, id: try self.id(context)) }
        }
        for action in ["approve", "reject", "post", "pay"] {
            router.post("runs/:id/\(action)") { request, context in
                try await self.page(request, context) { visit in
                    try await self.decide(visit, id: try self.id(context), action: action)
                }
            }
        }
    }

    // MARK: Lists

    func runs(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let asked = visit.query["status"]
        let status = RunStatus(rawValue: asked)
        let runs = try await disbursements.runs(status: status, limit: 100, by: principal)
        let tabs: [[String: Any]] =
            [["code": "", "label": visit.text("runs_all"), "current": status == nil]]
            + RunStatus.allCases.map { code in
                [
                    "code": code.rawValue, "label": visit.text("run_status_\(code.rawValue)"),
                    "current": status == code,
                ]
            }
        return views.page(
            "runs", title: visit.text("runs_title"), visit: visit,
            data: [
                "tabs": tabs, "rows": runRows(runs, visit), "empty": runs.isEmpty,
                "mayPropose": principal.may(.proposeRuns),
            ])
    }

    /// What waits for this approver: proposed runs, those they proposed themselves marked as another's to decide.
    func approvals(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        guard principal.may(.approveRuns) else {
            throw PageOutcome.refused(status: .forbidden, messageKey: "error_forbidden", detail: nil)
        }
        var sections: [[String: Any]] = []
        for (status, heading) in [
            (RunStatus.proposed, "approvals_proposed"), (.approved, "approvals_approved"),
            (.posted, "approvals_posted"),
        ] {
            let runs = try await disbursements.runs(status: status, limit: 100, by: principal)
            sections.append(
                ["heading": visit.text(heading), "rows": runRows(runs, visit), "empty": runs.isEmpty])
        }
        return views.page("approvals", title: visit.text("approvals_title"), visit: visit, data: ["sections": sections])
    }

    func runRows(_ runs: [RunSummary], _ visit: Visit) -> [[String: Any]] {
        runs.map { run in
            [
                "id": run.id.text, "short": String(run.id.text.prefix(8)), "rule": "\(run.rule) v\(run.ruleVersion)",
                "status": visit.text("run_status_\(run.status.rawValue)"), "valueDate": run.valueDate.description,
                "pool": Format.money(run.pool), "allocated": Format.money(run.allocated),
                "paid": Format.money(run.paid),
                "recipients": "\(run.recipients)", "proposedBy": run.proposedBy,
                "proposedAt": Format.time(run.proposedAt),
                "mine": run.proposedBy == visit.principal?.subject, "revised": run.inputsRevised,
            ]
        }
    }

    // MARK: Preview and propose

    /// The proposal form; with a rule chosen, the allocation it would make today, explained, and the button that
    /// proposes exactly that.
    func runPreview(_ visit: Visit, input given: [String: String]? = nil, errors refused: [String: String] = [:])
        async throws -> Response
    {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        guard principal.may(.previewAllocations) else {
            throw PageOutcome.refused(status: .forbidden, messageKey: "error_forbidden", detail: nil)
        }
        var input = given ?? [:]
        if given == nil {
            for name in ["rule", "pool", "valueDate"] { input[name] = visit.query.fields[name] }
        }
        let rules = try await disbursements.latestRules(by: principal)
        let chosen = input["rule"].flatMap { $0.isEmpty ? nil : $0 }
        var errors = refused
        var data: [String: Any] = [
            "rules": rules.map { rule in
                [
                    "code": rule.code, "version": "\(rule.version)", "title": rule.document.title,
                    "selected": rule.code == chosen,
                ] as [String: Any]
            },
            "noRules": rules.isEmpty, "poolInput": input["pool"] ?? "",
            "valueDate": input["valueDate"].flatMap { $0.isEmpty ? nil : $0 }
                ?? Format.beijingDate(Date()).description,
            "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": UUID().uuidString,
            "mayPropose": principal.may(.proposeRuns),
        ]
        if let chosen, errors.isEmpty {
            do {
                let pool = try input["pool"].flatMap { $0.isEmpty ? nil : $0 }.map { (text) throws(ValidationError) in
                    try Money.positive(parsing: text.trimmingCharacters(in: .whitespaces), at: "/pool")
                }
                if let date = input["valueDate"], !date.isEmpty {
                    _ = try CalendarDate(parsing: date, at: "/valueDate")
                }
                let (rule, allocation, snapshot) = try await disbursements.preview(
                    rule: chosen, version: nil, pool: pool, by: principal)
                let names = try await placeNames(principal)
                data["preview"] =
                    [
                        "rule": rule.code, "version": "\(rule.version)", "title": rule.document.title,
                        "pool": Format.money(allocation.pool), "allocated": Format.money(allocation.allocated),
                        "available": Format.money(fen: snapshot.inputs.availableFen),
                        "period": snapshot.period ?? "", "hasPeriod": snapshot.period != nil,
                        "tranches": trancheRows(allocation, visit),
                        "rows": allocationRows(allocation, payments: [], names, visit),
                    ] as [String: Any]
            } catch {
                errors = try await proposalErrors(error, visit, pool: input["pool"])
            }
        }
        for (field, message) in errors { data["\(field)Error"] = message }
        data["hasErrors"] = !errors.isEmpty
        return views.page(
            "run-new", title: visit.text("run_new_title"), visit: visit, data: data,
            status: errors.isEmpty ? .ok : .unprocessableContent, current: "/runs/new", address: "/runs/new")
    }

    func proposeRun(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        do {
            let pool = try form.optional("pool").map { (text) throws(ValidationError) in
                try Money.positive(parsing: text, at: "/pool")
            }
            let valueDate = try form.optional("valueDate").map { (text) throws(ValidationError) in
                try CalendarDate(parsing: text, at: "/valueDate")
            }
            guard let rule = form.optional("rule") else {
                throw ValidationError(.missingField, at: "/rule", "choose a rule")
            }
            let run = try await disbursements.propose(
                rule: rule, version: Int(form["version"]), pool: pool, valueDate: valueDate, by: principal,
                idempotencyKey: key)
            return Views.redirect("/runs/\(run.value.id.text)?done=proposed")
        } catch {
            return try await runPreview(
                visit, input: form.fields, errors: try await proposalErrors(error, visit, pool: form["pool"]))
        }
    }

    /// A refused preview or proposal as messages beside the form's fields: a pool the fund cannot cover is said
    /// beside the pool with both amounts; what is wrong with the rule itself (an unknown code, a rule that cannot
    /// allocate from today's inputs) beside the rule.
    func proposalErrors(_ error: any Error, _ visit: Visit, pool typed: String?) async throws -> [String: String] {
        if let error = error as? StoreError, error.code == .notFound {
            return ["rule": visit.text("error_rule_not-found")]
        }
        if let error = error as? AllocationError {
            if error.pointer == "/pool", let principal = visit.principal {
                let available = try await disbursements.uncommitted(by: principal)
                let pool = typed.flatMap {
                    try? Money.positive(parsing: $0.trimmingCharacters(in: .whitespaces), at: "")
                }
                return [
                    "pool": visit.text(
                        pool == nil ? "run_rule_pool_short" : "run_fund_short",
                        ["needed": pool.map(Format.money) ?? "", "available": Format.money(max(available, .zero))])
                ]
            }
            return [
                "rule": visit.text("error_allocation-infeasible") + (visit.language == .en ? " \(error.detail)" : "")
            ]
        }
        return try fieldError(error, visit)
    }

    // MARK: One run

    /// `payment` is a refused payment form to show again: its recipient, fields and messages.
    func run(
        _ visit: Visit, id: UUID, errors: [String: String] = [:], reason: String = "",
        payment: RefusedPayment? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let run = try await disbursements.run(id, by: principal)
        let names = try await placeNames(principal)
        let available = try await disbursements.uncommitted(by: principal)
        let proposedByMe = run.proposedBy == principal.subject
        let decides = principal.may(.approveRuns)
        var data: [String: Any] = [
            "id": run.id.text, "rule": "\(run.rule) v\(run.ruleVersion)",
            "status": visit.text("run_status_\(run.status.rawValue)"), "statusCode": run.status.rawValue,
            "valueDate": run.valueDate.description, "pool": Format.money(run.allocation.pool),
            "allocated": Format.money(run.allocated), "available": Format.money(available),
            "proposedBy": run.proposedBy, "period": run.snapshot.period ?? "", "hasPeriod": run.snapshot.period != nil,
            "revised": run.inputsRevised, "postedEntry": run.postedEntryID.map { "#\($0)" } ?? "",
            "hasPostedEntry": run.postedEntryID != nil,
            "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": UUID().uuidString,
            "rejectKey": UUID().uuidString, "reason": reason,
            "transitions": run.transitions.map { transition in
                [
                    "status": visit.text("run_status_\(transition.status.rawValue)"), "actor": transition.actor,
                    "at": Format.time(transition.at), "reason": transition.reason ?? "",
                    "hasReason": transition.reason != nil,
                ] as [String: Any]
            },
            "tranches": trancheRows(run.allocation, visit),
            "runID": run.id.text,
            "rows": allocationRows(
                run.allocation, payments: run.payments, names, visit,
                payable: run.status == .posted && decides && !proposedByMe, refused: payment,
                owed: run.status == .posted ? try await owedByRecipient(principal) : [:]),
        ]
        // Why this person may not decide, in words, rather than buttons that would only be refused.
        if run.status == .proposed || run.status == .approved || run.status == .posted {
            if !decides {
                data["whyNot"] = visit.text("run_why_not_role")
            } else if proposedByMe {
                data["whyNot"] = visit.text("run_why_not_proposer")
            } else {
                data["mayApprove"] = run.status == .proposed
                data["mayPost"] = run.status == .approved
            }
        }
        if run.status == .proposed, run.allocated > available, notice == nil {
            data["short"] = visit.text(
                "run_fund_short",
                ["needed": Format.money(run.allocated), "available": Format.money(max(available, .zero))])
        }
        if let done = visit.query.optional("done"),
            ["proposed", "approved", "rejected", "posted", "paid"].contains(done)
        {
            data["done"] = visit.text("run_done_\(done)")
        }
        if let notice { data["problem"] = notice }
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "run", title: visit.text("run_title", ["rule": "\(run.rule) v\(run.ruleVersion)"]), visit: visit,
            data: data, status: status, current: "/runs", address: "/runs/\(run.id.text)")
    }

    /// Approve, reject (with a reason), post, or confirm one recipient's payment.
    func decide(_ visit: Visit, id: UUID, action: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let key = try idempotencyKey(form)
        do {
            switch action {
            case "approve":
                _ = try await disbursements.transition(id, .approve, reason: nil, by: principal, idempotencyKey: key)
                return Views.redirect("/runs/\(id.text)?done=approved")
            case "reject":
                _ = try await disbursements.transition(
                    id, .reject, reason: form["reason"], by: principal, idempotencyKey: key)
                return Views.redirect("/runs/\(id.text)?done=rejected")
            case "post":
                _ = try await disbursements.transition(id, .post, reason: nil, by: principal, idempotencyKey: key)
                return Views.redirect("/runs/\(id.text)?done=posted")
            default:
                let recipient = form["recipient"]
                do {
                    let valueDate = try form.optional("valueDate").map { (text) throws(ValidationError) in
                        try CalendarDate(parsing: text, at: "/valueDate")
                    }
                    let offset = try form.optional("offset").map { (text) throws(ValidationError) in
                        try Money.positive(parsing: text, at: "/offset")
                    }
                    _ = try await disbursements.confirmPayment(
                        id, recipient: recipient,
                        bankReference: form["bankReference"].trimmingCharacters(in: .whitespaces),
                        valueDate: valueDate, offset: offset, by: principal, idempotencyKey: key)
                } catch let error as ValidationError where error.pointer != "/recipient" {
                    // The message belongs beside this recipient's own fields, which keep what was typed.
                    let refused = RefusedPayment(
                        recipient: recipient, bankReference: form["bankReference"], valueDate: form["valueDate"],
                        offset: form["offset"], errors: try fieldError(error, visit))
                    return try await run(visit, id: id, payment: refused, status: .unprocessableContent)
                }
                return Views.redirect("/runs/\(id.text)?done=paid")
            }
        } catch let error as StoreError where error.code == .fundInsufficient {
            let run = try await disbursements.run(id, by: principal)
            let available = try await disbursements.uncommitted(by: principal)
            return try await self.run(
                visit, id: id,
                notice: visit.text(
                    "run_fund_short",
                    ["needed": Format.money(run.allocated), "available": Format.money(max(available, .zero))]),
                status: .conflict)
        } catch {
            return try await run(
                visit, id: id, errors: try fieldError(error, visit), reason: form["reason"],
                status: .unprocessableContent)
        }
    }

    // MARK: Explanations

    func trancheRows(_ allocation: Allocation, _ visit: Visit) -> [[String: Any]] {
        allocation.tranches.map { tranche in
            [
                "name": tranche.name, "amount": Format.money(tranche.amount), "retained": tranche.retained,
            ]
        }
    }

    func allocationRows(
        _ allocation: Allocation, payments: [DisbursementRun.Payment], _ names: [String: Jurisdiction],
        _ visit: Visit, payable: Bool = false, refused: RefusedPayment? = nil, owed: [String: Money] = [:]
    ) -> [[String: Any]] {
        let tranches = Dictionary(allocation.tranches.map { ($0.name, $0.amount) }) { first, _ in first }
        return allocation.allocations.map { recipient in
            let paid = payments.first { $0.recipient == recipient.recipient }
            var row: [String: Any] = [
                "code": recipient.recipient, "name": Format.place(recipient.recipient, names, visit.language),
                "tranche": recipient.tranche, "amount": Format.money(recipient.amount),
                "withheld": recipient.withheld,
                "explanation": Explanation.lines(
                    recipient, trancheAmount: tranches[recipient.tranche] ?? .zero, visit),
                "payable": payable && paid == nil && recipient.amount.fen > 0,
                "paymentKey": UUID().uuidString, "paymentDate": Format.beijingDate(Date()).description,
            ]
            if let clawback = recipient.clawback, clawback.fen > 0 { row["clawback"] = Format.money(clawback) }
            // A recipient that owes the fund may have part of this payment kept back against it.
            if let debt = owed[recipient.recipient], debt.fen > 0 { row["owes"] = Format.money(debt) }
            if let refused, refused.recipient == recipient.recipient {
                row["bankReference"] = refused.bankReference
                row["paymentDate"] = refused.valueDate
                row["offset"] = refused.offset
                for (field, message) in refused.errors { row["\(field)Error"] = message }
            }
            if let paid {
                row["paid"] = visit.text(
                    "run_paid_by",
                    ["reference": paid.bankReference, "by": paid.confirmedBy, "at": Format.time(paid.confirmedAt)])
                if let offset = paid.offset { row["paidOffset"] = Format.money(offset) }
            }
            return row
        }
    }
}
