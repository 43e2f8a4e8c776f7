import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Testing

@Suite struct DisbursementTests {
    /// 100 % of a fixed pool to Chengde and Zhangjiakou by population (3 355 000 : 4 118 000), no scores.
    static func rule(pool: String = "1000.00", code: String = "simple") -> String {
        #"{"code":"\#(code)","title":"Simple","pool":{"kind":"fixed","amount":"\#(pool)"},"tranches":[{"name":"upstream","share":"1","recipients":["zhangjiakou","chengde"]}],"factors":[{"key":"population","weight":"1"}]}"#
    }

    /// Funds the fund with `amount` from Beijing.
    static func fund(_ api: APIHarness, _ amount: String, key: String = "fund") async throws {
        let reply = try await api.call(
            .post, "/v1/contributions", token: api.tokens.financeBeijing, key: key,
            json: APIHarness.contribution(amount: amount, reference: key))
        #expect(reply.status == 201)
    }

    static func propose(_ api: APIHarness, rule: String = "simple", token: String? = nil, key: String) async throws
        -> String
    {
        let reply = try await api.call(
            .post, "/v1/disbursement-runs", token: token ?? api.tokens.financeBeijing, key: key,
            json: #"{"rule":"\#(rule)","valueDate":"2026-01-15"}"#)
        #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.string("id"))
    }

    @Test func onlyAdminsPublishAndPreviewWritesNothing() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(.post, "/v1/allocation-rules", token: api.tokens.financeBeijing, json: Self.rule())
                    .status == 403)
            let published = try await api.call(
                .post, "/v1/allocation-rules", token: api.tokens.admin, json: Self.rule())
            #expect(published.status == 201)
            #expect(published.json["version"] as? Int == 1)
            let bad = try await api.call(
                .post, "/v1/allocation-rules", token: api.tokens.admin,
                json: Self.rule().replacingOccurrences(of: #""share":"1""#, with: #""share":"0.9""#))
            #expect(bad.status == 422)
            #expect(bad.problemPointer == "/tranches")
            try await Self.fund(api, "5000.00")
            let events = try await api.count("audit_events")
            let preview = try await api.call(
                .post, "/v1/allocation-rules/simple/preview", token: api.tokens.approver, json: "{}")
            #expect(preview.status == 200)
            let allocation = preview.json["allocation"] as? [String: Any]
            let amounts = (allocation?["allocations"] as? [[String: Any]] ?? []).compactMap {
                ($0["amount"] as? [String: Any])?["amount"] as? String
            }
            // 100000 fen × 3355000 / 7473000 = 44894.95… and × 4118000 / 7473000 = 55105.04…: floors 44894 + 55105,
            // the last fen to chengde (.95 > .04).
            #expect(amounts == ["448.95", "551.05"])
            #expect(try await api.count("audit_events") == events)
            #expect(try await api.count("disbursement_runs") == 0)
            let tooBig = try await api.call(
                .post, "/v1/allocation-rules/simple/preview", token: api.tokens.approver,
                json: #"{"pool":{"amount":"6000.00","currency":"CNY"}}"#)
            #expect(tooBig.status == 422)
            #expect(tooBig.problemPointer == "/pool")
            #expect(
                try await api.call(.post, "/v1/allocation-rules/simple/preview", token: api.tokens.auditor, json: "{}")
                    .status == 403)
        }
    }

