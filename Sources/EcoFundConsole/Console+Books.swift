import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird

/// The books as an auditor reads them: the journal (filtered, paged, each entry with its lines and audit events), an
/// account's ledger with its running balance, the trial balance as of a date, and the fund statement of a year.
extension Console {
    func registerBooks(on router: Router<BasicRequestContext>) {
        router.get("journal") { request, context in
            try await self.page(request, context) { visit in try await self.journalPage(visit) }
        }
        router.get("trial-balance") { request, context in
            try await self.page(request, context) { visit in try await self.trialBalancePage(visit) }
        }
        router.get("accounts/:code") { request, context in
            let code = context.parameters.get("code") ?? ""
            return try await self.page(request, context) { visit in try await self.ledgerPage(visit, code: code) }
        }
        router.get("fund-statement") { request, context in
            try await self.page(request, context) { visit in try await self.fundStatementPage(visit) }
        }
    }

    /// The tabs over the books' pages, the current one lit.
    func booksTabs(_ visit: Visit, current: String) -> [[String: Any]] {
        [
            ("/journal", "books_journal"), ("/trial-balance", "books_trial_balance"),
            ("/fund-statement", "books_statement"),
        ]
        .map { path, key in ["href": path, "label": visit.text(key), "current": path == current] }
    }

    /// Reads a date field of a GET form; an error is kept for the field, beside it on the page.
    func dateField(_ name: String, _ visit: Visit, _ errors: inout [String: String]) -> CalendarDate? {
        guard let text = visit.query.optional(name) else { return nil }
        do { return try CalendarDate(parsing: text, at: "/\(name)") } catch {
            errors[name] = visit.catalog.message(kind: error.code.rawValue, pointer: "/\(name)")
            return nil
        }
    }

    /// A validation error of a GET form, beside its field (or, for a cursor, above the list).
    func keep(_ error: ValidationError, _ visit: Visit, _ errors: inout [String: String]) {
        let field = error.pointer.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        errors[field] = visit.catalog.message(kind: error.code.rawValue, pointer: "/\(field)")
    }

