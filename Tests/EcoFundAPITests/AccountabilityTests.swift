import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Testing

/// DESIGN.md "Accountability" through the API: targets and readings like scores, the monitor, an advance, a
/// settlement that claws back, a recovery; and each refusal of the issue's list a 4xx naming its field, with nothing
/// written.
@Suite struct AccountabilityTests {
    static let periodPath = "/v1/assessment-periods/2025"

    /// 1000.00 to Zhangjiakou and Chengde by population, paid ahead for 2025.
    static let advance =
        #"{"code":"adv","title":"Advance","kind":"advance","fiscalYear":2025,"pool":{"kind":"fixed","amount":"1000.00"},"tranches":[{"name":"upstream","share":"1","recipients":["zhangjiakou","chengde"]}],"factors":[{"key":"population","weight":"1"}]}"#
    /// The year's 1000.00 by population, halved for a missed binding target of 2025, less the advance.
    static let settlement =
        #"{"code":"set","title":"Settlement","kind":"settlement","fiscalYear":2025,"settles":"adv","assessmentPeriod":"2025","missedBindingTarget":{"multiplier":"0.50"},"pool":{"kind":"fixed","amount":"1000.00"},"tranches":[{"name":"upstream","share":"1","recipients":["zhangjiakou","chengde"]}],"factors":[{"key":"population","weight":"1"}]}"#

    static func targets(pm25: String, binding: Bool = true, indicator: String = "pm25", reason: String? = nil)
        -> String
    {
        let reasonField = reason.map { #","reason":"\#($0)""# } ?? ""
        return
            #"{"targets":[{"indicator":"\#(indicator)","value":"\#(pm25)","binding":\#(binding)},{"indicator":"forest","value":"40","binding":false}]\#(reasonField)}"#
    }

    @Test func targetsAndReadingsAreRevisedLikeScoresAndFeedTheMonitor() async throws {
        try await APIHarness.with { api in
            try await AssessmentTests.openPeriod(api)
            let path = "\(Self.periodPath)/targets/chengde"
            let unknown = try await api.call(
                .put, path, token: api.tokens.assessor, json: Self.targets(pm25: "30", indicator: "ozone"))
            #expect(unknown.status == 422)
            #expect(unknown.problemPointer == "/targets/0/indicator")
            #expect(try await api.count("assessment_targets") == 0)
            #expect(
                try await api.call(.put, path, token: api.tokens.approver, json: Self.targets(pm25: "30")).status
                    == 403)
            let first = try await api.call(.put, path, token: api.tokens.assessor, json: Self.targets(pm25: "30"))
            #expect(first.status == 201)
            let etag = try #require(first.headers[.eTag])
            let blind = try await api.call(.put, path, token: api.tokens.assessor, json: Self.targets(pm25: "32"))
            #expect(blind.status == 412)
            let noReason = try await api.call(
                .put, path, token: api.tokens.assessor, json: Self.targets(pm25: "32"), headers: [.ifMatch: etag])
            #expect(noReason.status == 422)
            #expect(noReason.problemPointer == "/reason")
            let revised = try await api.call(
                .put, path, token: api.tokens.assessor, json: Self.targets(pm25: "32", reason: "省政府调整目标"),
                headers: [.ifMatch: etag])
            #expect(revised.status == 200)
            #expect(revised.json["revision"] as? Int == 2)
            let history = try await api.call(.get, "\(path)/history", token: api.tokens.auditor)
            #expect(history.items.map { $0["revision"] as? Int } == [1, 2])

            let readings = "\(Self.periodPath)/readings/chengde"
            let outside = try await api.call(
                .put, "\(readings)/2024-12", token: api.tokens.assessor,
                json: #"{"values":[{"indicator":"pm25","value":"31"}]}"#)
            #expect(outside.status == 422)
            #expect(outside.problemPointer == "/month")
            #expect(try await api.count("assessment_readings") == 0)
            for (month, value) in [("2025-03", "29"), ("2025-07", "34")] {
                let reply = try await api.call(
                    .put, "\(readings)/\(month)", token: api.tokens.assessor,
                    json: #"{"values":[{"indicator":"pm25","value":"\#(value)"}]}"#)
                #expect(reply.status == 201)
            }
            let monitor = try await api.call(.get, "\(Self.periodPath)/monitor", token: api.tokens.auditor)
            let rows = monitor.items.map {
                "\($0["jurisdiction"] ?? "") \($0["indicator"] ?? "") \($0["month"] ?? "-") \($0["status"] ?? "")"
            }
            // Chengde's latest PM2.5 reading (34 in July) is above its target of 32; forest has no reading.
            #expect(rows == ["chengde forest - noReading", "chengde pm25 2025-07 missed"])
            #expect(monitor.json["status"] as? String == "open")
            for (type, count) in [
                ("assessment.targets.entered", 1), ("assessment.targets.revised", 1),
                ("assessment.readings.entered", 2),
            ] {
                #expect(try await api.count("audit_events WHERE type = '\(type)'") == count, "\(type)")
            }
        }
    }

    /// Targets for 2025 (PM2.5 at most 30 for Chengde, 40 for Zhangjiakou), final values with Chengde missing its
    /// target, the period finalized, both rules published and the fund given 5000.00.
    static func finalizedWithAMissedTarget(_ api: APIHarness) async throws {
        try await AssessmentTests.openPeriod(api)
        for (city, pm25) in [("chengde", "30"), ("zhangjiakou", "40")] {
            let reply = try await api.call(
                .put, "\(Self.periodPath)/targets/\(city)", token: api.tokens.assessor,
                json: Self.targets(pm25: pm25))
            #expect(reply.status == 201)
        }
        // Chengde's final PM2.5 (35) misses its binding target of 30; Zhangjiakou's (38) meets its 40.
        for (city, pm25) in [("chengde", "35"), ("zhangjiakou", "38")] {
            let reply = try await api.call(
                .put, "\(Self.periodPath)/scores/\(city)", token: api.tokens.assessor,
                json: AssessmentTests.values(forest: "45", pm25: pm25))
            #expect(reply.status == 201)
        }
        #expect(try await api.call(.post, "\(Self.periodPath)/finalize", token: api.tokens.assessor).status == 200)
        for rule in [Self.advance, Self.settlement] {
            #expect(
                try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: rule).status == 201
            )
        }
        try await DisbursementTests.fund(api, "5000.00")
    }

