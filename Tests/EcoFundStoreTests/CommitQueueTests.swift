import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// The commit queue (DESIGN.md "Writing under load") against a real PostgreSQL: a `COMMIT` whose answer is lost, two
/// servers batching at once, and the queue's limits.
@Suite struct CommitQueueTests {
    static func contribution(_ contributor: String, _ reference: String, amount: String = "100.00") throws
        -> ContributionRequest
    {
        try ContributionRequest(
            contributor: contributor, amount: amount, currency: "CNY", valueDate: "2025-06-30", reference: reference,
            memo: nil)
    }

    /// ``QueueDriver/inOneBatch`` on one server's queue, behind a contribution of 1.00 from Beijing.
    static func inOneBatch<Value: Sendable>(
        _ database: TestDatabase, owner: Database, app: Database, count: Int, queued: Int? = nil,
        _ write: @Sendable @escaping (Int) async throws -> Value
    ) async throws -> [Result<Value, any Error>] {
        let admin = try await database.principal(.admin, subject: "queue-blocker")
        return try await QueueDriver.inOneBatch(
            owner: owner, count: count, queued: queued, queueLength: { app.commits.length },
            blocker: {
                _ = try await LedgerService(database: app).recordContribution(
                    try contribution("beijing", "BLOCKER", amount: "1.00"), by: admin,
                    idempotencyKey: try IdempotencyKey("blocker-\(UUID().uuidString.prefix(8))"))
            }, write)
    }

