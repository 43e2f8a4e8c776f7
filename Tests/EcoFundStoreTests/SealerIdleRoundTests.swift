import EcoFundCore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

@testable import EcoFundStore

/// After one bulk transaction of an exact multiple of the sealer's batch, the watermark rests on that transaction;
/// an idle round must still cost a few index lookups, not a re-read of the whole transaction (issue 17, item 5).
@Suite struct SealerIdleRoundTests {
    static let keyBytes = Data(repeating: 7, count: 32)

    @Test func anIdleRoundAfterABatchMultipleTransactionReadsAlmostNothing() async throws {
        try await TestDatabase.with { database in
            let count = AuditLog.batchEventsMax * 2
            // The reference data's events first, so that the bulk transaction fills exactly two batches.
            try await database.sealEverything(keyBytes: Self.keyBytes)
            let sealedBefore = try await database.count("audit_log")
            try await database.withOwner { owner in
                try await owner.transaction { connection in
                    _ = try await connection.query(
                        PostgresQuery(
                            unsafeSQL: """
                                INSERT INTO audit_events (type, actor, payload)
                                SELECT 'test.bulk', 'test', jsonb_build_object('n', g) FROM generate_series(1, \(count)) g
                                """), logger: owner.logger)
                }
            }
            try await database.sealEverything(keyBytes: Self.keyBytes)
            #expect(try await database.count("audit_log") == sealedBefore + count)
            let blocks = try await database.withApp { app in
                try await app.read { connection in
                    let below = try #require(
                        try await AuditRepository.latestCheckpoint(on: connection, logger: app.logger)?.sealedBelowTx)
                    let horizon = try #require(
                        try await AuditRepository.snapshotXmin(on: connection, logger: app.logger))
                    let after = try await AuditRepository.lastSealed(on: connection, logger: app.logger)
                    // The watermark rests on the bulk transaction, as in the issue.
                    #expect(after?.tx == below)
                    let query = AuditRepository.pendingQuery(
                        fromTx: below, toTx: horizon, after: after, limit: AuditLog.batchEventsMax)
                    var plan = ""
                    for try await text in try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query.sql, binds: query.binds),
                        logger: app.logger
                    ).decode(String.self) { plan += text }
                    let top = try #require(
                        (try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]])?.first?["Plan"]
                            as? [String: Any])
                    #expect(top["Actual Rows"] as? Int == 0)
                    return (top["Shared Hit Blocks"] as? Int ?? 0) + (top["Shared Read Blocks"] as? Int ?? 0)
                }
            }
            // A few index pages; re-reading the transaction's 10,000 events and their log rows takes hundreds.
            #expect(blocks < 30, "an idle round touched \(blocks) blocks")
        }
    }
}
