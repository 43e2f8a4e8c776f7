import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Pledges per contributor and fiscal year, and how far each is fulfilled by contributions.
public struct CommitmentService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    /// The fulfilled amount is computed from contributions (net of reversals) dated in the fiscal year.
    static let selectColumns = """
        SELECT m.id, m.contributor, m.fiscal_year, m.amount_fen, m.memo, u.subject, m.recorded_at,
               coalesce((SELECT sum(c.amount_fen) FROM contributions c
                          WHERE c.contributor = m.contributor
                            AND c.value_date >= make_date(m.fiscal_year, 1, 1)
                            AND c.value_date < make_date(m.fiscal_year + 1, 1, 1)
                            AND NOT EXISTS (SELECT 1 FROM contribution_reversals r WHERE r.contribution_id = c.id)),
                        0)::bigint
          FROM commitments m JOIN users u ON u.id = m.recorded_by
        """

    /// Records a pledge. One pledge per contributor and fiscal year: a second is a conflict.
    public func create(_ request: CommitmentRequest, by principal: Principal, idempotencyKey: String?) async throws
        -> Keyed<Commitment>
    {
        try principal.require(.finance, .admin, to: "record commitments")
        try principal.requireActsFor(request.contributor, to: "record a commitment")
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createCommitment", request: request, principal: principal,
                on: connection, logger: logger
            ) {
                let account = AccountCode.contributions(request.contributor)
                guard
                    try await JournalRepository.currentBalances([account], on: connection, logger: logger)[
                        account.description] != nil
                else {
                    throw ValidationError(
                        .unknownReference, at: "/contributor", "\(request.contributor) is not a contributor to the fund"
                    )
                }
                let id = UUID()
                let inserted = try await connection.query(
                    """
                    INSERT INTO commitments (id, contributor, fiscal_year, amount_fen, memo, recorded_by)
                    VALUES (\(id), \(request.contributor), \(request.fiscalYear), \(request.amount.fen), \(request.memo), \(principal.userID))
                    ON CONFLICT (contributor, fiscal_year) DO NOTHING RETURNING id
                    """, logger: logger)
                var created = false
                for try await _ in inserted { created = true }
                guard created else {
                    throw StoreError(
                        .conflict, "\(request.contributor) already has a commitment for \(request.fiscalYear)")
                }
                try await AuditRepository.record(
                    "commitment.recorded", actor: principal.subject,
                    payload: CommitmentEvent(
                        id: id, contributor: request.contributor, fiscalYear: request.fiscalYear,
                        amount: request.amount.decimalString),
                    on: connection, logger: logger)
                guard
                    let commitment = try await Self.list(
                        id: id, fiscalYear: nil, contributor: nil, on: connection, logger: logger
                    ).first
                else {
                    preconditionFailure("commitment \(id) vanished inside its own transaction")
                }
                return commitment
            }
        }
    }

    /// Commitments, optionally of one fiscal year or contributor, ordered by year and contributor.
    public func list(fiscalYear: Int?, contributor: String?) async throws -> [Commitment] {
        try await database.read { connection in
            try await Self.list(
                id: nil, fiscalYear: fiscalYear, contributor: contributor, on: connection, logger: logger)
        }
    }

    static func list(
        id: UUID?, fiscalYear: Int?, contributor: String?, on connection: PostgresConnection,
        logger: Logger
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

struct CommitmentEvent: Encodable, Sendable {
    let id: UUID
    let contributor: String
    let fiscalYear: Int
    let amount: String
    let currency = Money.currency
}
