import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// Each contributor's yearly total (what a pledge's fulfilment reads, Schema/011) follows its contributions and
/// reversals, and nothing else moves it: raw SQL as the service role or as the owner is refused.
@Suite struct ContributionTotalsTests {
    @Test func theTotalsFollowContributionsAndReversalsByValueYear() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                let ledger = LedgerService(database: app)
                let finance = try await database.principal(.finance, jurisdiction: "beijing")
                var recorded: [Contribution] = []
                for (amount, date) in [("100.00", "2025-03-01"), ("250.50", "2025-12-31"), ("7.00", "2026-01-01")] {
                    let request = try ContributionRequest(
                        contributor: "beijing", amount: amount, currency: "CNY", valueDate: date,
                        reference: "TOT-\(date)", memo: nil)
                    recorded.append(
                        try await ledger.recordContribution(
                            request, by: finance, idempotencyKey: try IdempotencyKey("t-\(date)")
                        ).value)
                }
                _ = try await ledger.reverseContribution(
                    id: recorded[0].id, try ReversalRequest(reason: "entered twice", valueDate: "2026-02-01"),
                    by: finance, idempotencyKey: try IdempotencyKey("r"))
                let auditor = try await database.principal(.auditor)
                let commitments = CommitmentService(database: app)
                _ = try await commitments.create(
                    try CommitmentRequest(
                        contributor: "beijing", fiscalYear: 2025, amount: "1000.00", currency: "CNY", memo: nil),
                    by: finance, idempotencyKey: nil)
                let pledge = try #require(
                    try await commitments.list(fiscalYear: 2025, contributor: "beijing", by: auditor).first)
                #expect(pledge.fulfilled == Money(fen: 25_050), "2025 holds 250.50 once the 100.00 is reversed")
                #expect(try await ledger.mismatchedBalances().isEmpty)
                #expect(try await database.count("contribution_year_totals WHERE fiscal_year = 2026") == 1)
            }
        }
    }

    @Test func nothingButTheTriggersMovesATotal() async throws {
        try await TestDatabase.with { database in
            let statements = [
                "INSERT INTO contribution_year_totals VALUES ('tianjin', 2030, 1)",
                "UPDATE contribution_year_totals SET received_fen = received_fen + 1",
                "DELETE FROM contribution_year_totals",
            ]
            try await database.withApp { app in
                // A row to aim at: row triggers fire only where there are rows.
                let request = try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2030-01-02",
                    reference: "TOT-1", memo: nil)
                _ = try await LedgerService(database: app).recordContribution(
                    request, by: try await database.principal(.finance, jurisdiction: "beijing"),
                    idempotencyKey: try IdempotencyKey("one"))
                for statement in statements {
                    let refused = try await SchemaInvariantTests.failure(app, [SchemaInvariantTests.audit, statement])
                    #expect(refused == "42501", "\(statement) as the service role: \(refused ?? "committed")")
                }
            }
            try await database.withOwner { owner in
                for statement in statements {
                    let refused = try await SchemaInvariantTests.failure(
                        owner, [SchemaInvariantTests.audit, statement])
                    #expect(refused == "42501", "\(statement) as the owner: \(refused ?? "committed")")
                }
            }
        }
    }
}
