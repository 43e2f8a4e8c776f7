import EcoFundCore
import EcoFundStore
import Foundation
import PostgresNIO
import Testing

@Suite struct ContributionTests {
    @Test func aContributionMovesCashAndTheContributorsAccountAndBalancesTheBooks() async throws {
        try await APIHarness.with { api in
            let reply = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "c-1",
                json: APIHarness.contribution(amount: "30000000.00"))
            #expect(reply.status == 201)
            #expect(reply.string("amount") == "30000000.00")
            #expect(reply.string("currency") == "CNY")
            #expect(reply.string("status") == "recorded")
            #expect(reply.string("recordedBy") == "li.beijing")
            #expect(try await api.balanceFen("fund:cash") == 3_000_000_000)
            #expect(try await api.balanceFen("contributions:beijing") == 3_000_000_000)
            let trial = try await api.call(.get, "/v1/reports/trial-balance", token: api.tokens.auditor)
            #expect(trial.json["balanced"] as? Bool == true)
            #expect((trial.json["totalDebit"] as? [String: Any])?["amount"] as? String == "30000000.00")
            #expect(try await api.count("audit_events WHERE type = 'contribution.recorded'") == 1)
        }
    }

    @Test func theSameKeyAndBodyReplaysTheFirstResponseAndPostsOnce() async throws {
        try await APIHarness.with { api in
            let body = APIHarness.contribution(amount: "12.34")
            let first = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "same", json: body)
            let second = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "same", json: body)
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(first.body == second.body)
            #expect(try await api.balanceFen("fund:cash") == 1234)
            // The same body with its keys in another order is the same request.
            let reordered =
                #"{"reference":"BOC-0001","valueDate":"2025-03-15","currency":"CNY","amount":"12.34","contributor":"beijing"}"#
            let third = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "same", json: reordered)
            #expect(third.body == first.body)
            // Another body under the same key is refused, and nothing is written.
            let other = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "same",
                json: APIHarness.contribution(amount: "99.00"))
            #expect(other.status == 422)
            #expect(other.string("type")?.hasSuffix("/idempotency-key-reused") == true)
            #expect(try await api.balanceFen("fund:cash") == 1234)
            // Keys are scoped to the caller: an admin may use the same key for its own request.
            let admin = try await api.call(.post, "/v1/contributions", token: api.tokens.admin, key: "same", json: body)
            #expect(admin.status == 201)
            #expect(admin.string("id") != first.string("id"))
            #expect(try await api.count("contributions") == 2)
        }
    }

    @Test func aMoneyMovingPostWithoutAKeyIsA400() async throws {
        try await APIHarness.with { api in
            let reply = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, json: APIHarness.contribution())
            #expect(reply.status == 400)
            #expect(reply.problemPointer == "Idempotency-Key")
            #expect(try await api.count("contributions") == 0)
        }
    }

    /// Each bad input gets a 4xx problem naming the field, and nothing is written.
    @Test func badInputIsRefusedWithTheFieldNamedAndNothingWritten() async throws {
        try await APIHarness.with { api in
            let valid = APIHarness.contribution()
            let cases: [(String, String, String, Int, String?)] = [
                (
                    "amount as JSON number",
                    #"{"contributor":"beijing","amount":1000.00,"currency":"CNY","valueDate":"2025-03-15","reference":"r"}"#,
                    "application/json", 422, "/amount"
                ),
                ("three decimals", APIHarness.contribution(amount: "1.234"), "application/json", 422, "/amount"),
                ("zero", APIHarness.contribution(amount: "0.00"), "application/json", 422, "/amount"),
                ("negative", APIHarness.contribution(amount: "-5.00"), "application/json", 422, "/amount"),
                (
                    "above 10^15 fen", APIHarness.contribution(amount: "10000000000000.01"), "application/json", 422,
                    "/amount"
                ),
                ("unknown contributor", APIHarness.contribution("shanghai"), "application/json", 422, "/contributor"),
                (
                    "a recipient is not a contributor", APIHarness.contribution("hebei"), "application/json", 422,
                    "/contributor"
                ),
                ("malformed JSON", #"{"contributor":"beijing","amount":"#, "application/json", 400, ""),
                ("wrong content type", valid, "text/plain", 415, nil),
                (
                    "unknown field",
                    #"{"contributor":"beijing","amount":"1.00","currency":"CNY","valueDate":"2025-03-15","reference":"r","bonus":"1.00"}"#,
                    "application/json", 422, "/bonus"
                ),
                (
                    "impossible date", APIHarness.contribution(valueDate: "2025-02-30"), "application/json", 422,
                    "/valueDate"
                ),
                (
                    "missing field",
                    #"{"contributor":"beijing","currency":"CNY","valueDate":"2025-03-15","reference":"r"}"#,
                    "application/json", 422, "/amount"
                ),
                (
                    "wrong currency",
                    #"{"contributor":"beijing","amount":"1.00","currency":"USD","valueDate":"2025-03-15","reference":"r"}"#,
                    "application/json", 422, "/currency"
                ),
                (
                    "null amount",
                    #"{"contributor":"beijing","amount":null,"currency":"CNY","valueDate":"2025-03-15","reference":"r"}"#,
                    "application/json", 422, "/amount"
                ),
                (
                    "control character", APIHarness.contribution(reference: "BOC\\u0000"), "application/json", 422,
                    "/reference"
                ),
                ("array body", "[]", "application/json", 422, nil),
            ]
            for (name, body, contentType, status, pointer) in cases {
                // An admin may name any contributor, so an unknown one is a 422 and not a 403.
                let reply = try await api.call(
                    .post, "/v1/contributions", token: api.tokens.admin, key: "bad-\(name)", json: body,
                    contentType: contentType)
                #expect(reply.status == status, "\(name): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.isProblem, "\(name)")
                if let pointer { #expect(reply.problemPointer == pointer, "\(name)") }
                #expect(reply.string("detail")?.contains("PSQL") != true, "\(name)")
            }
            let big = APIHarness.contribution(reference: String(repeating: "x", count: 1 << 20))
            let tooBig = try await api.curl(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "big", json: big)
            #expect(tooBig.status == 413)
            #expect(tooBig.body.contains("body-too-large"))
            #expect(try await api.count("contributions") == 0)
            #expect(try await api.count("journal_entries") == 0)
            #expect(try await api.count("idempotency_keys") == 0)
            #expect(try await api.balanceFen("fund:cash") == 0)
        }
    }

    @Test func aReversalMirrorsTheEntryOnceAndRestoresTheBalances() async throws {
        try await APIHarness.with { api in
            let recorded = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "r-1",
                json: APIHarness.contribution(amount: "500.00"))
            let id = try #require(recorded.string("id"))
            let noReason = try await api.call(
                .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeBeijing, key: "r-2",
                json: #"{"reason":" "}"#)
            #expect(noReason.status == 422)
            #expect(noReason.problemPointer == "/reason")
            let otherCity = try await api.call(
                .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeTianjin, key: "r-3",
                json: #"{"reason":"typo"}"#)
            #expect(otherCity.status == 403)
            let early = try await api.call(
                .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeBeijing, key: "r-4",
                json: #"{"reason":"typo","valueDate":"2025-03-14"}"#)
            #expect(early.status == 422)
            let reversed = try await api.call(
                .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeBeijing, key: "r-5",
                json: #"{"reason":"entered twice","valueDate":"2025-04-01"}"#)
            #expect(reversed.status == 201)
            #expect(reversed.string("status") == "reversed")
            #expect((reversed.json["reversal"] as? [String: Any])?["reason"] as? String == "entered twice")
            #expect(try await api.balanceFen("fund:cash") == 0)
            #expect(try await api.balanceFen("contributions:beijing") == 0)
            // As of the day before the reversal, the money was there.
            #expect(try await api.balanceFen("fund:cash", asOf: "2025-03-31") == 50_000)
            #expect(try await api.balanceFen("fund:cash", asOf: "2025-03-14") == 0)
            let again = try await api.call(
                .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeBeijing, key: "r-6",
                json: #"{"reason":"again"}"#)
            #expect(again.status == 409)
            #expect(
                try await api.call(
                    .post, "/v1/contributions/\(UUID())/reversal", token: api.tokens.admin, key: "r-7",
                    json: #"{"reason":"x"}"#
                ).status == 404)
            #expect(try await api.count("journal_entries") == 2)
        }
    }

    @Test func aReversalThatWouldOverdrawTheFundIsA409() async throws {
        try await APIHarness.with { api in
            let recorded = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "o-1",
                json: APIHarness.contribution(amount: "500.00"))
            let id = try #require(recorded.string("id"))
            // The money has gone out (a payment entry written by the owner, as disbursements will).
            try await api.database.withOwner { owner in
                try await owner.transaction { connection in
                    try await connection.query(
                        "INSERT INTO audit_events (type, actor, payload) VALUES ('test.paid', 'test', '{}')",
                        logger: owner.logger)
                    try await connection.query(
                        "INSERT INTO accounts (code, type, jurisdiction, non_negative) VALUES ('disbursements:chengde', 'expense', 'chengde', false)",
                        logger: owner.logger)
                    try await connection.query(
                        "INSERT INTO journal_entries (kind, value_date, memo, recorded_by) VALUES ('payment', '2025-04-01', 'test', 'test')",
                        logger: owner.logger)
                    try await connection.query(
                        """
                        INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen)
                        SELECT max(id), 1, 'disbursements:chengde', 'debit', 40000 FROM journal_entries
                        UNION ALL SELECT max(id), 2, 'fund:cash', 'credit', 40000 FROM journal_entries
                        """, logger: owner.logger)
                }
            }
            let reply = try await api.call(
                .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeBeijing, key: "o-2",
                json: #"{"reason":"bounced"}"#)
            #expect(reply.status == 409)
            #expect(reply.string("type")?.hasSuffix("/fund-insufficient") == true)
            #expect(try await api.balanceFen("fund:cash") == 10_000)
            #expect(try await api.count("contribution_reversals") == 0)
        }
    }

    @Test func listsFilterAndPageWithACursor() async throws {
        try await APIHarness.with { api in
            for index in 1...7 {
                let contributor = index % 2 == 0 ? "tianjin" : "beijing"
                let date = "2025-0\(index)-10"
                let reply = try await api.call(
                    .post, "/v1/contributions", token: api.tokens.admin, key: "p-\(index)",
                    json: APIHarness.contribution(
                        contributor, amount: "\(index).00", valueDate: date, reference: "R\(index)"))
                #expect(reply.status == 201)
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.call(
                    .get, "/v1/contributions?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: api.tokens.auditor)
                #expect(page.status == 200)
                #expect(page.items.count <= 3)
                seen += page.items.compactMap { $0["reference"] as? String }
                cursor = page.string("nextCursor")
            } while cursor != nil
            #expect(seen == ["R7", "R6", "R5", "R4", "R3", "R2", "R1"])
            let beijing = try await api.call(
                .get, "/v1/contributions?contributor=beijing&from=2025-02-01&to=2025-06-30", token: api.tokens.auditor)
            #expect(beijing.items.compactMap { $0["reference"] as? String } == ["R5", "R3"])
            #expect(try await api.call(.get, "/v1/contributions?limit=501", token: api.tokens.auditor).status == 422)
            #expect(try await api.call(.get, "/v1/contributions?limit=0", token: api.tokens.auditor).status == 422)
            #expect(
                try await api.call(.get, "/v1/contributions?cursor=nonsense", token: api.tokens.auditor).status == 422)
            #expect(
                try await api.call(.get, "/v1/contributions?from=2025-02-30", token: api.tokens.auditor).problemPointer
                    == "from")
        }
    }

    /// One Idempotency-Key sent by 20 clients at the same moment: one contribution, and all 20 get its answer. The
    /// same key with 20 different bodies at once: one is written, the other 19 are told the key was reused.
    @Test func twentyClientsSendingOneKeyAtOnceMakeOneContribution() async throws {
        try await APIHarness.with { api in
            let body = APIHarness.contribution(amount: "1234.56", reference: "SAME-KEY")
            let replies = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let reply = try await api.send(
                            .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "one-key", json: body)
                        return (reply.status, reply.string("id"))
                    }
                }
                var all: [(Int, String?)] = []
                for try await reply in group { all.append(reply) }
                return all
            }
            #expect(replies.allSatisfy { $0.0 == 201 })
            #expect(Set(replies.compactMap(\.1)).count == 1)
            #expect(try await api.count("contributions") == 1)
            #expect(try await api.count("journal_entries") == 1)
            #expect(try await api.balanceFen("contributions:beijing") == 123_456)

            let different = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await api.send(
                            .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "contested",
                            json: APIHarness.contribution(amount: "\(index + 1).00", reference: "CONTESTED-\(index)")
                        ).status
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(different.filter { $0 == 201 }.count == 1)
            #expect(different.filter { $0 == 422 }.count == 19)
            #expect(try await api.count("contributions") == 2)
        }
    }

    /// 200 contributions at once, some retried with the same key: the balances hold exactly the distinct ones.
    @Test func concurrentContributionsWithRepeatedKeysPostEachDistinctOneOnce() async throws {
        try await APIHarness.with { api in
            struct Send: Sendable {
                let token: String
                let key: String
                let body: String
                let contributor: String
                let fen: Int64
            }
            var sends: [Send] = []
            var expected: [String: Int64] = ["beijing": 0, "tianjin": 0]
            for index in 0..<150 {
                let contributor = index % 3 == 0 ? "tianjin" : "beijing"
                let fen = Int64(index * 137 + 1)
                let amount = Money(fen: fen).decimalString
                let token = contributor == "beijing" ? api.tokens.financeBeijing : api.tokens.financeTianjin
                let send = Send(
                    token: token, key: "load-\(index)",
                    body: APIHarness.contribution(contributor, amount: amount, reference: "LOAD-\(index)"),
                    contributor: contributor, fen: fen)
                sends.append(send)
                expected[contributor, default: 0] += fen
            }
            sends += sends.prefix(50)  // 50 retries of the same key and body
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for send in sends.shuffled() {
                    group.addTask {
                        let reply = try await api.send(
                            .post, "/v1/contributions", token: send.token, key: send.key, json: send.body)
                        return (reply.status, reply.string("id"))
                    }
                }
                var all: [(Int, String?)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(statuses.allSatisfy { $0.0 == 201 })
            #expect(Set(statuses.compactMap(\.1)).count == 150)
            #expect(try await api.count("contributions") == 150)
            #expect(try await api.balanceFen("contributions:beijing") == expected["beijing"])
            #expect(try await api.balanceFen("contributions:tianjin") == expected["tianjin"])
            #expect(try await api.balanceFen("fund:cash") == expected.values.reduce(0, +))
            let trial = try await api.call(.get, "/v1/reports/trial-balance", token: api.tokens.auditor)
            #expect(trial.json["balanced"] as? Bool == true)
            let mismatched = try await api.database.withApp { app in
                try await LedgerService(database: app).mismatchedBalances()
            }
            #expect(mismatched.isEmpty)
        }
    }
}