    func journalPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let names = try await placeNames(principal)
        let accounts = try await ledger.accounts(asOf: nil, by: principal)
        var errors: [String: String] = [:]
        let from = dateField("from", visit, &errors)
        let to = dateField("to", visit, &errors)
        var page: Page<JournalRecord>?
        if errors.isEmpty {
            do {
                let filter = try JournalFilter(
                    account: visit.query.optional("account"), kind: visit.query.optional("kind"), from: from, to: to,
                    cursor: visit.query.optional("cursor"))
                page = try await ledger.journal(filter, by: principal)
            } catch let error as ValidationError { keep(error, visit, &errors) }
        }
        let mayReadLog = principal.may(.readAuditLog)
        let entries: [[String: Any]] = (page?.items ?? []).map { record in
            var entry = entryView(record.entry, names, visit)
            entry["events"] = record.events.map { eventView($0, visit, linked: mayReadLog) }
            return entry
        }
        let asked = ["account", "kind", "from", "to"].compactMap { name in
            visit.query.optional(name).map { (name, $0) }
        }
        var data: [String: Any] = [
            "tabs": booksTabs(visit, current: "/journal"), "entries": entries, "empty": entries.isEmpty,
            "accounts": accounts.compactMap { balance -> [String: Any]? in
                guard let account = AccountCode(balance.code) else { return nil }
                return [
                    "code": balance.code, "name": Format.account(account, names, visit),
                    "selected": visit.query.optional("account") == balance.code,
                ]
            },
            "kinds": JournalEntry.Kind.allCases.map { kind in
                [
                    "code": kind.rawValue, "name": visit.text("entry_kind_\(kind.rawValue)"),
                    "selected": visit.query.optional("kind") == kind.rawValue,
                ] as [String: Any]
            },
            "from": visit.query["from"], "to": visit.query["to"],
        ]
        if let cursor = page?.nextCursor { data["next"] = Views.address("/journal", asked + [("cursor", cursor)]) }
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "journal", title: visit.text("journal_title"), visit: visit, data: data, current: "/journal")
    }

    /// An audit event in a list: type, who, when (Beijing time), its payload, and its leaf in the signed log —
    /// a link to the proof page for those who may read the log.
    func eventView(_ recorded: RecordedEvent, _ visit: Visit, linked: Bool) -> [String: Any] {
        var view: [String: Any] = [
            "id": "\(recorded.event.id)", "type": recorded.event.type, "actor": recorded.event.actor,
            "at": Format.time(utc: recorded.event.at),
            "sealed": recorded.leaf.map { visit.text("event_sealed", ["leaf": "\($0)"]) }
                ?? visit.text("event_unsealed"),
            "payload": String(decoding: recorded.event.payload.canonicalBytes, as: UTF8.self),
        ]
        if linked, let leaf = recorded.leaf { view["proof"] = "/audit/events/\(leaf)" }
        return view
    }

    func trialBalancePage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let names = try await placeNames(principal)
        var errors: [String: String] = [:]
        let asOf = dateField("asOf", visit, &errors) ?? Format.beijingDate(Date())
        let trial = try await ledger.trialBalance(asOf: asOf, by: principal)
        let rows: [[String: Any]] = trial.rows.compactMap { row in
            guard let account = AccountCode(row.code) else { return nil }
            return [
                "code": row.code, "name": Format.account(account, names, visit),
                "kind": visit.text("account_kind_\(row.kind.rawValue)"),
                "debit": row.debit == .zero ? "" : Format.money(row.debit),
                "credit": row.credit == .zero ? "" : Format.money(row.credit),
                "ledger": Views.address("/accounts/\(row.code)", [("to", asOf.description)]),
            ]
        }
        var data: [String: Any] = [
            "tabs": booksTabs(visit, current: "/trial-balance"), "rows": rows, "asOf": asOf.description,
            "totalDebit": Format.money(trial.totalDebit), "totalCredit": Format.money(trial.totalCredit),
            "balanced": trial.isBalanced,
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "trial-balance", title: visit.text("trial_title", ["date": asOf.description]), visit: visit, data: data,
            current: "/journal")
    }

    func ledgerPage(_ visit: Visit, code: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        guard let account = AccountCode(code) else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        let names = try await placeNames(principal)
        var errors: [String: String] = [:]
        let to = dateField("to", visit, &errors) ?? Format.beijingDate(Date())
        let yearStart = (try? CalendarDate(parsing: "\(to.year)-01-01", at: "")) ?? to
        let from = dateField("from", visit, &errors) ?? min(yearStart, to)
        var ledger: AccountLedger?
        do {
            ledger = try await self.ledger.accountLedger(
                code, from: from, to: to, cursor: visit.query.optional("cursor"), by: principal)
        } catch let error as ValidationError { keep(error, visit, &errors) }
        let lines: [[String: Any]] = (ledger?.lines ?? []).map { line in
            [
                "entry": "\(line.entryID)", "valueDate": line.valueDate.description,
                "kind": visit.text("entry_kind_\(line.kind.rawValue)"), "memo": line.memo,
                "debit": line.side == .debit ? Format.money(line.amount) : "",
                "credit": line.side == .credit ? Format.money(line.amount) : "",
                "balance": Format.money(line.balance),
                "journal": Views.address(
                    "/journal",
                    [("account", code), ("from", line.valueDate.description), ("to", line.valueDate.description)]),
            ]
        }
        let name = Format.account(account, names, visit)
        var data: [String: Any] = [
            "tabs": booksTabs(visit, current: ""), "code": code, "name": name, "lines": lines,
            "empty": lines.isEmpty, "from": from.description, "to": to.description,
            "kind": visit.text("account_kind_\(account.kind.rawValue)"),
            "continued": visit.query.optional("cursor") != nil,
        ]
        if let ledger {
            data["opening"] = Format.money(ledger.opening)
            data["closing"] = Format.money(ledger.closing)
            if let cursor = ledger.nextCursor {
                data["next"] = Views.address(
                    "/accounts/\(code)", [("from", from.description), ("to", to.description), ("cursor", cursor)])
            }
        }
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "ledger", title: visit.text("ledger_title", ["account": name]), visit: visit, data: data,
            current: "/journal")
    }

    static func receivableRow(_ receivable: FundStatement.Receivable, name: String) -> [String: Any] {
        [
            "name": name, "opening": Format.money(receivable.opening),
            "clawedBack": Format.money(receivable.clawedBack), "recovered": Format.money(receivable.recovered),
            "outstanding": Format.money(receivable.outstanding),
        ]
    }

    func fundStatementPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let names = try await placeNames(principal)
        let thisYear = Format.beijingDate(Date()).year
        var errors: [String: String] = [:]
        var year = thisYear
        if let asked = visit.query.optional("year") {
            if let number = Int(asked), CalendarDate.yearRange.contains(number) {
                year = number
            } else {
                errors["year"] = visit.catalog.message(kind: "invalid-value", pointer: "/year")
            }
        }
        let statement = try await ledger.fundStatement(fiscalYear: year, by: principal)
        func place(_ code: String) -> String { Format.place(code, names, visit.language) }
        func grant(_ grant: FundStatement.Grant) -> [String: Any] {
            [
                "name": place(grant.recipient), "granted": Format.money(grant.granted),
                "clawedBack": Format.money(grant.clawedBack), "net": Format.money(grant.net),
                "city": names[grant.recipient]?.level == .city,
            ]
        }
        // Each province's cities listed under it, then the province's subtotal.
        var groups: [[String: Any]] = []
        for province in statement.provinces {
            let members = statement.grants.filter {
                (names[$0.recipient]?.parent ?? $0.recipient) == province.recipient
            }
            groups.append([
                "members": members.map(grant), "subtotal": grant(province),
                "hasCities": members.contains { names[$0.recipient]?.level == .city },
            ])
        }
        var data: [String: Any] = [
            "tabs": booksTabs(visit, current: "/fund-statement"), "year": "\(year)",
            "years": (max(CalendarDate.yearRange.lowerBound, thisYear - 4)...thisYear).reversed().map { option in
                ["year": "\(option)", "current": option == year] as [String: Any]
            },
            "openingCash": Format.money(statement.openingCash), "closingCash": Format.money(statement.closingCash),
            "receipts": statement.receipts.map { receipt in
                [
                    "name": place(receipt.contributor), "received": Format.money(receipt.received),
                    "reversed": Format.money(receipt.reversed), "net": Format.money(receipt.net),
                ]
            },
            "receiptsNet": Format.money(statement.receiptsNet), "groups": groups,
            "grantsNet": Format.money(statement.grantsNet), "paymentsMade": Format.money(statement.paymentsMade),
            "payables": Format.money(statement.payablesOutstanding), "ties": statement.cashTies,
            "recoveries": Format.money(statement.recoveries), "clawedBack": Format.money(statement.clawedBack),
            "receivablesOutstanding": Format.money(statement.receivablesOutstanding),
            "receivables": statement.receivables.map { Self.receivableRow($0, name: place($0.recipient)) },
            "hasReceivables": !statement.receivables.isEmpty,
            "pledges": statement.pledges.map { pledge in
                [
                    "name": place(pledge.contributor), "pledged": Format.money(pledge.pledged),
                    "received": Format.money(pledge.received),
                    "percent": pledge.pledged.fen > 0
                        ? "\(min(100, pledge.received.fen * 100 / pledge.pledged.fen))" : "0",
                ]
            },
            "hasPledges": !statement.pledges.isEmpty,
            "trialBalance": Views.address("/trial-balance", [("asOf", "\(year)-12-31")]),
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "fund-statement", title: visit.text("statement_title", ["year": "\(year)"]), visit: visit, data: data,
            current: "/journal")
    }
}
