import EcoFundStore
import EcoFundTesting
import PostgresNIO
import Synchronization
import Testing

/// How ``Database/transaction(_:)`` treats contention: retried, then a 503-kind error, never an error lost.
@Suite struct DatabaseTests {
    /// A lock wait that times out inside a statement returning rows is retried, and once the attempts are spent the
    /// caller gets `.unavailable`. Before `run` drained such statements, the timeout was lost with the unread rows
    /// and the next statement failed with "current transaction is aborted" (a 500), which the load of a slow CI
    /// machine found in the approve path.
    @Test func aLockTimeoutIsRetriedAndThenUnavailableNotLost() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withOwner { (owner: Database) async throws in
                try await database.withApp { (app: Database) async throws in
                    let attempts = Atomic(0)
                    try await owner.transaction { holder in
                        try await holder.run(
                            "SELECT pg_advisory_xact_lock(hashtext('ecofund.fund'))", logger: owner.logger)
                        let error = await #expect(throws: StoreError.self) {
                            try await app.transaction { connection in
                                attempts.add(1, ordering: .relaxed)
                                try await connection.query("SET LOCAL lock_timeout = '50ms'", logger: app.logger)
                                try await connection.run(
                                    "SELECT pg_advisory_xact_lock(hashtext('ecofund.fund'))", logger: app.logger)
                                try await connection.query("SELECT 1", logger: app.logger)
                            }
                        }
                        #expect(error?.code == .unavailable)
                    }
                    #expect(attempts.load(ordering: .relaxed) == Database.transactionAttemptsMax)
                    // With the lock free the same work commits.
                    try await app.transaction { connection in
                        try await connection.run(
                            "SELECT pg_advisory_xact_lock(hashtext('ecofund.fund'))", logger: app.logger)
                    }
                }
            }
        }
    }

    /// `/metrics` reports the pool from ``PoolUsage``: a connection counts as in use while work holds it, and as
    /// neither in use nor waiting once it is back, whether the work succeeded or failed.
    @Test func poolUsageCountsConnectionsWhileTheyAreHeld() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                let during = try await app.read { _ in
                    (app.usage.inUse.load(ordering: .relaxed), app.usage.waiting.load(ordering: .relaxed))
                }
                #expect(during.0 == 1 && during.1 == 0)
                await #expect(throws: StoreError.self) {
                    try await app.read { _ in throw StoreError(.notFound, "on purpose") }
                }
                #expect(app.usage.inUse.load(ordering: .relaxed) == 0)
                #expect(app.usage.waiting.load(ordering: .relaxed) == 0)
            }
        }
    }
}
