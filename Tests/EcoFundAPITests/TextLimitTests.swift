import EcoFundCore
import Foundation
import HTTPTypes
import Testing

/// Every text field at its limit, in flag emoji: 🇨🇳 is one character to a person and to Swift's `count` but two
/// Unicode scalars, which PostgreSQL's `length()` counts. A `reference` of 100 flags passed the old check and then
/// failed the database's (a 500). Now each field is accepted at its limit, refused one scalar over it with its
/// pointer, and refused when nothing in it shows (a lone zero-width space).
@Suite struct TextLimitTests {
    static let flag = "🇨🇳"

    /// `limit` scalars of flags (and one more scalar when `over`).
    static func text(_ limit: Int, over: Bool = false) -> String {
        String(repeating: flag, count: limit / 2) + (limit % 2 == 1 ? "a" : "") + (over ? "a" : "")
    }

    struct Field: Sendable {
        let name: String
        let method: HTTPRequest.Method
        let path: String
        let token: @Sendable (APIHarness) -> String
        /// The body with `%@` where the text goes.
        let body: String
        let pointer: String
        let limit: Int
        /// Whether the field is required (so an invisible text is refused).
        let required: Bool
    }

    @Test func everyTextFieldTakesItsLimitInScalarsAndRefusesMore() async throws {
        try await APIHarness.with { api in
            let state = try await Self.prepare(api)
            var problems: [String] = []
            // Refusals first (they write nothing), then the text at the limit, which is written.
            for field in Self.fields(state) {
                let body = { (text: String) in field.body.replacingOccurrences(of: "%@", with: text) }
                let over = try await api.call(
                    field.method, field.path, token: field.token(api), key: "over-\(UUID())",
                    json: body(Self.text(field.limit, over: true)))
                if over.status != 422 || over.problemPointer != field.pointer {
                    problems.append("\(field.name) over: \(over.status) \(over.problemPointer ?? "")")
                }
                if field.required {
                    let invisible = try await api.call(
                        field.method, field.path, token: field.token(api), key: "zw-\(UUID())",
                        json: body(#"\u200b \u2060"#))
                    if invisible.status != 422 || invisible.problemPointer != field.pointer {
                        problems.append(
                            "\(field.name) invisible: \(invisible.status) \(invisible.problemPointer ?? "")")
                    }
                }
                let at = try await api.call(
                    field.method, field.path, token: field.token(api), key: "at-\(UUID())",
                    json: body(Self.text(field.limit)))
                if !(200..<300).contains(at.status) {
                    problems.append(
                        "\(field.name) at \(field.limit): \(at.status) \(String(decoding: at.body, as: UTF8.self))")
                }
            }
            #expect(problems == [], "\(problems.joined(separator: "\n"))")
        }
    }

    struct State: Sendable {
        /// Contributions to reverse, one per request that may succeed.
        let contributions: [String]
        let runs: [String]
        let postedRun: String
    }

    static func prepare(_ api: APIHarness) async throws -> State {
        #expect(
            try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule())
                .status == 201)
        try await DisbursementTests.fund(api, "100000.00")
        var contributions: [String] = []
        for index in 0..<2 {
            let reply = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "limit-\(index)",
                json: APIHarness.contribution(amount: "1.00", reference: "LIMIT-\(index)"))
            contributions.append(try #require(reply.string("id")))
        }
        var runs: [String] = []
        for index in 0..<3 { runs.append(try await DisbursementTests.propose(api, key: "limit-run-\(index)")) }
        let posted = runs[2]
        for action in ["approve", "post"] {
            _ = try await api.call(.post, "/v1/disbursement-runs/\(posted)/\(action)", token: api.tokens.approver)
        }
        try await AssessmentTests.openPeriod(api)
        return State(contributions: contributions, runs: runs, postedRun: posted)
    }

