import EcoFundCore
import EcoFundTesting
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
            let deep =
                #"{"contributor":"# + String(repeating: "[", count: 100_000)
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

    /// What the fuzzing drill found: a rule version beyond PostgreSQL's integer and an Idempotency-Key that is empty
    /// once decoded both gave a 500; now a 4xx.
    @Test func outOfRangeVersionsAndEmptyIdempotencyKeysGetA4xx() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                ).status == 201)
            let preview = try await api.call(
                .post, "/v1/allocation-rules/simple/preview", token: api.tokens.admin, json: #"{"version":60688763840}"#
            )
            #expect((400..<500).contains(preview.status), "\(preview.status)")
            for key in ["", "%20", "%00"] {
                let approve = try await api.call(
                    .post, "/v1/disbursement-runs/\(UUID())/approve", token: api.tokens.approver, key: key)
                #expect((400..<500).contains(approve.status), "key \"\(key)\": \(approve.status)")
            }
        }
    }

    /// A client trickling a request's headers a byte every 200 ms (slow loris), and one that connects and says
    /// nothing, are both cut off after the idle timeout (3 s here, 30 s by default), while others are served at once.
    @Test func slowAndSilentClientsAreCutOffAndOthersStillServed() async throws {
        try await APIHarness.with(idleTimeout: .seconds(3)) { api in
            let port = api.port
            let script = """
                import socket, sys, time
                def run(trickle):
                    s = socket.create_connection(("127.0.0.1", \(port)))
                    s.settimeout(0.2)
                    started = time.monotonic()
                    request = b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: " + b"a" * 200
                    sent = 0
                    while time.monotonic() - started < 20:
                        if trickle and sent < len(request):
                            try:
                                s.send(request[sent:sent + 1]); sent += 1
                            except OSError:
                                return time.monotonic() - started
                        try:
                            if s.recv(1024) == b"":
                                return time.monotonic() - started
                        except socket.timeout:
                            pass
                        except OSError:
                            return time.monotonic() - started
                    return 99
                print(f"{run(True):.2f} {run(False):.2f}")
                """
            // The two clients run meanwhile, in a process of their own.
            async let clients = runToEnd("/usr/bin/env", ["python3", "-c", script])
            // Everyone else is served, each on a connection of its own (a kept-alive one would itself be closed
            // whenever a busy machine pauses longer than the idle timeout).
            for _ in 0..<5 {
                let (_, status) = try await runToEnd(
                    "/usr/bin/curl",
                    [
                        "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "30", "-H",
                        "Authorization: Bearer \(api.tokens.auditor)", "http://127.0.0.1:\(port)/v1/jurisdictions",
                    ])
                #expect(String(decoding: status, as: UTF8.self) == "200")
                try await Task.sleep(for: .milliseconds(200))
            }
            let closedAfter = String(decoding: try await clients.output, as: UTF8.self)
                .split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(closedAfter.count == 2)
            #expect(closedAfter.allSatisfy { $0 < 12 }, "connections closed after \(closedAfter) s")
        }
    }
}