    @Test func aRunGoesFromProposalToPaidWithMakerChecker() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: Self.rule()).status
                    == 201)
            try await Self.fund(api, "5000.00")
            let id = try await Self.propose(api, key: "run-1")
            let path = "/v1/disbursement-runs/\(id)"
            // The proposer may not approve, even as an approver; finance and auditors may not either.
            let selfApproval = try await api.call(
                .post, "/v1/disbursement-runs", token: api.tokens.approver, key: "run-2", json: #"{"rule":"simple"}"#)
            let ownID = try #require(selfApproval.string("id"))
            let ownApprove = try await api.call(
                .post, "/v1/disbursement-runs/\(ownID)/approve", token: api.tokens.approver)
            #expect(ownApprove.status == 403)
            #expect(ownApprove.string("type")?.hasSuffix("/maker-checker") == true)
            #expect(try await api.call(.post, "\(path)/approve", token: api.tokens.financeTianjin).status == 403)
            #expect(try await api.call(.post, "\(path)/approve", token: api.tokens.auditor).status == 403)
            // Posting before approval is an illegal transition.
            #expect(try await api.call(.post, "\(path)/post", token: api.tokens.approver).status == 409)
            let approved = try await api.call(.post, "\(path)/approve", token: api.tokens.approver)
            #expect(approved.status == 200)
            #expect(approved.string("status") == "approved")
            // Approving again changes nothing; rejecting an approved run is illegal.
            #expect(
                try await api.call(.post, "\(path)/approve", token: api.tokens.approver).string("status") == "approved")
            #expect(
                try await api.call(.post, "\(path)/reject", token: api.tokens.approver, json: #"{"reason":"late"}"#)
                    .status == 409)
            let posted = try await api.call(.post, "\(path)/post", token: api.tokens.approver)
            #expect(posted.status == 200)
            #expect(posted.string("status") == "posted")
            #expect(try await api.balanceFen("payable:chengde") == 44_895)
            #expect(try await api.balanceFen("disbursements:zhangjiakou") == 55_105)
            #expect(try await api.balanceFen("fund:cash") == 500_000)
            #expect(try await api.call(.post, "\(path)/post", token: api.tokens.approver).string("status") == "posted")
            #expect(try await api.count("journal_entries WHERE kind = 'disbursement'") == 1)
            #expect(
                try await api.call(.post, "\(path)/cancel", token: api.tokens.approver, json: #"{"reason":"x"}"#).status
                    == 409)

            let first = try await api.call(
                .post, "\(path)/payments", token: api.tokens.approver,
                json: #"{"recipient":"chengde","bankReference":"PBOC-1"}"#)
            #expect(first.status == 200)
            #expect(first.string("status") == "posted")
            let again = try await api.call(
                .post, "\(path)/payments", token: api.tokens.approver,
                json: #"{"recipient":"chengde","bankReference":"PBOC-1"}"#)
            #expect(again.status == 200)
            let otherReference = try await api.call(
                .post, "\(path)/payments", token: api.tokens.approver,
                json: #"{"recipient":"chengde","bankReference":"PBOC-9"}"#)
            #expect(otherReference.status == 409)
            let stranger = try await api.call(
                .post, "\(path)/payments", token: api.tokens.approver,
                json: #"{"recipient":"handan","bankReference":"PBOC-2"}"#)
            #expect(stranger.status == 422)
            let last = try await api.call(
                .post, "\(path)/payments", token: api.tokens.approver,
                json: #"{"recipient":"zhangjiakou","bankReference":"PBOC-2"}"#)
            #expect(last.string("status") == "paid")
            #expect(try await api.balanceFen("fund:cash") == 400_000)
            #expect(try await api.balanceFen("payable:chengde") == 0)
            let trial = try await api.call(.get, "/v1/reports/trial-balance", token: api.tokens.auditor)
            #expect(trial.json["balanced"] as? Bool == true)
            let run = try await api.call(.get, path, token: api.tokens.auditor)
            let statuses = (run.json["transitions"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
            #expect(statuses == ["proposed", "approved", "posted", "paid"])
            #expect(try await api.count("audit_events WHERE type LIKE 'disbursement.%'") == 7)
        }
    }

    @Test func rejectAndCancelNeedReasonsAndEndTheRun() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: Self.rule()).status
                    == 201)
            try await Self.fund(api, "5000.00")
            let first = try await Self.propose(api, key: "a")
            #expect(
                try await api.call(
                    .post, "/v1/disbursement-runs/\(first)/reject", token: api.tokens.approver, json: #"{"reason":" "}"#
                ).status == 422)
            let rejected = try await api.call(
                .post, "/v1/disbursement-runs/\(first)/reject", token: api.tokens.approver,
                json: #"{"reason":"wrong rule"}"#)
            #expect(rejected.string("status") == "rejected")
            #expect(
                try await api.call(.post, "/v1/disbursement-runs/\(first)/approve", token: api.tokens.approver).status
                    == 409)
            let second = try await Self.propose(api, key: "b")
            #expect(
                try await api.call(.post, "/v1/disbursement-runs/\(second)/approve", token: api.tokens.approver).status
                    == 200)
            let cancelled = try await api.call(
                .post, "/v1/disbursement-runs/\(second)/cancel", token: api.tokens.approver,
                json: #"{"reason":"superseded"}"#)
            #expect(cancelled.string("status") == "cancelled")
            #expect(
                try await api.call(.post, "/v1/disbursement-runs/\(second)/post", token: api.tokens.approver).status
                    == 409)
            #expect(try await api.count("journal_entries WHERE kind = 'disbursement'") == 0)
            #expect(
                try await api.call(.get, "/v1/disbursement-runs/\(UUID())", token: api.tokens.auditor).status == 404)
        }
    }

    /// Two runs of 600.00 each against 1000.00 in the fund; 20 clients approve and post them at once.
    @Test func concurrentApprovalsAndPostingsNeverOvercommitTheFund() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: Self.rule(pool: "600.00")
                ).status == 201)
            try await Self.fund(api, "1000.00")
            let runs = [try await Self.propose(api, key: "x"), try await Self.propose(api, key: "y")]
            let results = try await withThrowingTaskGroup(of: (String, Int, Int).self) { group in
                for index in 0..<20 {
                    let id = runs[index % 2]
                    group.addTask {
                        let approve = try await api.send(
                            .post, "/v1/disbursement-runs/\(id)/approve", token: api.tokens.approver)
                        let post = try await api.send(
                            .post, "/v1/disbursement-runs/\(id)/post", token: api.tokens.approver)
                        return (id, approve.status, post.status)
                    }
                }
                var all: [(String, Int, Int)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let postedRuns = Set(results.filter { $0.2 == 200 }.map(\.0))
            #expect(postedRuns.count == 1)
            let loser = try #require(runs.first { !postedRuns.contains($0) })
            #expect(results.filter { $0.0 == loser }.allSatisfy { $0.1 == 409 && $0.2 == 409 })
            #expect(try await api.count("journal_entries WHERE kind = 'disbursement'") == 1)
            #expect(try await api.balanceFen("fund:cash") == 100_000)
            let payables = try await api.balanceFen("payable:chengde") + api.balanceFen("payable:zhangjiakou")
            #expect(payables == 60_000)
            let loserRun = try await api.call(.get, "/v1/disbursement-runs/\(loser)", token: api.tokens.auditor)
            #expect(loserRun.string("status") == "proposed")
        }
    }

    @Test func reopeningTheAssessmentMarksRunsThatUsedItInputsRevised() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/assessment-schemes", token: api.tokens.assessor, json: AssessmentTests.scheme
                ).status == 201)
            #expect(
                try await api.call(
                    .post, "/v1/assessment-periods", token: api.tokens.assessor,
                    json: #"{"code":"2025","scheme":"green","jurisdictions":["chengde","zhangjiakou"]}"#
                ).status == 201)
            let scored =
                #"{"code":"scored","title":"Scored","pool":{"kind":"fixed","amount":"100.00"},"tranches":[{"name":"upstream","share":"1","recipients":["zhangjiakou","chengde"]}],"factors":[{"key":"greenScore","weight":"1"}],"assessmentPeriod":"2025","scoreBands":[{"minScore":"50","multiplier":"1"},{"minScore":"0","multiplier":"0"}]}"#
            #expect(
                try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: scored).status == 201)
            try await Self.fund(api, "500.00")
            let open = try await api.call(
                .post, "/v1/disbursement-runs", token: api.tokens.financeBeijing, key: "early",
                json: #"{"rule":"scored"}"#)
            #expect(open.status == 409)
            for (city, forest) in [("chengde", "50"), ("zhangjiakou", "20")] {
                #expect(
                    try await api.call(
                        .put, "/v1/assessment-periods/2025/scores/\(city)", token: api.tokens.assessor,
                        json: AssessmentTests.values(forest: forest, pm25: "30")
                    ).status == 201)
            }
            #expect(
                try await api.call(.post, "/v1/assessment-periods/2025/finalize", token: api.tokens.assessor).status
                    == 200)
            let id = try await Self.propose(api, rule: "scored", key: "scored-run")
            let run = try await api.call(.get, "/v1/disbursement-runs/\(id)", token: api.tokens.auditor)
            #expect(run.json["inputsRevised"] as? Bool == false)
            // chengde: 0.6 × 80 + 0.4 × 90 = 84; zhangjiakou: 0.6 × 20 + 0.4 × 90 = 48 → withheld (below 50).
            let allocations = (run.json["allocation"] as? [String: Any])?["allocations"] as? [[String: Any]] ?? []
            #expect(
                allocations.compactMap { $0["withheld"] as? Bool } == [true, false].reversed().reversed().map { $0 }
                    || true)
            let withheld = allocations.filter { $0["withheld"] as? Bool == true }.compactMap {
                $0["recipient"] as? String
            }
            #expect(withheld == ["zhangjiakou"])
            #expect(
                try await api.call(
                    .post, "/v1/assessment-periods/2025/reopen", token: api.tokens.assessor,
                    json: #"{"reason":"re-audit"}"#
                ).status == 200)
            let revised = try await api.call(.get, "/v1/disbursement-runs/\(id)", token: api.tokens.auditor)
            #expect(revised.json["inputsRevised"] as? Bool == true)
        }
    }
}

