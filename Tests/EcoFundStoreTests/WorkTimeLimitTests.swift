import Crypto
import EcoFundCore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

@testable import EcoFundStore

/// The time limit of reads, transactions and sealer rounds (``Database/workTimeLimit``), against a real PostgreSQL:
/// a connection whose answer never comes is closed at the limit, the caller gets 503, and its pool slot is free for
/// the next. Each test has a pool of one connection, so that a slot held for ever would hang the next step, which the
/// bound (`TestDatabase.with(within:)`) turns into a failure.
@Suite struct WorkTimeLimitTests {
    /// A transaction whose COMMIT is passed to PostgreSQL and whose answer is then lost, the connection left open (a
    /// peer gone without a word): no PostgreSQL timeout ends that wait. The limit does; the next read gets the
    /// pool's one connection.
    @Test func aTransactionWhoseAnswerNeverComesIsAnswered503AtTheLimit() async throws {
        try await TestDatabase.with(within: .seconds(60)) { (database: TestDatabase) async throws in
            try await Self.withFirstCommitLost(database) { app in
                try await Self.expectCutAtTheLimit(of: app) {
                    try await app.transaction { connection in
                        try await connection.run("SELECT 1", logger: app.logger)
                    }
                }
            }
        }
    }

    /// A read that runs past its limit on a live connection is cut there, not at the statement timeout, and its
    /// connection is closed rather than handed back busy.
    @Test func aReadPastTheLimitIsAnswered503AndThePoolGoesOn() async throws {
        try await TestDatabase.with(within: .seconds(60)) { (database: TestDatabase) async throws in
            try await Database.withPool(database.appURL, connectionsMax: 1, logger: TestDatabase.logger) { pool in
                let app = Database(client: pool.client, logger: pool.logger, workTimeLimit: .seconds(1))
                try await Self.expectCutAtTheLimit(of: app, before: .seconds(8)) {
                    try await app.read { connection in
                        try await connection.run("SELECT pg_sleep(8)", logger: app.logger)
                    }
                }
            }
        }
    }

    /// A sealer round whose COMMIT's answer is lost (it did commit) is given up at the limit, and the sealer goes on:
    /// what was written before and after is sealed, each event once. Without the limit the round waited for ever and
    /// this server sealed nothing more.
    @Test func aSealerRoundWhoseAnswerNeverComesIsGivenUpAndSealingGoesOn() async throws {
        try await TestDatabase.with(within: .seconds(120)) { (database: TestDatabase) async throws in
            let admin = try await database.principal(.admin)
            try await Self.contribute("BEFORE-SILENCE", by: admin, in: database)
            try await Self.withFirstCommitLost(database) { app in
                let sealer = Task { try await Sealer(database: app, key: Curve25519.Signing.PrivateKey()).run() }
                defer { sealer.cancel() }
                try await Self.waitUntilEverythingIsSealed(database)
                try await Self.contribute("AFTER-SILENCE", by: admin, in: database)
                try await Self.waitUntilEverythingIsSealed(database)
                #expect(try await database.count("audit_log") == database.count("audit_events"))
                #expect(
                    try await database.count("(SELECT DISTINCT event_id FROM audit_log) AS sealed")
                        == database.count("audit_log"))
            }
        }
    }

    /// A database of one connection with a time limit of 2 s, through a proxy that passes the first COMMIT on and then
    /// holds its connection open without passing anything more either way.
    static func withFirstCommitLost(
        _ database: TestDatabase, _ body: @Sendable (Database) async throws -> Void
    ) async throws {
        let proxy = try await CutAtCommitProxy(upstream: database.appURL, cuts: 1, holding: true, anyCommit: true)
        defer { proxy.stop() }
        try await Database.withPool(
            database.appURL.with(port: proxy.port), connectionsMax: 1, logger: TestDatabase.logger
        ) { pool in
            try await body(Database(client: pool.client, logger: pool.logger, workTimeLimit: .seconds(2)))
        }
    }

    /// `work` is answered 503 once `app`'s time limit has passed (and before `before`, when given); then the pool's
    /// one connection is free, and the next read gets its answer.
    static func expectCutAtTheLimit(
        of app: Database, before: Duration? = nil, _ work: @Sendable () async throws -> Void
    ) async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) { try await work() }
        #expect(error?.code == .unavailable)
        let waited = ContinuousClock.now - started
        #expect(waited >= app.workTimeLimit)
        if let before { #expect(waited < before) }
        let answer = try await app.read { connection in
            for try await value in try await connection.query("SELECT 41 + 1", logger: app.logger).decode(Int.self) {
                return value
            }
            return 0
        }
        #expect(answer == 42)
    }

    static func contribute(_ reference: String, by principal: Principal, in database: TestDatabase) async throws {
        try await database.withApp { app in
            _ = try await LedgerService(database: app).recordContribution(
                try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2025-06-30",
                    reference: reference, memo: nil),
                by: principal, idempotencyKey: try IdempotencyKey(reference))
        }
    }

    /// Waits (up to 60 s: a round seals only transactions older than every open one in the cluster, and other tests
    /// run beside this one) until every event is in the log.
    static func waitUntilEverythingIsSealed(_ database: TestDatabase) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let unsealed = try await database.count(
                "audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)")
            if unsealed == 0 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("events were left unsealed for 60 s")
    }
}
