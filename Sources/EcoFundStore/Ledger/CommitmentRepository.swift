import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for pledges. What a pledge has received is the SQL function `commitment_fulfilled_fen` (Schema/007), the one
/// definition the API and the audit export share.
enum CommitmentRepository {
    static let selectColumns = """
        SELECT m.id, m.contributor, m.fiscal_year, m.amount_fen, m.memo, u.subject, m.recorded_at,
               commitment_fulfilled_fen(m.contributor, m.fiscal_year)
          FROM commitments m JOIN users u ON u.id = m.recorded_by
        """

    /// Inserts a pledge; false when the contributor already has one for the fiscal year.
    static func insert(
        id: UUID, _ request: CommitmentRequest, by principal: Principal, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO commitments (id, contributor, fiscal_year, amount_fen, memo, recorded_by)
            VALUES (\(id), \(request.contributor), \(request.fiscalYear), \(request.amount.fen), \(request.memo), \(principal.userID))
            ON CONFLICT (contributor, fiscal_year) DO NOTHING RETURNING id
            """, logger: logger)
        for try await _ in inserted { return true }
        return false
    }

    /// Pledges (one by `id`, or of a fiscal year or contributor), ordered by year and contributor.
    static func list(
        id: UUID?, fiscalYear: Int?, contributor: String?, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Commitment] {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(fiscalYear)
        bindings.append(contributor)
        let sql =
            selectColumns + """
                 WHERE ($1::uuid IS NULL OR m.id = $1) AND ($2::integer IS NULL OR m.fiscal_year = $2)
                   AND ($3::text IS NULL OR m.contributor = $3)
                 ORDER BY m.fiscal_year, m.contributor
                """
        var commitments: [Commitment] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode((UUID, String, Int, Int64, String, String, Date, Int64).self) {
            commitments.append(
                Commitment(
                    id: row.0, contributor: row.1, fiscalYear: row.2, amount: Money(fen: row.3),
                    fulfilled: Money(fen: row.7), memo: row.4, recordedBy: row.5, recordedAt: row.6))
        }
        return commitments
    }
}
