import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import HTTPTypes
import PostgresNIO
import Testing

/// The commit queue seen from a client (DESIGN.md "Writing under load"): writes of one batch are answered each with
/// its own result, and one that fails takes nothing of the others with it.
@Suite struct GroupCommitTests {
    /// Writes waiting in the server's commit queue now, from `/metrics`.
    static func queueLength(_ api: APIHarness) async throws -> Int {
        try await metric("ecofund_commit_queue_length", of: api)
    }

    /// One unlabelled series of the server's `/metrics` now, or -1 when it is missing.
    static func metric(_ name: String, of api: APIHarness) async throws -> Int {
        let text = String(
            decoding: try await api.call(.get, "/metrics", token: nil, port: api.metricsPort).body, as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return Int(Double(line?.split(separator: " ").last ?? "") ?? -1)
    }

    /// Sends `count` writes so that they are committed as one batch (behind a blocker write that holds the
    /// flusher), and returns their replies in order.
    static func inOneBatch(
        _ api: APIHarness, count: Int, _ write: @Sendable @escaping (Int) async throws -> APIHarness.Reply
    ) async throws -> [APIHarness.Reply] {
        try await api.database.withOwner { (owner: Database) async throws in
            try await QueueDriver.inOneBatch(
                owner: owner, count: count, queueLength: { try await queueLength(api) },
                blocker: {
                    _ = try await api.call(
                        .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "blocker-\(UUID())",
                        json: APIHarness.contribution(amount: "1.00", reference: "BLOCKER"))
                }, write)
        }.map { try $0.get() }
    }

    /// A batch in which nothing fails is written once, without a savepoint per write, and still keeps each write
    /// its own item: its own number, its own audit event for its entry and its contribution.
    @Test func aBatchInWhichNothingFailsIsWrittenOnceWithAnItemPerWrite() async throws {
        try await APIHarness.with { api in
            let beijing = api.tokens.financeBeijing
            let count = 6
            let replies = try await Self.inOneBatch(api, count: count) { index in
                try await api.call(
                    .post, "/v1/contributions", token: beijing, key: "k\(index)",
                    json: APIHarness.contribution(amount: "\(index + 1).00", reference: "TOGETHER-\(index)"))
            }
            #expect(replies.map(\.status) == Array(repeating: 201, count: count))
            #expect(try await Self.metric("ecofund_commit_rewritten", of: api) == 0)
            #expect(try await Self.metric("ecofund_commit_batch_writes_max", of: api) == count)
            // Contributions one behind another, from an account seen open: all six in one call (Schema/019).
            #expect(try await Self.metric("ecofund_commit_written_together", of: api) == count)

            let together =
                "contributions c JOIN journal_entries j ON j.id = c.entry_id WHERE c.reference LIKE 'TOGETHER-%'"
            #expect(try await api.count("(SELECT DISTINCT j.tx_id FROM \(together)) batch") == 1)
            #expect(try await api.count("(SELECT DISTINCT j.item FROM \(together)) items") == count)
            let withoutItsOwnEvents = """
                \(together)
                   AND (SELECT count(*) FROM audit_events e
                         WHERE e.tx_id = j.tx_id AND e.item = j.item AND (e.payload->>'entryID')::bigint = j.id) <> 1
                """
            #expect(try await api.count(withoutItsOwnEvents) == 0)
            // 1.00 (the blocker) + 1.00 + 2.00 + … + 6.00.
            #expect(try await api.balanceFen("fund:cash") == 2_200)
        }
    }

    /// One batch, in this order: a payment that takes 551.05 of the fund's 1,000.00; the reversal of the 1,000.00
    /// contribution, now more than the fund holds; a contribution from a city that is no contributor; a keyed
    /// contribution, the same again (replayed), the same key with another body; and a good contribution. Each is
    /// answered alone, and exactly the good ones are written — one transaction, each with its own audit event.
    @Test func oneWriteOfABatchFailsAloneAndTheRestCommit() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                )
                .status == 201)
            let funded = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "fund",
                json: APIHarness.contribution(amount: "1000.00", reference: "FUND"))
            let fund = try #require(funded.string("id"))
            let run = try await DisbursementTests.propose(api, key: "run")
            for action in ["approve", "post"] {
                #expect(
                    try await api.call(.post, "/v1/disbursement-runs/\(run)/\(action)", token: api.tokens.approver)
                        .status == 200)
            }
            let beijing = api.tokens.financeBeijing
            let writes: [@Sendable () async throws -> APIHarness.Reply] = [
                {
                    try await api.call(
                        .post, "/v1/disbursement-runs/\(run)/payments", token: api.tokens.approver, key: "pay",
                        json: #"{"recipient":"zhangjiakou","bankReference":"PBOC-7"}"#)
                },
                {
                    try await api.call(
                        .post, "/v1/contributions/\(fund)/reversal", token: beijing, key: "overdraw",
                        json: #"{"reason":"entered twice"}"#)
                },
                {
                    try await api.call(
                        .post, "/v1/contributions", token: api.tokens.admin, key: "unknown",
                        json: APIHarness.contribution("chengde", amount: "5.00", reference: "NOT-A-CONTRIBUTOR"))
                },
                {
                    try await api.call(
                        .post, "/v1/contributions", token: beijing, key: "dup",
                        json: APIHarness.contribution(amount: "10.00", reference: "DUP"))
                },
                {
                    try await api.call(
                        .post, "/v1/contributions", token: beijing, key: "dup",
                        json: APIHarness.contribution(amount: "10.00", reference: "DUP"))
                },
                {
                    try await api.call(
                        .post, "/v1/contributions", token: beijing, key: "dup",
                        json: APIHarness.contribution(amount: "20.00", reference: "DUP"))
                },
                {
                    try await api.call(
                        .post, "/v1/contributions", token: beijing, key: "good",
                        json: APIHarness.contribution(amount: "30.00", reference: "GOOD"))
                },
            ]
            let replies = try await Self.inOneBatch(api, count: writes.count) { index in try await writes[index]() }
            #expect(replies.map(\.status) == [200, 409, 422, 201, 201, 422, 201])
            // Written together first, rolled back at the first failure, then written again a savepoint per write.
            #expect(try await Self.metric("ecofund_commit_rewritten", of: api) == 1)
            #expect(replies[1].string("type")?.hasSuffix("/fund-insufficient") == true)
            #expect(replies[2].problemPointer == "/contributor")
            #expect(replies[3].string("id") == replies[4].string("id"))
            #expect(replies[5].string("type")?.hasSuffix("/idempotency-key-reused") == true)

            // Written: the payment and the two contributions, in one transaction, each entry with its own event.
            #expect(try await api.count("contribution_reversals") == 0)
            #expect(try await api.count("contributions WHERE reference IN ('DUP', 'GOOD')") == 2)
            #expect(try await api.count("contributions WHERE reference = 'NOT-A-CONTRIBUTOR'") == 0)
            let written =
                "j.kind = 'payment' OR j.id IN (SELECT entry_id FROM contributions WHERE reference IN ('DUP', 'GOOD'))"
            #expect(try await api.count("journal_entries j WHERE \(written)") == 3)
            #expect(try await api.count("(SELECT DISTINCT tx_id FROM journal_entries j WHERE \(written)) batch") == 1)
            let withoutItsOwnEvent = """
                journal_entries j WHERE (\(written))
                   AND (SELECT count(*) FROM audit_events e
                         WHERE e.tx_id = j.tx_id AND e.item = j.item AND (e.payload->>'entryID')::bigint = j.id) <> 1
                """
            #expect(try await api.count(withoutItsOwnEvent) == 0)
            // fund:cash: 1,000.00 − 551.05 + 1.00 (the blocker) + 10.00 + 30.00.
            #expect(try await api.balanceFen("fund:cash") == 48_995)
            let trial = try await api.call(.get, "/v1/reports/trial-balance", token: api.tokens.auditor)
            #expect(trial.json["balanced"] as? Bool == true)
        }
    }

    /// A batch written in one go claims its writes' keys in one statement and stores their responses in one: a key
    /// used before is replayed there without writing the batch again; a key two writes of one batch share sends it
    /// to the writing with a savepoint each, where the second is replayed. Every stored key ends with its response.
    @Test func aBatchClaimsItsKeysTogetherAndReplaysWhatWasClaimedBefore() async throws {
        try await APIHarness.with { api in
            let beijing = api.tokens.financeBeijing
            let earlier = try await api.call(
                .post, "/v1/contributions", token: beijing, key: "earlier",
                json: APIHarness.contribution(amount: "7.00", reference: "EARLIER"))
            #expect(earlier.status == 201)
            let keys = ["earlier", "a", "b", "earlier"]
            func batch() async throws -> [APIHarness.Reply] {
                try await Self.inOneBatch(api, count: keys.count) { index in
                    let amount = keys[index] == "earlier" ? "7.00" : "\(index + 1).00"
                    let reference = keys[index] == "earlier" ? "EARLIER" : "KEYED-\(keys[index])"
                    return try await api.call(
                        .post, "/v1/contributions", token: beijing, key: keys[index],
                        json: APIHarness.contribution(amount: amount, reference: reference))
                }
            }
            let first = try await batch()
            #expect(first.map(\.status) == [201, 201, 201, 201])
            #expect(first[0].string("id") == earlier.string("id") && first[3].string("id") == earlier.string("id"))
            // Replays of a key committed before need no second writing.
            #expect(try await Self.metric("ecofund_commit_rewritten", of: api) == 0)
            // The two new keys' responses were stored by one statement: their rows' new versions share its command
            // id within the batch's transaction (a statement a write would give each its own).
            let storedBy = "(SELECT DISTINCT cmin::text FROM idempotency_keys WHERE key IN ('a', 'b')) statements"
            #expect(try await api.count(storedBy) == 1)

            // Every key of that batch, sent again in one batch, answers what it answered the first time.
            let again = try await batch()
            #expect(again.map(\.status) == [201, 201, 201, 201])
            #expect(again.map { $0.string("id") } == first.map { $0.string("id") })
            #expect(try await api.count("contributions WHERE reference LIKE 'KEYED-%' OR reference = 'EARLIER'") == 3)
            #expect(try await api.count("idempotency_keys WHERE response_body IS NULL") == 0)
            // 7.00 once, 2.00 and 3.00 once each, and the two blockers.
            #expect(try await api.balanceFen("fund:cash") == 1_400)
        }
    }

    /// Two writes of one batch with the same key: the batch written in one go cannot answer the second (the first's
    /// response is stored only at the batch's end), so it is written again a savepoint each, and the second replays.
    @Test func aKeyTwoWritesOfOneBatchShareIsWrittenOnceAndReplayed() async throws {
        try await APIHarness.with { api in
            let beijing = api.tokens.financeBeijing
            let replies = try await Self.inOneBatch(api, count: 3) { index in
                try await api.call(
                    .post, "/v1/contributions", token: beijing, key: index == 1 ? "other" : "twice",
                    json: APIHarness.contribution(amount: "5.00", reference: "TWICE-\(index == 1)"))
            }
            #expect(replies.map(\.status) == [201, 201, 201])
            #expect(replies[0].string("id") == replies[2].string("id"))
            #expect(try await Self.metric("ecofund_commit_rewritten", of: api) == 1)
            #expect(try await api.count("contributions WHERE reference LIKE 'TWICE-%'") == 2)
            #expect(try await api.count("idempotency_keys WHERE response_body IS NULL") == 0)
        }
    }
}
