import EcoFundCore
import Foundation
import HTTPTypes
import Testing

/// Input a careless or hostile client sends: each gets a 4xx naming what is wrong, nothing is written, and the server
/// keeps answering everyone else.
@Suite struct HostileInputTests {
    @Test func deepNestingLongStringsControlCharactersAndManyParametersGetA4xx() async throws {
        try await APIHarness.with { api in
            func post(_ body: String) async throws -> APIHarness.Reply {
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "hostile-\(UUID())", json: body)
            }
            // 100,000 levels of nesting inside the 1 MiB limit: refused, not a stack overflow.
            let deep = #"{"contributor":"# + String(repeating: "[", count: 100_000)
                + String(repeating: "]", count: 100_000) + "}"
            let nested = try await post(deep)
            #expect((400..<500).contains(nested.status), "\(nested.status)")
            // A 600,000-character memo, and a reference longer than 100 characters: named.
            let long = try await post(
                #"{"contributor":"beijing","amount":"1.00","currency":"CNY","valueDate":"2025-03-15","reference":"R","memo":"\#(String(repeating: "长", count: 200_000))"}"#
            )
            #expect(long.status == 422 && long.problemPointer == "/memo", "\(long.status) \(long.problemPointer ?? "")")
            let reference = try await post(
                APIHarness.contribution(amount: "1.00", reference: String(repeating: "R", count: 101)))
            #expect(reference.status == 422 && reference.problemPointer == "/reference")
            // Control characters in a reference are refused; SQL-looking text is only text.
            let control = try await post(APIHarness.contribution(amount: "1.00", reference: #"BOC\u0000\u0007"#))
            #expect(control.status == 422 && control.problemPointer == "/reference", "\(control.status)")
            let sql = try await post(
                APIHarness.contribution(amount: "1.00", reference: #"x'); DROP TABLE contributions; --"#))
            #expect(sql.status == 201)
            let stored = try await api.call(.get, "/v1/contributions", token: api.tokens.auditor)
            #expect(stored.items.first?["reference"] as? String == "x'); DROP TABLE contributions; --")
            // Thousands of query parameters: answered at once, with the filters it knows.
            let parameters = (0..<5_000).map { "p\($0)=\($0)" }.joined(separator: "&")
            let many = try await api.call(
                .get, "/v1/contributions?\(parameters)&contributor=beijing", token: api.tokens.auditor)
            #expect([200, 400, 414, 431].contains(many.status), "\(many.status)")
            // Nothing but the one honest contribution was written, and the server still answers.
            #expect(try await api.count("contributions") == 1)
            #expect(try await api.call(.get, "/healthz", token: nil).status == 200)
        }
    }
}
