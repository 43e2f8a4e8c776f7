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

    /// Inserts the row and its audit event, in one statement, and returns the contribution as recorded, without
    /// reading it back.
    static func insert(
        id: UUID, _ request: ContributionRequest, entryID: Int64, by principal: Principal,
        recording event: AuditRepository.Event, on connection: PostgresConnection, logger: Logger
    ) async throws -> Contribution {
        let inserted = InsertContribution(
            id: id, request: request, entryID: entryID, recordedBy: principal.userID, event: event)
        guard let recordedAt = try await connection.execute(hot: inserted, logger: logger).first else {
            preconditionFailure("INSERT … RETURNING returned no row")
        }
        return Contribution(
            id: id, contributor: request.contributor, amount: request.amount, valueDate: request.valueDate,
            reference: request.reference, memo: request.memo, entryID: entryID, recordedBy: principal.subject,
            recordedAt: recordedAt, reversal: nil)
    }

    private struct InsertContribution: HotStatement {
        static let sql = """
            WITH event AS (INSERT INTO audit_events (type, actor, payload) VALUES ($9, $10, $11::jsonb))
            INSERT INTO contributions (id, contributor, amount_fen, value_date, reference, memo, entry_id, recorded_by)
            VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8)
            RETURNING recorded_at
            """
        let id: UUID
        let request: ContributionRequest
        let entryID: Int64
        let recordedBy: UUID
        let event: AuditRepository.Event

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 11)
            bindings.append(id)
            bindings.append(request.contributor)
            bindings.append(request.amount.fen)
            bindings.append(request.valueDate.description)
            bindings.append(request.reference)
            bindings.append(request.memo)
            bindings.append(entryID)
            bindings.append(recordedBy)
            bindings.append(event.type)
            bindings.append(event.actor)
            bindings.append(event.json)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Date { try row.decode(Date.self) }
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