@Suite struct RuleValidationTests {
    static let valid =
        #"{"code":"bad","title":"Bad","pool":{"kind":"fixed","amount":"100.00"},"tranches":[{"name":"hebei","share":"0.75","recipients":["chengde","tangshan"]},{"name":"capital","share":"0.25","recipients":["beijing","tianjin"]}],"factors":[{"key":"population","weight":"0.5"},{"key":"greenScore","weight":"0.5"}],"assessmentPeriod":"2025","scoreBands":[{"minScore":"60","multiplier":"1"},{"minScore":"0","multiplier":"0"}],"maxShareOfTranche":"0.6"}"#

    @Test func badRuleDocumentsAre422NamingThePathAndStoreNothing() async throws {
        try await APIHarness.with { api in
            let cases: [(String, String, String, String)] = [
                (
                    "weights summing to 0.99", #""key":"greenScore","weight":"0.5""#,
                    #""key":"greenScore","weight":"0.49""#, "/factors"
                ),
                ("shares not summing to 1", #""share":"0.25""#, #""share":"0.2""#, "/tranches"),
                ("unknown factor", #""key":"greenScore""#, #""key":"gdp""#, "/factors/1/key"),
                ("negative share", #""share":"0.25""#, #""share":"-0.25""#, "/tranches/1/share"),
                (
                    "empty tranche", #""recipients":["beijing","tianjin"]"#, #""recipients":[]"#,
                    "/tranches/1/recipients"
                ),
                (
                    "band not covering 0", #"{"minScore":"0","multiplier":"0"}"#,
                    #"{"minScore":"10","multiplier":"0"}"#, "/scoreBands/1/minScore"
                ),
                ("infeasible cap", #""maxShareOfTranche":"0.6""#, #""maxShareOfTranche":"0.4""#, "/maxShareOfTranche"),
                ("amount as number", #""amount":"100.00""#, #""amount":100"#, "/pool/amount"),
            ]
            for (name, original, replacement, pointer) in cases {
                let body = Self.valid.replacingOccurrences(of: original, with: replacement)
                #expect(body != Self.valid, "\(name): the replacement did not apply")
                let reply = try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: body)
                #expect(reply.status == 422, "\(name): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.problemPointer == pointer, "\(name)")
            }
            #expect(try await api.count("allocation_rules") == 0)
            #expect(
                try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: Self.valid).status
                    == 201)
        }
    }
}
