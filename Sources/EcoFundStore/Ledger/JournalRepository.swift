import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for journal entries, lines and stored balances. Balances move only through the line trigger.
enum JournalRepository {
    /// Inserts an entry and its lines in one statement; returns the entry id.
    static func insert(
        _ entry: JournalEntry, recordedBy actor: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int64 {
        guard let id = try await connection.execute(hot: InsertEntry(entry: entry, actor: actor), logger: logger).first
        else { preconditionFailure("INSERT … RETURNING returned no row") }
        return id
    }

    private struct InsertEntry: HotStatement {
        static let sql = """
            WITH entry AS (
                INSERT INTO journal_entries (kind, value_date, memo, reverses, recorded_by)
                VALUES ($1, $2::date, $3, $4, $5)
                RETURNING id
            ), lines AS (
                INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen)
                SELECT entry.id, line.line_no, line.account_code, line.side, line.amount_fen
                  FROM entry, unnest($6::text[], $7::text[], $8::bigint[])
                       WITH ORDINALITY AS line (account_code, side, amount_fen, line_no)
            )
            SELECT id FROM entry
            """
        let entry: JournalEntry
        let actor: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 8)
            bindings.append(entry.kind.rawValue)
            bindings.append(entry.valueDate.description)
            bindings.append(entry.memo)
            bindings.append(entry.reverses)
            bindings.append(actor)
            bindings.append(entry.lines.map(\.account.description))
            bindings.append(entry.lines.map(\.side.rawValue))
            bindings.append(entry.lines.map(\.amount.fen))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }

    /// The stored balances of `accounts`; an account missing from the result does not exist. Not locked: this is
    /// the code-side check, and the line trigger's UPDATE (under the row lock, with the CHECK) has the last word.
    static func currentBalances(_ accounts: [AccountCode], on connection: PostgresConnection, logger: Logger)
        async throws -> [String: Money]
    {
        let codes = Set(accounts.map(\.description)).sorted()
        var balances: [String: Money] = [:]
        let rows = try await connection.query(
            """
            SELECT account_code, balance_fen FROM account_balances
             WHERE account_code = ANY(\(codes)::text[])
            """, logger: logger)
        for try await (code, fen) in rows.decode((String, Int64).self) { balances[code] = Money(fen: fen) }
        return balances
    }

    /// Balances from the stored cache (now) or, up to a value date (`asOf`), from the daily movements the line
    /// trigger keeps (Schema/012): one row per account and day, not every line.
    static func balances(codes: [String]?, asOf: CalendarDate?, on connection: PostgresConnection, logger: Logger)
        async throws -> [AccountBalance]
    {
        let rows: PostgresRowSequence
        if let asOf {
            rows = try await connection.query(
                """
                SELECT a.code, a.type, coalesce(sum(m.debit_fen), 0)::bigint, coalesce(sum(m.credit_fen), 0)::bigint
                  FROM accounts a
                  LEFT JOIN account_daily_movements m ON m.account_code = a.code AND m.value_date <= \(asOf)
                 WHERE \(codes)::text[] IS NULL OR a.code = ANY(\(codes)::text[])
                 GROUP BY a.code, a.type ORDER BY a.code
                """, logger: logger)
        } else {
            rows = try await connection.query(
                """
                SELECT a.code, a.type, b.debit_fen, b.credit_fen
                  FROM accounts a JOIN account_balances b ON b.account_code = a.code
                 WHERE \(codes)::text[] IS NULL OR a.code = ANY(\(codes)::text[])
                 ORDER BY a.code
                """, logger: logger)
        }
        var balances: [AccountBalance] = []
        for try await (code, type, debits, credits) in rows.decode((String, String, Int64, Int64).self) {
            guard let kind = AccountCode.Kind(rawValue: type) else {
                preconditionFailure("account \(code) has type \(type), which the schema does not allow")
            }
            balances.append(
                AccountBalance(code: code, kind: kind, debits: Money(fen: debits), credits: Money(fen: credits)))
        }
        return balances
    }

