import EcoFundCore
import Foundation
import HTTPTypes
import Testing

@Suite struct AssessmentTests {
    /// forest (higher is better, 10…60 %, weight 0.6) and pm25 (lower is better, 25…75 µg/m³, weight 0.4).
    static let scheme = #"""
        {"code":"green","name":"Green performance","indicators":[
          {"code":"forest","name":"Forest coverage","nameZh":"森林覆盖率","weight":"0.6","direction":"higherIsBetter","floor":"10","ceiling":"60","unit":"%"},
          {"code":"pm25","name":"PM2.5","nameZh":"PM2.5年均浓度","weight":"0.4","direction":"lowerIsBetter","floor":"25","ceiling":"75","unit":"µg/m³"}]}
        """#

    static func values(forest: String, pm25: String, reason: String? = nil) -> String {
        let reasonField = reason.map { #","reason":"\#($0)""# } ?? ""
        return
            #"{"indicators":[{"code":"forest","value":"\#(forest)"},{"code":"pm25","value":"\#(pm25)"}]\#(reasonField)}"#
    }

    /// A scheme and an open period `2025` over Chengde and Zhangjiakou.
    static func openPeriod(_ api: APIHarness) async throws {
        #expect(
            try await api.call(.post, "/v1/assessment-schemes", token: api.tokens.assessor, json: scheme).status == 201)
        let period = try await api.call(
            .post, "/v1/assessment-periods", token: api.tokens.assessor,
            json: #"{"code":"2025","scheme":"green","jurisdictions":["chengde","zhangjiakou"]}"#)
        #expect(period.status == 201)
        #expect(period.string("status") == "open")
    }

    func put(_ api: APIHarness, _ jurisdiction: String, _ body: String, ifMatch: String? = nil, token: String? = nil)
        async throws -> APIHarness.Reply
    {
        try await api.send(
            .put, "/v1/assessment-periods/2025/scores/\(jurisdiction)", token: token ?? api.tokens.assessor,
            json: body, headers: ifMatch.map { [.ifMatch: $0] } ?? [:])
    }

    @Test func schemesAreValidatedAndVersioned() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(.post, "/v1/assessment-schemes", token: api.tokens.financeBeijing, json: Self.scheme)
                    .status == 403)
            let first = try await api.call(
                .post, "/v1/assessment-schemes", token: api.tokens.assessor, json: Self.scheme)
            #expect(first.status == 201)
            #expect(first.json["version"] as? Int == 1)
            let second = try await api.call(.post, "/v1/assessment-schemes", token: api.tokens.admin, json: Self.scheme)
            #expect(second.json["version"] as? Int == 2)
            let versions = try await api.call(.get, "/v1/assessment-schemes/green", token: api.tokens.auditor)
            #expect(versions.items.count == 2)
            let cases: [(String, String, String)] = [
                (
                    "weights not 1",
                    Self.scheme.replacingOccurrences(of: #""weight":"0.4""#, with: #""weight":"0.41""#), "/indicators"
                ),
                (
                    "weight not decimal",
                    Self.scheme.replacingOccurrences(of: #""weight":"0.6""#, with: #""weight":"60%""#),
                    "/indicators/0/weight"
                ),
                (
                    "floor above ceiling",
                    Self.scheme.replacingOccurrences(of: #""ceiling":"60""#, with: #""ceiling":"5""#),
                    "/indicators/0/ceiling"
                ),
                (
                    "weight as number",
                    Self.scheme.replacingOccurrences(of: #""weight":"0.6""#, with: #""weight":0.6"#),
                    "/indicators/0/weight"
                ),
            ]
            for (name, body, pointer) in cases {
                let reply = try await api.call(.post, "/v1/assessment-schemes", token: api.tokens.assessor, json: body)
                #expect(reply.status == 422, "\(name)")
                #expect(reply.problemPointer == pointer, "\(name)")
            }
            #expect(
                try await api.call(.get, "/v1/assessment-schemes/green", token: api.tokens.auditor).items.count == 2)
        }
    }

    @Test func aScoreIsEnteredRevisedWithIfMatchAndAReasonAndEveryRevisionKept() async throws {
        try await APIHarness.with { api in
            try await Self.openPeriod(api)
            #expect(
                try await put(api, "chengde", Self.values(forest: "35", pm25: "38"), token: api.tokens.financeBeijing)
                    .status == 403)
            let first = try await put(api, "chengde", Self.values(forest: "35", pm25: "38"))
            #expect(first.status == 201)
            // 0.6 × 100 × (35 − 10) / 50 + 0.4 × 100 × (1 − (38 − 25) / 50) = 30 + 29.6
            #expect(first.string("composite") == "59.60")
            let etag = try #require(first.headers[.eTag])
            #expect(first.string("etag") == etag)
            let lines = first.json["indicators"] as? [[String: Any]] ?? []
            #expect(lines.compactMap { $0["score"] as? String } == ["50.00", "74.00"])

            let noIfMatch = try await put(api, "chengde", Self.values(forest: "36", pm25: "38", reason: "corrected"))
            #expect(noIfMatch.status == 412)
            let stale = try await put(
                api, "chengde", Self.values(forest: "36", pm25: "38", reason: "corrected"),
                ifMatch: "\"2025/chengde/r0\"")
            #expect(stale.status == 412)
            let noReason = try await put(api, "chengde", Self.values(forest: "36", pm25: "38"), ifMatch: etag)
            #expect(noReason.status == 422)
            #expect(noReason.problemPointer == "/reason")
            let revised = try await put(
                api, "chengde", Self.values(forest: "36", pm25: "38", reason: "statistics bureau correction"),
                ifMatch: etag)
            #expect(revised.status == 200)
            #expect(revised.json["revision"] as? Int == 2)
            // forest 36 → 52 → 31.2; + 29.6 = 60.8
            #expect(revised.string("composite") == "60.80")
            #expect(revised.headers[.eTag] != etag)

            let history = try await api.call(
                .get, "/v1/assessment-periods/2025/scores/chengde/history", token: api.tokens.auditor)
            #expect(history.items.count == 2)
            let latest = history.items.last?["score"] as? [String: Any]
            let previous = history.items.last?["previous"] as? [String: Any]
            #expect(latest?["reason"] as? String == "statistics bureau correction")
            #expect(latest?["recordedBy"] as? String == "chen.assessor")
            #expect(previous?["composite"] as? String == "59.60")
            #expect(try await api.count("audit_events WHERE type = 'assessment.score.revised'") == 1)
            #expect(try await api.count("audit_events WHERE type = 'assessment.score.entered'") == 1)
        }
    }

    @Test func badValuesAreRefusedNamingTheIndicator() async throws {
        try await APIHarness.with { api in
            try await Self.openPeriod(api)
            let notDecimal = try await put(api, "chengde", Self.values(forest: "35%", pm25: "38"))
            #expect(notDecimal.status == 422)
            #expect(notDecimal.problemPointer == "/indicators/0/value")
            #expect(notDecimal.string("detail")?.contains("forest") == true)
            let unknown = try await put(
                api, "chengde", #"{"indicators":[{"code":"forest","value":"35"},{"code":"pm10","value":"38"}]}"#)
            #expect(unknown.status == 422)
            #expect(unknown.problemPointer == "/indicators/1/code")
            #expect(unknown.string("detail")?.contains("pm10") == true)
            let missing = try await put(api, "chengde", #"{"indicators":[{"code":"forest","value":"35"}]}"#)
            #expect(missing.status == 422)
            #expect(missing.string("detail")?.contains("pm25") == true)
            let number = try await put(
                api, "chengde", #"{"indicators":[{"code":"forest","value":35},{"code":"pm25","value":"38"}]}"#)
            #expect(number.status == 422)
            #expect(number.problemPointer == "/indicators/0/value")
            #expect(try await put(api, "beijing", Self.values(forest: "35", pm25: "38")).status == 404)
            #expect(try await api.count("assessment_scores") == 0)
        }
    }

    @Test func finalizeLocksThePeriodAndReopenNeedsAReason() async throws {
        try await APIHarness.with { api in
            try await Self.openPeriod(api)
            let path = "/v1/assessment-periods/2025"
            #expect(try await put(api, "chengde", Self.values(forest: "50", pm25: "30")).status == 201)
            let early = try await api.call(.post, "\(path)/finalize", token: api.tokens.assessor)
            #expect(early.status == 409)
            #expect(try await put(api, "zhangjiakou", Self.values(forest: "40", pm25: "28")).status == 201)
            #expect(try await api.call(.post, "\(path)/finalize", token: api.tokens.approver).status == 403)
            let finalized = try await api.call(.post, "\(path)/finalize", token: api.tokens.assessor)
            #expect(finalized.status == 200)
            #expect(finalized.string("status") == "finalized")
            let current = try await api.call(.get, "\(path)/scores/chengde", token: api.tokens.auditor)
            let etag = try #require(current.headers[.eTag])
            let locked = try await put(
                api, "chengde", Self.values(forest: "51", pm25: "30", reason: "late"), ifMatch: etag)
            #expect(locked.status == 409)
            #expect(try await api.call(.post, "\(path)/finalize", token: api.tokens.assessor).status == 409)
            let noReason = try await api.call(
                .post, "\(path)/reopen", token: api.tokens.assessor, json: #"{"reason":" "}"#)
            #expect(noReason.status == 422)
            let reopened = try await api.call(
                .post, "\(path)/reopen", token: api.tokens.assessor, json: #"{"reason":"Chengde PM2.5 re-audited"}"#)
            #expect(reopened.status == 200)
            #expect(reopened.string("status") == "open")
            #expect(reopened.json["revision"] as? Int == 3)
            let transitions = reopened.json["transitions"] as? [[String: Any]] ?? []
            #expect(transitions.compactMap { $0["action"] as? String } == ["opened", "finalized", "reopened"])
            #expect(transitions.last?["reason"] as? String == "Chengde PM2.5 re-audited")
            #expect(
                try await put(api, "chengde", Self.values(forest: "51", pm25: "30", reason: "re-audit"), ifMatch: etag)
                    .status == 200)

            let ranking = try await api.call(.get, "\(path)/scores", token: api.tokens.financeTianjin)
            let ranked = ranking.items.compactMap { ($0["score"] as? [String: Any])?["jurisdiction"] as? String }
            #expect(ranked == ["chengde", "zhangjiakou"])
            #expect(ranking.items.compactMap { $0["rank"] as? Int } == [1, 2])
            #expect(try await api.count("audit_events WHERE type LIKE 'assessment.period.%'") == 3)
        }
    }

    /// Ten assessors revise the same score with the same ETag at once: exactly one wins.
    @Test func concurrentRevisionsOfOneScoreLetExactlyOneWin() async throws {
        try await APIHarness.with { api in
            try await Self.openPeriod(api)
            let first = try await put(api, "chengde", Self.values(forest: "35", pm25: "38"))
            let etag = try #require(first.headers[.eTag])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await put(
                            api, "chengde",
                            Self.values(forest: "\(40 + index)", pm25: "38", reason: "revision \(index)"),
                            ifMatch: etag
                        ).status
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 412 }.count == 9)
            let history = try await api.call(
                .get, "/v1/assessment-periods/2025/scores/chengde/history", token: api.tokens.auditor)
            #expect(history.items.count == 2)
        }
    }
}
