import EcoFundTesting
import Foundation
import HTTPTypes
import Testing

/// HTTP as RFC 9110 and careful proxies expect it, from the probe's findings: one name once in a JSON object, HEAD
/// and OPTIONS where a resource is, the token checked before a body is read, and secrets never cached.
@Suite struct ProtocolTests {
    /// `"amount":"1.00","amount":"999999.00"` was taken as 1.00 here while most proxies and log pipelines take the
    /// last; now refused, naming the field, with nothing written, at any depth.
    @Test func aNameGivenTwiceInAnObjectIs422AndNothingIsWritten() async throws {
        try await APIHarness.with { api in
            let twice =
                #"{"contributor":"beijing","amount":"1.00","amount":"999999.00","currency":"CNY","valueDate":"2025-03-15","reference":"DUP-1"}"#
            let reply = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "dup-1", json: twice)
            #expect(reply.status == 422 && reply.isProblem && reply.problemPointer == "/amount", "\(reply.json)")
            #expect(reply.string("title") == "Unprocessable Content")
            // A name the operation does not take is named as such (it was "is not an allowed value").
            let unknown = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "dup-2",
                json: APIHarness.contribution().replacingOccurrences(of: "}", with: #","colour":"red"}"#))
            #expect(unknown.status == 422 && unknown.problemPointer == "/colour")
            #expect(unknown.string("type")?.hasSuffix("/unknown-field") == true, "\(unknown.json)")
            #expect(try await api.count("contributions") == 0)
            // Inside an array inside an object; escapes that spell the same name count as the same name.
            let nested = DisbursementTests.rule().replacingOccurrences(
                of: #""share":"1","#, with: #""share":"1","sh\u0061re":"0.5","#)
            let rule = try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: nested)
            #expect(rule.status == 422 && rule.problemPointer == "/tranches/0/share", "\(rule.json)")
            #expect(try await api.count("allocation_rules") == 0)
            // The same name in two different objects is two names.
            let fine = try await api.call(
                .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule())
            #expect(fine.status == 201)
        }
    }

    /// HEAD answers where GET does, with GET's status and headers and no body; OPTIONS lists the path's methods in
    /// `Allow`. Both were 404.
    @Test func headAnswersWhereGetDoesAndOptionsListsTheMethods() async throws {
        try await APIHarness.with { api in
            let get = try await api.call(.get, "/v1/jurisdictions/beijing", token: api.tokens.auditor)
            let head = try await api.call(.head, "/v1/jurisdictions/beijing", token: api.tokens.auditor)
            #expect(get.status == 200 && head.status == 200 && head.body.isEmpty)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            #expect(head.headers[.eTag] == get.headers[.eTag])
            // HEAD is a read like GET: a token is needed, and a missing resource is 404.
            #expect(try await api.call(.head, "/v1/jurisdictions/beijing", token: nil).status == 401)
            #expect(try await api.call(.head, "/v1/contributions/\(UUID())", token: api.tokens.auditor).status == 404)
            for (path, allow) in [
                ("/v1/contributions", "GET, POST, HEAD, OPTIONS"),
                ("/v1/contributions/\(UUID())", "GET, HEAD, OPTIONS"),
                ("/v1/disbursement-runs/\(UUID())/approve", "POST, OPTIONS"),
                ("/healthz", "GET, HEAD, OPTIONS"),
            ] {
                let options = try await api.call(.options, path, token: nil)
                #expect(options.status == 204 && options.headers[.allow] == allow, "\(path): \(options.headers)")
            }
            #expect(try await api.call(.options, "/v1/no-such-thing", token: nil).status == 404)
        }
    }

    /// A request that announces a body and sends only its first bytes, with no token, is answered 401 at once: the
    /// token is checked before the body is read (before, the server waited for the whole body, whoever sent it).
    @Test func theTokenIsCheckedBeforeTheBodyIsRead() async throws {
        try await APIHarness.with { api in
            let script = """
                import socket
                s = socket.create_connection(("127.0.0.1", \(api.port)))
                s.settimeout(20)
                s.sendall(b"POST /v1/contributions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\n"
                          b"Idempotency-Key: k1\\r\\nContent-Length: 900000\\r\\n\\r\\n" + b'{"contributor":')
                try:
                    print(s.recv(200).split(b"\\r\\n")[0].decode())
                except socket.timeout:
                    print("no answer")
                """
            let (_, output) = try await runToEnd("/usr/bin/env", ["python3", "-c", script])
            #expect(String(decoding: output, as: UTF8.self).hasPrefix("HTTP/1.1 401"), "\(output)")
        }
    }

    /// A response that carries a token's secret is never stored by a cache or a browser.
    @Test func responsesWithASecretAreNotCached() async throws {
        try await APIHarness.with { api in
            let issued = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"new.assessor","role":"assessor"}"#)
            #expect(issued.status == 201 && issued.string("token") != nil)
            #expect(issued.headers[.cacheControl] == "no-store")
            let asked = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"new.approver","role":"approver"}"#)
            #expect(asked.status == 202 && asked.string("token") == nil)
            let id = try #require(asked.string("id"))
            let approved = try await api.call(
                .post, "/v1/access-requests/\(id)/approve", token: api.tokens.secondAdmin, json: "{}")
            #expect(approved.status == 200 && approved.headers[.cacheControl] == "no-store")
        }
    }
}