    /// Accounts and value dates whose kept daily movements differ from their lines, as `{account} {date}`.
    static func mismatchedMovements(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var found: [String] = []
        let rows = try await connection.query(
            "SELECT account_code, value_date::text FROM account_daily_movements_mismatched()", logger: logger)
        for try await (code, date) in rows.decode((String, String).self) { found.append("\(code) \(date)") }
        return found
    }

    /// Accounts whose stored balance differs from the sum of their lines (DESIGN.md invariant 4); empty when sound.
    static func mismatchedBalances(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query(
            """
            SELECT b.account_code
              FROM account_balances b JOIN accounts a ON a.code = b.account_code
              LEFT JOIN (SELECT account_code,
                                sum(amount_fen) FILTER (WHERE side = 'debit') AS debits,
                                sum(amount_fen) FILTER (WHERE side = 'credit') AS credits
                           FROM journal_lines GROUP BY account_code) s ON s.account_code = b.account_code
             WHERE b.debit_fen <> coalesce(s.debits, 0) OR b.credit_fen <> coalesce(s.credits, 0)
                OR b.balance_fen <> CASE WHEN account_normal_debit(a.type)
                                         THEN coalesce(s.debits, 0) - coalesce(s.credits, 0)
                                         ELSE coalesce(s.credits, 0) - coalesce(s.debits, 0) END
            """, logger: logger)
        var codes: [String] = []
        for try await code in rows.decode(String.self) { codes.append(code) }
        return codes
    }

    /// Opens an account (and, through its trigger, its balance row) unless it exists.
    static func openAccount(_ account: AccountCode, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO accounts (code, type, jurisdiction, non_negative)
            VALUES (\(account.description), \(account.kind.rawValue), \(account.jurisdiction), \(account.isNonNegative))
            ON CONFLICT (code) DO NOTHING
            """, logger: logger)
    }
}

extension JournalRepository {
    /// Entries by id with their lines, in id order; an id that names no entry is left out.
    static func entries(_ ids: [Int64], on connection: PostgresConnection, logger: Logger) async throws
        -> [PostedEntry]
    {
        var lines: [Int64: [JournalEntry.Line]] = [:]
        let lineRows = try await connection.query(
            """
            SELECT entry_id, account_code, side, amount_fen FROM journal_lines
             WHERE entry_id = ANY(\(ids)::bigint[]) ORDER BY entry_id, line_no
            """, logger: logger)
        for try await (entry, code, side, fen) in lineRows.decode((Int64, String, String, Int64).self) {
            guard let account = AccountCode(code), let side = JournalEntry.Side(rawValue: side) else {
                throw UnreadableRow(detail: "journal entry \(entry) has a line \(code) \(side) the ledger cannot read")
            }
            lines[entry, default: []].append(JournalEntry.Line(side, account, Money(fen: fen)))
        }
        var entries: [PostedEntry] = []
        let rows = try await connection.query(
            """
            SELECT id, kind, value_date::text, memo, reverses, recorded_by, recorded_at FROM journal_entries
             WHERE id = ANY(\(ids)::bigint[]) ORDER BY id
            """, logger: logger)
        for try await (id, kind, date, memo, reverses, by, at) in rows.decode(
            (Int64, String, String, String, Int64?, String, Date).self)
        {
            guard let kind = JournalEntry.Kind(rawValue: kind), let lines = lines[id] else {
                throw UnreadableRow(detail: "journal entry \(id) of kind \(kind) cannot be read back")
            }
            let date = try CalendarDate(parsing: date, at: "")
            entries.append(
                PostedEntry(
                    id: id,
                    entry: JournalEntry(kind: kind, valueDate: date, memo: memo, lines: lines, reverses: reverses),
                    recordedBy: by, recordedAt: at))
        }
        return entries
    }
}

/// A journal entry as stored: its id and who recorded it when.
public struct PostedEntry: Hashable, Sendable {
    public let id: Int64
    public let entry: JournalEntry
    public let recordedBy: String
    public let recordedAt: Date
}

/// A row that the schema's checks should have kept out: a broken database, reported as a server error.
struct UnreadableRow: Error, CustomStringConvertible {
    let detail: String
    var description: String { detail }
}
