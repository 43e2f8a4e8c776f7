import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// The auditors' reads of the journal: entries by filter, an account's ledger with its running balance, and each
/// account's movements around a fiscal year. Fast at a million entries: filters walk an index in entry order
/// (Schema/013), and balances before a date come from the daily movements (Schema/012), never from every line.
extension JournalRepository {
    /// The ids of a page of entries, newest first, and whether more follow.
    ///
    /// With an account, the account's lines are walked backwards on their (account, entry) index (within the entry
    /// ids of a bounded date range, when one is given); with a kind, the (kind, id) index. A bounded date range
    /// without an account (as for contributions) is read from the (value date, id) index and sorted instead:
    /// walking ids backwards would read every newer entry before reaching an old month.
    static func entryIDs(_ filter: JournalFilter, on connection: PostgresConnection, logger: Logger) async throws
        -> (ids: [Int64], more: Bool)
    {
        var bindings = PostgresBindings()
        var conditions: [String] = []
        func bind(_ condition: (String) -> String, _ value: some PostgresNonThrowingEncodable & Sendable) {
            bindings.append(value)
            conditions.append(condition("$\(bindings.count)"))
        }
        let id = filter.account == nil ? "e.id" : "l.entry_id"
        if let account = filter.account { bind({ "l.account_code = \($0)" }, account.description) }
        if let kind = filter.kind { bind({ "e.kind = \($0)" }, kind.rawValue) }
        if let from = filter.from { bind({ "e.value_date >= \($0)" }, from) }
        if let to = filter.to { bind({ "e.value_date <= \($0)" }, to) }
        if let after = filter.afterEntryID { bind({ "\(id) < \($0)" }, after) }
        var bounded = false
        if let from = filter.from, let to = filter.to {
            bounded = from.days(to: to) <= ContributionRepository.boundedRangeDaysMax
        }
        if bounded, filter.account != nil, let from = filter.from, let to = filter.to {
            // An account's lines in a few months: the entry ids of those value dates bound the walk down the
            // account's (account, entry) index, so that an old month does not read every newer line first. The
            // bounds are read from the (value date, id) index: `id + 0`, or min and max walk the whole primary key
            // (107 ms at a million entries; 4 ms this way).
            bindings.append(from)
            bindings.append(to)
            let (first, last) = ("$\(bindings.count - 1)", "$\(bindings.count)")
            conditions.append(
                """
                l.entry_id BETWEEN (SELECT min(id + 0) FROM journal_entries WHERE value_date BETWEEN \(first) AND \(last))
                               AND (SELECT max(id + 0) FROM journal_entries WHERE value_date BETWEEN \(first) AND \(last))
                """)
            bounded = false
        }
        bindings.append(filter.limit + 1)
        let limit = "$\(bindings.count)"
        let source =
            filter.account == nil
            ? "FROM journal_entries e" : "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id"
        let sql =
            "SELECT \(id) \(source)" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY \(id)\(bounded ? " + 0" : "") DESC LIMIT \(limit)"
        var ids: [Int64] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await id in rows.decode(Int64.self) where ids.last != id { ids.append(id) }
        let more = ids.count > filter.limit
        return (Array(ids.prefix(filter.limit)), more)
    }

