import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// The fund at a glance, for everyone's dashboard: what is in the bank and what of it is spoken for, this year's
/// pledges against receipts, what each place was granted per resident, how far the audit log is sealed, and what
/// waits for the caller.
public struct FundOverviewService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    public struct Contributor: Sendable, Hashable {
        public let code: String
        public let pledged: Money
        public let received: Money
    }

    public struct Grant: Sendable, Hashable {
        public let code: String
        /// What was posted to the place, all years.
        public let granted: Money
        /// Residents, from the reference data (a decimal string).
        public let population: ExactDecimal
    }

    public struct Overview: Sendable {
        public let cash: Money
        /// Cash less payables and approved runs: what a new run may still commit.
        public let available: Money
        public let approvedNotPosted: Money
        public let payables: Money
        public let fiscalYear: Int
        public let contributors: [Contributor]
        public let grants: [Grant]
        /// The latest signed checkpoint: its size and when it was signed (UTC text), if any.
        public let checkpointSize: Int64?
        public let checkpointIssuedAt: String?
        public let unsealedEvents: Int64
        /// Runs waiting for this caller to decide (an approver: proposed runs someone else proposed).
        public let waiting: [RunSummary]
    }

    /// The overview as of now, for a fiscal year (this year in Beijing, as the page says).
    public func overview(fiscalYear: Int, by principal: Principal) async throws -> Overview {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let figures = try await OverviewRepository.figures(on: connection, logger: logger)
            let contributors = try await OverviewRepository.contributors(
                fiscalYear: fiscalYear, on: connection, logger: logger)
            let grants = try await OverviewRepository.grants(on: connection, logger: logger)
            let checkpoint = try await AuditRepository.latestCheckpoint(on: connection, logger: logger)
            let unsealed = try await AuditRepository.unsealedSinceWatermark(on: connection, logger: logger)
            var waiting: [RunSummary] = []
            if principal.may(.approveRuns) {
                waiting = try await RunRepository.summaries(
                    status: .proposed, limit: 20, on: connection, logger: logger
                )
                .filter { $0.proposedBy != principal.subject }
            }
            return Overview(
                cash: Money(fen: figures.cash), available: Money(fen: figures.available),
                approvedNotPosted: Money(fen: figures.approved), payables: Money(fen: figures.payables),
                fiscalYear: fiscalYear, contributors: contributors, grants: grants,
                checkpointSize: checkpoint?.checkpoint.treeSize, checkpointIssuedAt: checkpoint?.checkpoint.issuedAt,
                unsealedEvents: unsealed, waiting: waiting)
        }
    }
}

/// SQL of the overview: stored balances and maintained figures only, so that it costs a few index lookups at any
/// size of the books.
enum OverviewRepository {
    static func figures(on connection: PostgresConnection, logger: Logger) async throws
        -> (cash: Int64, available: Int64, approved: Int64, payables: Int64)
    {
        let rows = try await connection.query(
            """
            SELECT coalesce((SELECT balance_fen FROM account_balances WHERE account_code = 'fund:cash'), 0),
                   fund_uncommitted_fen()::bigint,
                   (SELECT coalesce(sum(allocated_fen), 0) FROM disbursement_runs WHERE status = 'approved')::bigint,
                   (SELECT coalesce(sum(balance_fen), 0) FROM account_balances WHERE account_code LIKE 'payable:%')::bigint
            """, logger: logger)
        for try await row in rows.decode((Int64, Int64, Int64, Int64).self) { return row }
        preconditionFailure("a SELECT of four figures returned no row")
    }

    /// Each contributor's pledge for the year against what it has received (`commitment_fulfilled_fen`).
    static func contributors(fiscalYear: Int, on connection: PostgresConnection, logger: Logger) async throws
        -> [FundOverviewService.Contributor]
    {
        let rows = try await connection.query(
            """
            SELECT j.code, coalesce(m.amount_fen, 0), commitment_fulfilled_fen(j.code, \(Int32(fiscalYear)))
              FROM jurisdictions j JOIN accounts a ON a.code = 'contributions:' || j.code
              LEFT JOIN commitments m ON m.contributor = j.code AND m.fiscal_year = \(Int32(fiscalYear))
             ORDER BY j.code
            """, logger: logger)
        var contributors: [FundOverviewService.Contributor] = []
        for try await (code, pledged, received) in rows.decode((String, Int64, Int64).self) {
            contributors.append(.init(code: code, pledged: Money(fen: pledged), received: Money(fen: received)))
        }
        return contributors
    }

    /// What each city and province was granted (its `disbursements:` balance), with its residents.
    static func grants(on connection: PostgresConnection, logger: Logger) async throws -> [FundOverviewService.Grant] {
        let rows = try await connection.query(
            """
            SELECT j.code, coalesce(b.balance_fen, 0), (j.population * 100)::bigint
              FROM jurisdictions j LEFT JOIN account_balances b ON b.account_code = 'disbursements:' || j.code
             ORDER BY j.code
            """, logger: logger)
        var grants: [FundOverviewService.Grant] = []
        for try await (code, fen, hundredths) in rows.decode((String, Int64, Int64).self) {
            grants.append(.init(code: code, granted: Money(fen: fen), population: ExactDecimal(hundredths: hundredths)))
        }
        return grants
    }
}