    static func fields(_ state: State) -> [Field] {
        let finance: @Sendable (APIHarness) -> String = { $0.tokens.financeBeijing }
        let admin: @Sendable (APIHarness) -> String = { $0.tokens.admin }
        let approver: @Sendable (APIHarness) -> String = { $0.tokens.approver }
        let assessor: @Sendable (APIHarness) -> String = { $0.tokens.assessor }
        let contribution = #"{"contributor":"beijing","amount":"1.00","currency":"CNY","valueDate":"2025-03-15","#
        let jurisdiction =
            #""level":"city","parent":"hebei","population":"1.00","ecologicalArea":"1.00","envSpendingPerCapita":"1.00"}"#
        let indicator = #""weight":"1","direction":"higherIsBetter","floor":"0","ceiling":"1""#
        return [
            Field(
                name: "contribution reference", method: .post, path: "/v1/contributions", token: finance,
                body: contribution + #""reference":"%@"}"#, pointer: "/reference", limit: 100, required: true),
            Field(
                name: "contribution memo", method: .post, path: "/v1/contributions", token: finance,
                body: contribution + #""reference":"R","memo":"%@"}"#, pointer: "/memo", limit: 500, required: false),
            Field(
                name: "reversal reason", method: .post, path: "/v1/contributions/\(state.contributions[0])/reversal",
                token: finance, body: #"{"reason":"%@"}"#, pointer: "/reason", limit: 500, required: true),
            Field(
                name: "commitment memo", method: .post, path: "/v1/commitments", token: finance,
                body: #"{"contributor":"beijing","fiscalYear":2040,"amount":"1.00","currency":"CNY","memo":"%@"}"#,
                pointer: "/memo", limit: 500, required: false),
            Field(
                name: "jurisdiction name", method: .put, path: "/v1/jurisdictions/xiongan", token: admin,
                body: #"{"name":"%@","nameZh":"雄安新区","# + jurisdiction, pointer: "/name", limit: 200, required: true),
            Field(
                name: "jurisdiction nameZh", method: .put, path: "/v1/jurisdictions/xiongan", token: admin,
                body: #"{"name":"Xiong'an","nameZh":"%@","# + jurisdiction, pointer: "/nameZh", limit: 200,
                required: true),
            Field(
                name: "scheme name", method: .post, path: "/v1/assessment-schemes", token: assessor,
                body:
                    #"{"code":"limits","name":"%@","indicators":[{"code":"a","name":"A","nameZh":"甲","unit":"%","#
                    + indicator + "}]}", pointer: "/name", limit: 200, required: true),
            Field(
                name: "indicator name", method: .post, path: "/v1/assessment-schemes", token: assessor,
                body:
                    #"{"code":"limits","name":"L","indicators":[{"code":"a","name":"%@","nameZh":"甲","unit":"%","#
                    + indicator + "}]}", pointer: "/indicators/0/name", limit: 200, required: true),
            Field(
                name: "indicator unit", method: .post, path: "/v1/assessment-schemes", token: assessor,
                body:
                    #"{"code":"limits","name":"L","indicators":[{"code":"a","name":"A","nameZh":"甲","unit":"%@","#
                    + indicator + "}]}", pointer: "/indicators/0/unit", limit: 40, required: false),
            Field(
                name: "score reason", method: .put, path: "/v1/assessment-periods/2025/scores/chengde", token: assessor,
                body: #"{"indicators":[{"code":"forest","value":"41"},{"code":"pm25","value":"35"}],"reason":"%@"}"#,
                pointer: "/reason", limit: 500, required: false),
            Field(
                name: "rule title", method: .post, path: "/v1/allocation-rules", token: admin,
                body: DisbursementTests.rule().replacingOccurrences(of: #""title":"Simple""#, with: #""title":"%@""#),
                pointer: "/title", limit: 200, required: true),
            Field(
                name: "rejection reason", method: .post, path: "/v1/disbursement-runs/\(state.runs[0])/reject",
                token: approver, body: #"{"reason":"%@"}"#, pointer: "/reason", limit: 500, required: true),
            Field(
                name: "cancellation reason", method: .post, path: "/v1/disbursement-runs/\(state.runs[1])/cancel",
                token: approver, body: #"{"reason":"%@"}"#, pointer: "/reason", limit: 500, required: true),
            Field(
                name: "bank reference", method: .post, path: "/v1/disbursement-runs/\(state.postedRun)/payments",
                token: approver, body: #"{"recipient":"chengde","bankReference":"%@"}"#, pointer: "/bankReference",
                limit: 100, required: true),
        ]
    }
}