    /// Lines of `account` with value dates from `from` to `to`, after the position `after` (value date, entry id,
    /// line number), in that order; at most `limit`.
    static func ledgerLines(
        _ account: AccountCode, from: CalendarDate, to: CalendarDate, after: (CalendarDate, Int64, Int)?, limit: Int,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [(line: AccountLedger.Line, delta: Money)] {
        let start = after ?? (from, 0, 0)
        let rows = try await connection.query(
            """
            SELECT e.value_date::text, e.id, l.line_no, e.kind, e.memo, l.side, l.amount_fen
              FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
             WHERE l.account_code = \(account.description) AND e.value_date >= \(from) AND e.value_date <= \(to)
               AND (e.value_date, e.id, l.line_no) > (\(start.0), \(start.1), \(Int16(start.2)))
             ORDER BY e.value_date, e.id, l.line_no LIMIT \(limit)
            """, logger: logger)
        var lines: [(AccountLedger.Line, Money)] = []
        for try await (date, entry, lineNo, kind, memo, side, fen) in rows.decode(
            (String, Int64, Int16, String, String, String, Int64).self)
        {
            guard let kind = JournalEntry.Kind(rawValue: kind), let side = JournalEntry.Side(rawValue: side) else {
                throw UnreadableRow(detail: "journal entry \(entry) has a kind or side the ledger cannot read")
            }
            let amount = Money(fen: fen)
            let delta = (side == .debit) == account.kind.isDebitNormal ? amount : .zero - amount
            lines.append(
                (
                    AccountLedger.Line(
                        entryID: entry, lineNo: Int(lineNo), valueDate: try CalendarDate(parsing: date, at: ""),
                        kind: kind, memo: memo, side: side, amount: amount, balance: .zero),
                    delta
                ))
        }
        return lines
    }

    /// The balance of `account` on its normal side just after the position (value date, entry id, line number):
    /// the kept daily movements before that day, and that day's lines up to the position.
    static func balance(
        _ account: AccountCode, through position: (CalendarDate, Int64, Int), on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Money {
        let rows = try await connection.query(
            """
            SELECT (SELECT coalesce(sum(debit_fen), 0) FROM account_daily_movements
                     WHERE account_code = \(account.description) AND value_date < \(position.0))::bigint
                   + coalesce(sum(l.amount_fen) FILTER (WHERE l.side = 'debit'), 0)::bigint,
                   (SELECT coalesce(sum(credit_fen), 0) FROM account_daily_movements
                     WHERE account_code = \(account.description) AND value_date < \(position.0))::bigint
                   + coalesce(sum(l.amount_fen) FILTER (WHERE l.side = 'credit'), 0)::bigint
              FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
             WHERE l.account_code = \(account.description) AND e.value_date = \(position.0)
               AND (e.id, l.line_no) <= (\(position.1), \(Int16(position.2)))
            """, logger: logger)
        for try await (debits, credits) in rows.decode((Int64, Int64).self) {
            return AccountBalance(account, Money(fen: debits), Money(fen: credits)).balance
        }
        return .zero
    }

    /// Every account's debits and credits before `from`, and from `from` to `to`, from the kept daily movements.
    static func accountYears(from: CalendarDate, to: CalendarDate, on connection: PostgresConnection, logger: Logger)
        async throws -> [AccountYear]
    {
        let rows = try await connection.query(
            """
            SELECT a.code,
                   coalesce(sum(m.debit_fen) FILTER (WHERE m.value_date < \(from)), 0)::bigint,
                   coalesce(sum(m.credit_fen) FILTER (WHERE m.value_date < \(from)), 0)::bigint,
                   coalesce(sum(m.debit_fen) FILTER (WHERE m.value_date >= \(from)), 0)::bigint,
                   coalesce(sum(m.credit_fen) FILTER (WHERE m.value_date >= \(from)), 0)::bigint
              FROM accounts a
              LEFT JOIN account_daily_movements m ON m.account_code = a.code AND m.value_date <= \(to)
             GROUP BY a.code ORDER BY a.code
            """, logger: logger)
        var years: [AccountYear] = []
        for try await (code, debitsBefore, creditsBefore, debits, credits) in rows.decode(
            (String, Int64, Int64, Int64, Int64).self)
        {
            guard let account = AccountCode(code) else {
                throw UnreadableRow(detail: "account \(code) is not a code of the chart of accounts")
            }
            years.append(
                AccountYear(
                    account: account, debitsBefore: Money(fen: debitsBefore), creditsBefore: Money(fen: creditsBefore),
                    debitsInYear: Money(fen: debits), creditsInYear: Money(fen: credits)))
        }
        return years
    }
}
