import EcoFundCore
import Foundation
import PostgresNIO

/// What auditors read of the books: the journal, an account's ledger, the fund statement of a year.
extension LedgerService {
    /// A page of journal entries, newest first, each with its lines and the audit events of its transaction.
    public func journal(_ filter: JournalFilter, by principal: Principal) async throws -> Page<JournalRecord> {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let (ids, more) = try await JournalRepository.entryIDs(filter, on: connection, logger: logger)
            let entries = try await JournalRepository.entries(ids, on: connection, logger: logger)
            let events = try await AuditRepository.eventsByEntry(ids, on: connection, logger: logger)
            let records = entries.sorted { $0.id > $1.id }.map {
                JournalRecord(entry: $0, events: events[$0.id] ?? [])
            }
            return Page(items: records, nextCursor: more ? ids.last.map { Cursor.encode(entryID: $0) } : nil)
        }
    }

    /// The lines of one account with value dates from `from` to `to`, a page at a time, each with the balance after
    /// it; with the balance before `from` and at the end of `to`.
    ///
    /// - Parameter cursor: the `nextCursor` of the previous page.
    /// - Throws: ``StoreError/Code/notFound`` for a code that is no account's; a ``ValidationError`` for a range
    ///   that ends before it starts, or a cursor or limit that is not one.
    public func accountLedger(
        _ code: String, from: CalendarDate, to: CalendarDate, cursor: String? = nil, limit: Int? = nil,
        by principal: Principal
    ) async throws -> AccountLedger {
        try principal.authorize(.readBooks)
        guard to >= from else { throw ValidationError(.invalidValue, at: "to", "must not be before from") }
        let limit = try AccountLedger.page.items(limit)
        let after = try cursor.map { (text) throws(ValidationError) -> (CalendarDate, Int64, Int) in
            let parts = try Cursor.decode(text, .ledgerLine, count: 3)
            guard let date = CalendarDate(daysSinceEpoch: parts[0]), parts[1] > 0, (1...1000).contains(parts[2]) else {
                throw ValidationError(.invalidValue, at: "cursor", "is not a cursor this server handed out")
            }
            return (date, parts[1], Int(parts[2]))
        }
        guard let account = AccountCode(code) else { throw StoreError(.notFound, "no account \(code)") }
        return try await database.read { connection in
            let balances = try await JournalRepository.balances(
                codes: [account.description], asOf: to, on: connection, logger: logger)
            guard let closing = balances.first else { throw StoreError(.notFound, "no account \(code)") }
            let opening: Money =
                if let before = from.adding(days: -1) {
                    try await JournalRepository.balances(
                        codes: [account.description], asOf: before, on: connection, logger: logger
                    ).first?.balance ?? .zero
                } else { .zero }
            var running =
                if let after {
                    try await JournalRepository.balance(account, through: after, on: connection, logger: logger)
                } else { opening }
            let found = try await JournalRepository.ledgerLines(
                account, from: from, to: to, after: after, limit: limit + 1, on: connection, logger: logger)
            var lines: [AccountLedger.Line] = []
            for (line, delta) in found.prefix(limit) {
                running = running + delta
                lines.append(
                    AccountLedger.Line(
                        entryID: line.entryID, lineNo: line.lineNo, valueDate: line.valueDate, kind: line.kind,
                        memo: line.memo, side: line.side, amount: line.amount, balance: running))
            }
            let next =
                found.count > limit
                ? lines.last.map {
                    Cursor.encode(.ledgerLine, [$0.valueDate.daysSinceEpoch, $0.entryID, Int64($0.lineNo)])
                }
                : nil
            return AccountLedger(
                account: account, from: from, to: to, opening: opening, closing: closing.balance, lines: lines,
                nextCursor: next)
        }
    }

    /// The fund statement of a fiscal year (the calendar year), from the accounts' kept daily movements and the
    /// year's pledges. Its closing cash and payables are the trial balance's of 31 December.
    public func fundStatement(fiscalYear: Int, by principal: Principal) async throws -> FundStatement {
        try principal.authorize(.readBooks)
        try CalendarDate.validateFiscalYear(fiscalYear, at: "fiscalYear")
        let from = try CalendarDate(parsing: "\(fiscalYear)-01-01", at: "fiscalYear")
        let to = try CalendarDate(parsing: "\(fiscalYear)-12-31", at: "fiscalYear")
        return try await database.read { connection in
            let years = try await JournalRepository.accountYears(from: from, to: to, on: connection, logger: logger)
            let places = try await JurisdictionRepository.select(code: nil, on: connection, logger: logger)
            let parents = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0.parent ?? $0.code) })
            let commitments = try await CommitmentRepository.list(
                id: nil, fiscalYear: fiscalYear, contributor: nil, on: connection, logger: logger)
            let pledged = Dictionary(commitments.map { ($0.contributor, $0.amount) }, uniquingKeysWith: +)
            return FundStatement(
                fiscalYear: fiscalYear, accounts: years, provinceOf: { parents[$0] ?? $0 }, pledged: pledged)
        }
    }
}