    /// A cut at the worst moment: the batch's COMMIT reaches the server, which commits, and the answer never comes
    /// back. Every write of the batch is answered 503; sent again with the same key, each is replayed — one effect.
    @Test func aCommitWhoseAnswerIsLostAnswersEveryWrite503AndRetriesTakeEffectOnce() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            let proxy = try await CutAtCommitProxy(upstream: database.appURL, cuts: 1)
            defer { proxy.stop() }
            let admin = try await database.principal(.admin)
            try await Database.withPool(
                database.appURL.with(port: proxy.port), connectionsMax: 4, logger: TestDatabase.logger
            ) { (app: Database) async throws in
                let ledger = LedgerService(database: app)
                let keys = try (1...5).map { try IdempotencyKey("lost-\($0)") }
                let requests = try (1...5).map {
                    try Self.contribution($0 % 2 == 0 ? "beijing" : "tianjin", "LOST-\($0)")
                }
                let outcomes = try await database.withOwner { (owner: Database) async throws in
                    try await Self.inOneBatch(database, owner: owner, app: app, count: 5) { index in
                        try await ledger.recordContribution(
                            requests[index], by: admin, idempotencyKey: keys[index])
                    }
                }
                for outcome in outcomes {
                    #expect(throws: StoreError.self) { try outcome.get() }
                    if case .failure(let error as StoreError) = outcome { #expect(error.code == .unavailable) }
                }
                // The server did commit: each retry with its key replays the first result, and nothing doubles.
                var ids: Set<UUID> = []
                for index in 0..<5 {
                    let again = try await ledger.recordContribution(
                        requests[index], by: admin, idempotencyKey: keys[index])
                    #expect(again.replayed)
                    ids.insert(again.value.id)
                }
                #expect(ids.count == 5)
                #expect(try await database.count("contributions WHERE reference LIKE 'LOST-%'") == 5)
                #expect(try await LedgerService(database: app).mismatchedBalances().isEmpty)
            }
        }
    }

    /// Contributions queued one behind another are written in one call (`record_contributions`), each still its own
    /// item with its own event. When the schema refuses one of them (here a rule the owner adds, since the code
    /// refuses everything the schema does before it gets there), the call fails whole and the batch is written again
    /// a savepoint per write: that one is answered with its refusal, the others are written, once each.
    @Test func contributionsOfABatchAreWrittenInOneCallAndOneTheSchemaRefusesFailsAlone() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            let admin = try await database.principal(.admin)
            try await database.withOwner { (owner: Database) async throws in
                try await owner.transaction { connection in
                    try await connection.run(
                        """
                        CREATE FUNCTION refuse_a_reference() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
                        END
                        $$
                        """, logger: owner.logger)
                    try await connection.run(
                        """
                        CREATE TRIGGER refuse_a_reference BEFORE INSERT ON contributions FOR EACH ROW
                            WHEN (NEW.reference = 'REFUSED') EXECUTE FUNCTION refuse_a_reference()
                        """, logger: owner.logger)
                }
            }
            try await database.withApp { (app: Database) async throws in
                let ledger = LedgerService(database: app)
                let references = ["ONE-CALL-1", "ONE-CALL-2", "ONE-CALL-3", "ONE-CALL-4"]
                let together = try await database.withOwner { (owner: Database) async throws in
                    try await Self.inOneBatch(database, owner: owner, app: app, count: references.count) { index in
                        try await ledger.recordContribution(
                            try Self.contribution("beijing", references[index], amount: "\(index + 1).00"), by: admin,
                            idempotencyKey: try IdempotencyKey("one-call-\(index)")
                        ).value.id
                    }
                }
                #expect(together.allSatisfy { (try? $0.get()) != nil })
                #expect(app.commits.figures.now.together == references.count)
                #expect(app.commits.figures.now.rewritten == 0)

                let mixed = ["MIXED-1", "MIXED-2", "REFUSED", "MIXED-4"]
                let outcomes = try await database.withOwner { (owner: Database) async throws in
                    try await Self.inOneBatch(database, owner: owner, app: app, count: mixed.count) { index in
                        try await ledger.recordContribution(
                            try Self.contribution("beijing", mixed[index]), by: admin,
                            idempotencyKey: try IdempotencyKey("mixed-\(index)")
                        ).value.id
                    }
                }
                #expect(outcomes.map { (try? $0.get()) != nil } == [true, true, false, true])
                if case .failure(let error as PSQLError) = outcomes[2] {
                    #expect(error.sqlState == "23514")
                } else {
                    Issue.record("the refused contribution was answered \(outcomes[2])")
                }
                #expect(app.commits.figures.now.rewritten == 1)
                #expect(app.commits.figures.now.together == references.count)

                let written =
                    "contributions c JOIN journal_entries j ON j.id = c.entry_id WHERE c.reference <> 'BLOCKER'"
                #expect(try await database.count(written) == 7)
                #expect(try await database.count("contributions WHERE reference = 'REFUSED'") == 0)
                #expect(try await database.count("idempotency_keys WHERE key = 'mixed-2'") == 0)
                let withoutItsOwnEvent = """
                    \(written)
                       AND (SELECT count(*) FROM audit_events e
                             WHERE e.tx_id = j.tx_id AND e.item = j.item AND (e.payload->>'entryID')::bigint = j.id
                               AND (e.payload->>'id')::uuid = c.id) <> 1
                    """
                #expect(try await database.count(withoutItsOwnEvent) == 0)
                #expect(try await ledger.mismatchedBalances().isEmpty)
            }
        }
    }

    /// A connection that goes silent at the batch's COMMIT (the answer never comes, and the connection is not
    /// closed either, as when the database's machine is lost): PostgreSQL's statement timeout cannot end that wait.
    /// The batch's time limit does: its connection is closed, its writes are answered 503, the flusher goes on with
    /// the next write, and the writes sent again with their keys take effect once. Without the limit the test would
    /// wait for ever; its time limit turns that into a failure.
    @Test func aBatchWhoseConnectionFallsSilentIsAnswered503AfterItsTimeLimit() async throws {
        try await TestDatabase.with(within: .seconds(60)) { (database: TestDatabase) async throws in
            let proxy = try await CutAtCommitProxy(upstream: database.appURL, cuts: 1, holding: true)
            defer { proxy.stop() }
            let admin = try await database.principal(.admin)
            try await Database.withPool(
                database.appURL.with(port: proxy.port), connectionsMax: 4, logger: TestDatabase.logger
            ) { pool in
                var limits = CommitQueue.Limits.standard
                limits.batchTimeLimit = .seconds(2)
                let app = Database(client: pool.client, logger: pool.logger, commitLimits: limits)
                let ledger = LedgerService(database: app)
                let keys = try (1...3).map { try IdempotencyKey("silent-\($0)") }
                let requests = try (1...3).map { try Self.contribution("tianjin", "SILENT-\($0)") }
                let started = ContinuousClock.now
                let outcomes = try await database.withOwner { (owner: Database) async throws in
                    try await Self.inOneBatch(database, owner: owner, app: app, count: 3) { index in
                        try await ledger.recordContribution(requests[index], by: admin, idempotencyKey: keys[index])
                    }
                }
                #expect(ContinuousClock.now - started >= limits.batchTimeLimit)
                for outcome in outcomes {
                    #expect(throws: StoreError.self) { try outcome.get() }
                    if case .failure(let error as StoreError) = outcome { #expect(error.code == .unavailable) }
                }
                // The flusher went on: a new write commits, and the three sent again are replayed, not doubled.
                let next = try await ledger.recordContribution(
                    try Self.contribution("beijing", "AFTER-SILENCE"), by: admin,
                    idempotencyKey: try IdempotencyKey("after-silence"))
                #expect(!next.replayed)
                for index in 0..<3 {
                    let again = try await ledger.recordContribution(
                        requests[index], by: admin, idempotencyKey: keys[index])
                    #expect(again.replayed)
                }
                #expect(try await database.count("contributions WHERE reference LIKE 'SILENT-%'") == 3)
                #expect(try await LedgerService(database: app).mismatchedBalances().isEmpty)
            }
        }
    }

    /// Hebei's cities, the recipients of the runs whose payments the two servers confirm.
    static let cities = [
        "zhangjiakou", "chengde", "baoding", "tangshan", "langfang", "qinhuangdao", "cangzhou", "hengshui", "xingtai",
        "handan", "shijiazhuang",
    ]

    /// Four posted runs of 1,000.00 each over the eleven cities, on a fund of 100,000.00.
    static func postedRuns(_ database: TestDatabase, _ disbursements: DisbursementService, ledger: LedgerService)
        async throws -> [UUID]
    {
        let admin = try await database.principal(.admin)
        let finance = try await database.principal(.finance, jurisdiction: "beijing")
        let approver = try await database.principal(.approver)
        _ = try await ledger.recordContribution(
            try contribution("beijing", "FUND", amount: "100000.00"), by: finance,
            idempotencyKey: try IdempotencyKey("fund"))
        let names = cities.map { #""\#($0)""# }.joined(separator: ",")
        let rule = try JSONDecoder().decode(
            RuleDocument.self,
            from: Data(
                #"{"code":"cities","title":"Cities","pool":{"kind":"fixed","amount":"1000.00"},"tranches":[{"name":"all","share":"1","recipients":[\#(names)]}],"factors":[{"key":"population","weight":"1"}]}"#
                    .utf8))
        _ = try await disbursements.publish(rule, by: admin, idempotencyKey: nil)
        var runs: [UUID] = []
        for index in 0..<4 {
            let run = try await disbursements.propose(
                rule: "cities", version: nil, pool: nil, valueDate: nil, by: finance,
                idempotencyKey: try IdempotencyKey("run-\(index)")
            ).value.id
            for action in [RunStatus.Action.approve, .post] {
                _ = try await disbursements.transition(run, action, reason: nil, by: approver, idempotencyKey: nil)
            }
            runs.append(run)
        }
        return runs
    }

    /// Two servers (two pools, two queues) confirming payments and recording contributions at once. A payment takes
    /// the fund's lock and then moves `payable:x` and `fund:cash`; a contribution moves `fund:cash` first. Unordered,
    /// one server's batch holds `fund:cash` from a contribution and waits for the fund's lock for a payment, while
    /// the other's holds the fund's lock and waits for `fund:cash`: PostgreSQL breaks the deadlock and a write is
    /// tried again (checked with `batch_lock` locking nothing: retries on both servers). Each batch locking its
    /// balance rows in account-code order first means neither holds anything while it waits: no deadlock, no retry.
    @Test func twoServersBatchingAtOnceNeverDeadlock() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            let admin = try await database.principal(.admin)
            let approver = try await database.principal(.approver, subject: "payments.approver")
            try await database.withApp { (first: Database) async throws in
                try await database.withApp { (second: Database) async throws in
                    let runs = try await Self.postedRuns(
                        database, DisbursementService(database: first), ledger: LedgerService(database: first))
                    let failures = QueueDriver.Count()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (number, server) in [first, second].enumerated() {
                            let ledger = LedgerService(database: server)
                            let disbursements = DisbursementService(database: server)
                            // One server's writes start with a contribution, the other's with a payment, and
                            // each alternates: the two kinds meet in every batch, in both orders.
                            for index in 0..<(4 * Self.cities.count) {
                                let payment = (index + number) % 2 == 1
                                let label = "\(number)-\(index)"
                                let run = runs[number * 2 + (index / 2) / Self.cities.count]
                                let city = Self.cities[(index / 2) % Self.cities.count]
                                group.addTask {
                                    do {
                                        if payment {
                                            _ = try await disbursements.confirmPayment(
                                                run, recipient: city, bankReference: "PBOC-\(label)", valueDate: nil,
                                                by: approver, idempotencyKey: nil)
                                        } else {
                                            _ = try await ledger.recordContribution(
                                                try Self.contribution("tianjin", "BOTH-\(label)"), by: admin,
                                                idempotencyKey: try IdempotencyKey("both-\(label)"))
                                        }
                                    } catch {
                                        failures.value.add(1, ordering: .relaxed)
                                    }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    #expect(failures.value.load(ordering: .relaxed) == 0)
                    for server in [first, second] {
                        let figures = server.commits.figures.now
                        #expect(figures.retried == 0)
                        #expect(figures.largest > 1, "the writes did share batches")
                    }
                    #expect(try await database.count("disbursement_payments") == 4 * Self.cities.count)
                    #expect(try await database.count("disbursement_runs WHERE status = 'paid'") == 4)
                    #expect(try await LedgerService(database: first).mismatchedBalances().isEmpty)
                }
            }
        }
    }

    /// A full queue refuses the next write at once with 503 and writes nothing for it; a batch takes no more writes
    /// than its limit, and the rest wait for the next.
    @Test func aFullQueueRefusesAtOnceAndBatchesKeepTheirLimit() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            let admin = try await database.principal(.admin)
            try await Database.withPool(database.appURL, connectionsMax: 4, logger: TestDatabase.logger) { pool in
                var limits = CommitQueue.Limits.standard
                limits.itemsPerBatch = 3
                limits.queueLengthMax = 7
                let app = Database(client: pool.client, logger: pool.logger, commitLimits: limits)
                let ledger = LedgerService(database: app)
                let outcomes = try await database.withOwner { (owner: Database) async throws in
                    try await Self.inOneBatch(database, owner: owner, app: app, count: 8, queued: 7) { index in
                        try await ledger.recordContribution(
                            try Self.contribution("beijing", "LIMIT-\(index)"), by: admin,
                            idempotencyKey: try IdempotencyKey("limit-\(index)"))
                    }
                }
                let refused = outcomes.filter { outcome in
                    if case .failure(let error as StoreError) = outcome { return error.code == .unavailable }
                    return false
                }
                #expect(refused.count == 1)
                #expect(outcomes.filter { (try? $0.get()) != nil }.count == 7)
                let figures = app.commits.figures.now
                #expect(figures.refused == 1)
                #expect(figures.largest == 3)
                // The blocker alone, then 3 + 3 + 1.
                #expect(figures.batches == 4)
                #expect(try await database.count("contributions WHERE reference LIKE 'LIMIT-%'") == 7)
            }
        }
    }
}
