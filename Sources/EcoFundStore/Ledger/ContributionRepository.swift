import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for contributions and their reversals.
enum ContributionRepository {
    /// A contribution with who recorded it and its reversal, if any: `c`, `u` (recorder), `r` (reversal) and `ru`
    /// (reverser). The list, the detail and the audit export all read contributions through it.
    static let withPeopleAndReversal = """
          FROM contributions c
          JOIN users u ON u.id = c.recorded_by
          LEFT JOIN contribution_reversals r ON r.contribution_id = c.id
          LEFT JOIN users ru ON ru.id = r.reversed_by
        """

    static let selectColumns = """
        SELECT c.id, c.contributor, c.amount_fen, c.value_date::text, c.reference, c.memo, c.entry_id, u.subject,
               c.recorded_at, r.entry_id, r.reason, ru.subject, r.reversed_at
        """ + withPeopleAndReversal

    /// Writes `contributions` with `record_contributions` (Schema/019): each its entry with its lines, its audit event
    /// and its row, each an item of its own (the items between them ended there; the last one's end is the caller's,
    /// as for any write of a batch). One round trip for all of them. Returns each as recorded, in order, without
    /// reading it back.
    static func record(_ contributions: [NewContribution], on connection: PostgresConnection, logger: Logger)
        async throws -> [Contribution]
    {
        let recorded = try await connection.execute(
            hot: RecordContributions(contributions: contributions), logger: logger)
        guard recorded.count == contributions.count else {
            preconditionFailure("record_contributions returned \(recorded.count) rows for \(contributions.count)")
        }
        return zip(contributions, recorded).map { $0.recorded(entryID: $1.entryID, at: $1.recordedAt) }
    }

    private struct RecordContributions: HotStatement {
        static let sql = """
            SELECT entry_id, recorded_at
              FROM record_contributions($1::uuid[], $2::text[], $3::bigint[], $4::date[], $5::text[], $6::text[],
                                        $7::uuid[], $8::text[], $9::text[], $10::jsonb[],
                                        $11::integer[], $12::text[], $13::text[], $14::bigint[])
            """
        let contributions: [NewContribution]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 14)
            bindings.append(contributions.map(\.id))
            bindings.append(contributions.map(\.request.contributor))
            bindings.append(contributions.map(\.request.amount.fen))
            bindings.append(contributions.map(\.request.valueDate.description))
            bindings.append(contributions.map(\.request.reference))
            bindings.append(contributions.map(\.request.memo))
            bindings.append(contributions.map(\.principal.userID))
            bindings.append(contributions.map(\.principal.subject))
            bindings.append(contributions.map(\.entry.memo))
            bindings.append(contributions.map(\.eventJSON))
            bindings.append(contributions.map(\.entry.lines.count))
            let lines = contributions.flatMap(\.entry.lines)
            bindings.append(lines.map(\.account.description))
            bindings.append(lines.map(\.side.rawValue))
            bindings.append(lines.map(\.amount.fen))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (entryID: Int64, recordedAt: Date) {
            let (entryID, recordedAt) = try row.decode((Int64, Date).self)
            return (entryID, recordedAt)
        }
    }

    static func find(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Contribution? {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: selectColumns + " WHERE c.id = $1", binds: try binds(id)), logger: logger)
        return try await decode(rows).first
    }

    /// A page of contributions, newest entry first, after the entry id in `cursor`.
    ///
    /// Only the filters given are in the SQL, dates bound as dates. A date range of at most
    /// ``boundedRangeDaysMax`` days is read from the (value date, entry id) index and sorted: walking entry ids
    /// backwards would read every newer contribution before reaching an old month. A wider range, or none, walks
    /// the entry ids, where most of what is read is kept.
    static func list(_ filter: ContributionFilter, on connection: PostgresConnection, logger: Logger)
        async throws -> [Contribution]
    {
        var bindings = PostgresBindings()
        var conditions: [String] = []
        func bind(_ condition: (String) -> String, _ value: some PostgresNonThrowingEncodable & Sendable) {
            bindings.append(value)
            conditions.append(condition("$\(bindings.count)"))
        }
        if let contributor = filter.contributor { bind({ "c.contributor = \($0)" }, contributor) }
        if let from = filter.from { bind({ "c.value_date >= \($0)" }, from) }
        if let to = filter.to { bind({ "c.value_date <= \($0)" }, to) }
        if let after = filter.afterEntryID { bind({ "c.entry_id < \($0)" }, after) }
        bindings.append(filter.limit + 1)
        let limit = "$\(bindings.count)"
        var bounded = false
        if let from = filter.from, let to = filter.to { bounded = from.days(to: to) <= boundedRangeDaysMax }
        // `entry_id + 0` is not an ordered path, so the planner reads the bounded range and sorts what it found.
        let order = bounded ? "c.entry_id + 0 DESC" : "c.entry_id DESC"
        let sql =
            selectColumns + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY \(order) LIMIT \(limit)"
        return try await decode(
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
    }

    /// The widest date range read by its index and sorted rather than walked: a year and a bit.
    static let boundedRangeDaysMax = 400

    /// Contributors' yearly totals that differ from their contributions, as `contributions:{code} {year}`.
    static func mismatchedYearTotals(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var found: [String] = []
        let rows = try await connection.query(
            "SELECT contributor, fiscal_year FROM contribution_year_totals_mismatched()", logger: logger)
        for try await (code, year) in rows.decode((String, Int).self) { found.append("contributions:\(code) \(year)") }
        return found
    }

    static func insertReversal(
        of id: UUID, entryID: Int64, reason: String, by principal: Principal,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO contribution_reversals (contribution_id, entry_id, reason, reversed_by)
            VALUES (\(id), \(entryID), \(reason), \(principal.userID))
            """, logger: logger)
    }

    private static func binds(_ id: UUID) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        return bindings
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Contribution] {
        var contributions: [Contribution] = []
        for try await row in rows.decode(
            (UUID, String, Int64, String, String, String, Int64, String, Date, Int64?, String?, String?, Date?).self)
        {
            let reversal: Contribution.Reversal? =
                if let entryID = row.9, let reason = row.10, let by = row.11, let at = row.12 {
                    Contribution.Reversal(entryID: entryID, reason: reason, reversedBy: by, reversedAt: at)
                } else { nil }
            contributions.append(
                Contribution(
                    id: row.0, contributor: row.1, amount: Money(fen: row.2),
                    valueDate: try CalendarDate(parsing: row.3, at: ""), reference: row.4, memo: row.5,
                    entryID: row.6, recordedBy: row.7, recordedAt: row.8, reversal: reversal))
        }
        return contributions
    }
}