    @Test func aSettlementClawsBackAndARecoveryNeverExceedsTheReceivable() async throws {
        try await APIHarness.with { api in
            try await Self.finalizedWithAMissedTarget(api)
            let advance = try await DisbursementTests.propose(api, rule: "adv", key: "advance")

            // The advance is not posted yet: nothing can be settled against it.
            let runs = try await api.count("disbursement_runs")
            let early = try await api.call(
                .post, "/v1/disbursement-runs", token: api.tokens.financeBeijing, key: "early",
                json: #"{"rule":"set","valueDate":"2026-03-31"}"#)
            #expect(early.status == 409)
            #expect(early.problemPointer == "/settles")
            #expect(try await api.count("disbursement_runs") == runs)

            for step in ["approve", "post"] {
                #expect(
                    try await api.call(.post, "/v1/disbursement-runs/\(advance)/\(step)", token: api.tokens.approver)
                        .status == 200)
            }
            let settlement = try await DisbursementTests.propose(api, rule: "set", key: "settlement")
            let run = try await api.call(.get, "/v1/disbursement-runs/\(settlement)", token: api.tokens.auditor)
            let items = (run.json["allocation"] as? [String: Any])?["allocations"] as? [[String: Any]] ?? []
            let chengde = try #require(items.first { $0["recipient"] as? String == "chengde" })
            let derivation = try #require(chengde["derivation"] as? [String: Any])
            let settled = try #require(derivation["settlement"] as? [String: Any])
            // a = 448.95 (the advance by population); x = 1000.00 × 1677500 / 5795500 = 289.45 (multiplier 0.50
            // for the missed pm25 target); s = x − a = −159.50, a clawback.
            #expect((settled["advanced"] as? [String: Any])?["amount"] as? String == "448.95")
            #expect((settled["finalAmount"] as? [String: Any])?["amount"] as? String == "289.45")
            #expect((settled["difference"] as? [String: Any])?["amount"] as? String == "-159.50")
            #expect(settled["advanceRuns"] as? [String] == [advance])
            #expect(derivation["missedTargets"] as? [String] == ["pm25"])
            #expect((chengde["clawback"] as? [String: Any])?["amount"] as? String == "159.50")
            for step in ["approve", "post"] {
                #expect(
                    try await api.call(.post, "/v1/disbursement-runs/\(settlement)/\(step)", token: api.tokens.approver)
                        .status == 200)
            }
            #expect(try await api.balanceFen("receivable:chengde") == 15_950)
            #expect(try await api.count("clawbacks") == 1)
            // The year is settled: another advance for it would never be.
            let late = try await api.call(
                .post, "/v1/disbursement-runs", token: api.tokens.financeBeijing, key: "late-advance",
                json: #"{"rule":"adv","valueDate":"2026-04-01"}"#)
            #expect(late.status == 409)
            #expect(late.problemPointer == "/rule")
            #expect(try await api.count("audit_events WHERE type = 'disbursement.clawback.posted'") == 1)

            let recoveries = try await api.count("recoveries")
            let tooMuch = try await api.call(
                .post, "/v1/recoveries", token: api.tokens.approver, key: "too-much",
                json: #"{"recipient":"chengde","amount":"159.51","valueDate":"2026-04-20","bankReference":"CD-1"}"#)
            #expect(tooMuch.status == 422)
            #expect(tooMuch.problemPointer == "/amount")
            #expect(try await api.count("recoveries") == recoveries)
            let nothingOwed = try await api.call(
                .post, "/v1/recoveries", token: api.tokens.approver, key: "nothing-owed",
                json: #"{"recipient":"zhangjiakou","amount":"1.00","valueDate":"2026-04-20","bankReference":"ZJK-1"}"#)
            #expect(nothingOwed.status == 422)
            #expect(nothingOwed.problemPointer == "/recipient")
            let recovered = try await api.call(
                .post, "/v1/recoveries", token: api.tokens.approver, key: "recovery",
                json: #"{"recipient":"chengde","amount":"100.00","valueDate":"2026-04-20","bankReference":"CD-1"}"#)
            #expect(recovered.status == 201)
            #expect(try await api.balanceFen("receivable:chengde") == 5_950)
            #expect(try await api.count("audit_events WHERE type = 'recovery.recorded'") == 1)
            let receivables = try await api.call(.get, "/v1/receivables", token: api.tokens.auditor).items
            #expect(receivables.count == 1)
            #expect((receivables.first?["outstanding"] as? [String: Any])?["amount"] as? String == "59.50")

            let statement = try await api.call(
                .get, "/v1/reports/fund-statement?fiscalYear=2026", token: api.tokens.auditor)
            #expect((statement.json["clawedBack"] as? [String: Any])?["amount"] as? String == "159.50")
            #expect((statement.json["recoveries"] as? [String: Any])?["amount"] as? String == "100.00")
            #expect((statement.json["receivablesOutstanding"] as? [String: Any])?["amount"] as? String == "59.50")
            #expect(statement.json["cashTies"] as? Bool == true)
        }
    }

    /// An approver keeps part of a later payment back against what the recipient owes: Dr payable, Cr fund:cash of
    /// the rest, Cr receivable of the offset; never more than the payment or the receivable.
    @Test func aLaterPaymentIsOffsetAgainstTheReceivable() async throws {
        try await APIHarness.with { api in
            try await Self.finalizedWithAMissedTarget(api)
            let advance = try await DisbursementTests.propose(api, rule: "adv", key: "advance")
            try await Self.approveAndPost(api, advance)
            try await Self.approveAndPost(api, try await DisbursementTests.propose(api, rule: "set", key: "settle"))
            #expect(try await api.balanceFen("receivable:chengde") == 15_950)
            // A later run pays Chengde 448.95 (the simple rule by population, as the advance did).
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                )
                .status == 201)
            let later = try await DisbursementTests.propose(api, key: "later")
            try await Self.approveAndPost(api, later)
            let cash = try await api.balanceFen("fund:cash")
            let payable = try await api.balanceFen("payable:chengde")
            let payments = try await api.count("disbursement_payments")
            func pay(_ offset: String, key: String) async throws -> APIHarness.Reply {
                try await api.call(
                    .post, "/v1/disbursement-runs/\(later)/payments", token: api.tokens.approver, key: key,
                    json: #"{"recipient":"chengde","bankReference":"PBOC-OFFSET-1","offset":"\#(offset)"}"#)
            }
            for (offset, why) in [("448.96", "more than the payment"), ("159.51", "more than Chengde owes")] {
                let refused = try await pay(offset, key: "refused-\(offset)")
                #expect(refused.status == 422, "\(why)")
                #expect(refused.problemPointer == "/offset", "\(why)")
            }
            #expect(try await api.count("disbursement_payments") == payments)
            let paid = try await pay("159.50", key: "offset")
            #expect(paid.status == 200, "\(String(decoding: paid.body, as: UTF8.self))")
            #expect(try await api.balanceFen("receivable:chengde") == 0)
            #expect(try await api.balanceFen("payable:chengde") == payable - 44_895)
            #expect(try await api.balanceFen("fund:cash") == cash - (44_895 - 15_950))
            let shown = (paid.json["payments"] as? [[String: Any]] ?? []).first {
                $0["recipient"] as? String == "chengde"
            }
            #expect((shown?["offset"] as? [String: Any])?["amount"] as? String == "159.50")
            let statement = try await api.call(
                .get, "/v1/reports/fund-statement?fiscalYear=2026", token: api.tokens.auditor)
            #expect(statement.json["cashTies"] as? Bool == true)
            #expect((statement.json["receivablesOutstanding"] as? [String: Any])?["amount"] as? String == "0.00")
        }
    }

    static func approveAndPost(_ api: APIHarness, _ run: String) async throws {
        for step in ["approve", "post"] {
            let reply = try await api.call(.post, "/v1/disbursement-runs/\(run)/\(step)", token: api.tokens.approver)
            #expect(reply.status == 200, "\(step) \(run): \(String(decoding: reply.body, as: UTF8.self))")
        }
    }
}
