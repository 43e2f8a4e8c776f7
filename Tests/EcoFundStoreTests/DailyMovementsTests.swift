import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// Balances as of a date read the daily movements the line trigger keeps (Schema/012): they agree with the lines
/// on every date, reversals included, and nothing but the trigger moves them.
@Suite struct DailyMovementsTests {
    @Test func balancesAsOfADateFollowTheLinesDayByDay() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                let ledger = LedgerService(database: app)
                let finance = try await database.principal(.finance, jurisdiction: "beijing")
                var recorded: [Contribution] = []
                for (amount, date) in [("100.00", "2025-03-01"), ("250.50", "2025-03-01"), ("7.00", "2025-04-10")] {
                    let request = try ContributionRequest(
                        contributor: "beijing", amount: amount, currency: "CNY", valueDate: date,
                        reference: "DAY-\(amount)", memo: nil)
                    recorded.append(
                        try await ledger.recordContribution(
                            request, by: finance, idempotencyKey: try IdempotencyKey("d-\(amount)")
                        ).value)
                }
                _ = try await ledger.reverseContribution(
                    id: recorded[1].id, try ReversalRequest(reason: "entered twice", valueDate: "2025-05-01"),
                    by: finance, idempotencyKey: try IdempotencyKey("r"))
                let auditor = try await database.principal(.auditor)
                func cash(_ date: String) async throws -> Int64 {
                    try await ledger.account("fund:cash", asOf: try CalendarDate(parsing: date, at: ""), by: auditor)
                        .balance.fen
                }
                #expect(try await cash("2025-02-28") == 0)
                #expect(try await cash("2025-03-01") == 35_050)
                #expect(try await cash("2025-04-30") == 35_750)
                #expect(try await cash("2025-05-01") == 10_700, "the reversal counts from its own value date")
                let now = try await ledger.account("fund:cash", asOf: nil, by: auditor).balance.fen
                #expect(try await cash("2100-12-31") == now, "as of the last date is the stored balance")
                #expect(try await ledger.mismatchedBalances().isEmpty)
                #expect(try await database.count("account_daily_movements WHERE account_code = 'fund:cash'") == 3)
            }
        }
    }

    @Test func nothingButTheLineTriggerMovesADay() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                let request = try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2030-01-02",
                    reference: "DAY-1", memo: nil)
                _ = try await LedgerService(database: app).recordContribution(
                    request, by: try await database.principal(.finance, jurisdiction: "beijing"),
                    idempotencyKey: try IdempotencyKey("one"))
            }
            let statements = [
                "INSERT INTO account_daily_movements VALUES ('fund:cash', '2031-01-01', 1, 0)",
                "UPDATE account_daily_movements SET debit_fen = debit_fen + 1",
                "DELETE FROM account_daily_movements",
            ]
            for (who, pool) in [("the service role", true), ("the owner", false)] {
                let refusals = try await (pool ? database.withApp : database.withOwner) { db in
                    var states: [String?] = []
                    for statement in statements {
                        states.append(
                            try await SchemaInvariantTests.failure(db, [SchemaInvariantTests.audit, statement]))
                    }
                    return states
                }
                #expect(refusals == Array(repeating: "42501", count: statements.count), "as \(who): \(refusals)")
            }
        }
    }
}
