import EcoFundConsole
import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console's handlers over HTTP, on a real PostgreSQL: sessions (a cookie whose id is stored only as a hash,
/// refused after sign-out), the form token and the Origin check on every POST, the lockout after five failures, and
/// the security headers. The browser journeys walk the same ground in Chromium; these pin the handlers down.
@Suite struct ConsoleTests {
    static let password = "绿色京津冀2025年的春天"

    /// A console on a fresh database with one Beijing finance official, activated with `password`.
    static func with(_ body: @Sendable @escaping (any TestClientProtocol, TestDatabase) async throws -> Void)
        async throws
    {
        try await TestDatabase.with { database in
            let activation = try await database.withOwner { owner in
                try await PeopleService(database: owner, tokens: TokenService(database: owner)).bootstrap(
                    try NewPerson(subject: "li.beijing", role: "finance", jurisdiction: "beijing"))
            }
            try await database.withApp { app in
                let router = Router()
                try Console(
                    database: app, tokens: TokenService(database: app),
                    configuration: ConsoleConfiguration(secureCookies: false)
                ).register(on: router)
                try await Application(router: router).test(.router) { client in
                    let code = try #require(activation.code)
                    let activated = try await client.post(
                        "/activate", ["activationCode": code, "password": password, "confirmation": password])
                    #expect(activated.status == .ok)
                    try await body(client, database)
                }
            }
        }
    }

    @Test func aSessionLivesInACookieStoredOnlyAsAHashAndEndsAtSignOut() async throws {
        try await Self.with { client, database in
            let signedIn = try await client.post("/sign-in", ["subject": "li.beijing", "password": Self.password])
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/")
            let cookie = try #require(signedIn.sessionCookie)
            #expect(signedIn.headers[.setCookie]?.contains("HttpOnly") == true)
            #expect(signedIn.headers[.setCookie]?.contains("SameSite=Strict") == true)
            let stored = try await database.withOwner { owner in
                try await owner.read { connection in
                    var hashes: [String] = []
                    for try await hash in try await connection.query(
                        "SELECT encode(id_hash, 'hex') FROM sessions", logger: owner.logger
                    ).decode(String.self) { hashes.append(hash) }
                    return hashes
                }
            }
            #expect(stored.count == 1 && !stored.contains(cookie), "the id itself is never stored")
            let page = try await client.get("/", cookie: cookie)
            #expect(page.status == .ok && page.text.contains("li.beijing"))
            #expect(
                page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let csrf = try #require(page.csrf)
            let out = try await client.post("/sign-out", ["csrf": csrf], cookie: cookie)
            #expect(out.status == .seeOther)
            let after = try await client.get("/", cookie: cookie)
            #expect(after.status == .seeOther && after.headers[.location] == "/sign-in", "the old id is refused")
        }
    }

    @Test func aPostWithoutTheFormTokenOrFromAnotherSiteWritesNothing() async throws {
        try await Self.with { client, database in
            let signedIn = try await client.post("/sign-in", ["subject": "li.beijing", "password": Self.password])
            let cookie = try #require(signedIn.sessionCookie)
            let csrf = try #require(try await client.get("/contributions/new", cookie: cookie).csrf)
            let contribution = [
                "contributor": "beijing", "amount": "100.00", "valueDate": "2026-03-01", "reference": "BJ-CSRF-1",
                "idempotencyKey": UUID().uuidString,
            ]
            let noToken = try await client.post("/contributions", contribution, cookie: cookie)
            #expect(noToken.status == .forbidden)
            var wrongToken = contribution
            wrongToken["csrf"] = "not-this-session's"
            #expect(try await client.post("/contributions", wrongToken, cookie: cookie).status == .forbidden)
            var withToken = contribution
            withToken["csrf"] = csrf
            let elsewhere = try await client.post(
                "/contributions", withToken, cookie: cookie, origin: "https://evil.example")
            #expect(elsewhere.status == .forbidden)
            #expect(try await database.count("contributions") == 0, "nothing was written")
            // The same form from this site, with the token, records once even when sent twice.
            let first = try await client.post("/contributions", withToken, cookie: cookie)
            let second = try await client.post("/contributions", withToken, cookie: cookie)
            #expect(first.status == .seeOther && second.status == .seeOther)
            #expect(try await database.count("contributions") == 1)
        }
    }

    @Test func badInputIsSaidBesideTheFieldAndKept() async throws {
        try await Self.with { client, database in
            let signedIn = try await client.post("/sign-in", ["subject": "li.beijing", "password": Self.password])
            let cookie = try #require(signedIn.sessionCookie)
            let csrf = try #require(try await client.get("/contributions/new", cookie: cookie).csrf)
            for (field, value) in [
                ("amount", ""), ("amount", "12,34"), ("amount", String(repeating: "9", count: 40)),
                ("valueDate", "2026-02-30"), ("reference", String(repeating: "x", count: 101)),
                ("reference", "<script>alert(1)</script>\u{0007}"), ("contributor", "tianjin"),
            ] {
                var form = [
                    "contributor": "beijing", "amount": "100.00", "valueDate": "2026-03-01", "reference": "BJ-1",
                    "idempotencyKey": UUID().uuidString, "csrf": csrf,
                ]
                form[field] = value
                let reply = try await client.post("/contributions", form, cookie: cookie)
                #expect(reply.status.code >= 400 && reply.status.code < 500, "\(field)=\(value): \(reply.status)")
                #expect(reply.text.contains("id=\"\(field)-error\""), "\(field)=\(value): the message is beside it")
                #expect(!reply.text.contains("<script>alert"), "hostile text is escaped")
            }
            // Two wrong fields are both said at once, each beside its own field.
            let both = try await client.post(
                "/contributions",
                [
                    "contributor": "beijing", "amount": "12,34", "valueDate": "2026-03-01", "reference": "",
                    "idempotencyKey": UUID().uuidString, "csrf": csrf,
                ], cookie: cookie)
            #expect(both.text.contains("id=\"amount-error\"") && both.text.contains("id=\"reference-error\""))
            #expect(try await database.count("contributions") == 0)
        }
    }

    @Test func fiveFailuresLockTheAccountEvenAgainstTheRightPassword() async throws {
        try await Self.with { client, database in
            for _ in 0..<5 {
                let wrong = try await client.post(
                    "/sign-in", ["subject": "li.beijing", "password": "wrong password 1"])
                #expect(wrong.sessionCookie == nil)
            }
            let right = try await client.post("/sign-in", ["subject": "li.beijing", "password": Self.password])
            #expect(right.sessionCookie == nil && right.text.contains("锁定"), "locked: \(right.status)")
            #expect(try await database.count("audit_events WHERE type = 'user.locked'") == 1)
        }
    }

    @Test func theBooksAreReadByEveryoneAndTheLogOnlyByThoseWhoMay() async throws {
        try await Self.with { client, _ in
            let signedIn = try await client.post("/sign-in", ["subject": "li.beijing", "password": Self.password])
            let cookie = try #require(signedIn.sessionCookie)
            for page in [
                "/journal", "/trial-balance?asOf=2025-12-31", "/accounts/fund:cash", "/fund-statement?year=2025",
            ] {
                let shown = try await client.get(page, cookie: cookie)
                #expect(shown.status == .ok, "\(page)")
            }
            #expect(try await client.get("/accounts/nothing:here", cookie: cookie).status == .notFound)
            let badDate = try await client.get("/journal?from=2025-13-01", cookie: cookie)
            #expect(badDate.status == .ok && badDate.text.contains("id=\"from-error\""), "said beside the field")
            // A finance official may read the books but not the signed log, nor export: the services refuse.
            for page in ["/audit", "/audit/events/0", "/audit/export", "/audit/export?download=1&from=2025-01-01"] {
                #expect(try await client.get(page, cookie: cookie).status == .forbidden, "\(page)")
            }
            #expect(try await client.get("/journal", cookie: nil).status == .seeOther, "not signed in: to sign in")
        }
    }
}

extension TestClientProtocol {
    func get(_ path: String, cookie: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.acceptLanguage: "zh-CN"]
        if let cookie { headers[.cookie] = "ecofund_session=\(cookie)" }
        return try await execute(uri: path, method: .get, headers: headers, body: nil)
    }

    /// A form as a browser posts it, from this site's pages unless `origin` says otherwise.
    func post(_ path: String, _ fields: [String: String], cookie: String? = nil, origin: String = "http://localhost")
        async throws -> TestResponse
    {
        var headers: HTTPFields = [
            .contentType: "application/x-www-form-urlencoded", .origin: origin, .acceptLanguage: "zh-CN",
        ]
        if let cookie { headers[.cookie] = "ecofund_session=\(cookie)" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return try await execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The session id the response sets, if it sets one.
    var sessionCookie: String? {
        headers[values: .setCookie].compactMap { line -> String? in
            guard line.hasPrefix("ecofund_session="), !line.hasPrefix("ecofund_session=;") else { return nil }
            let value = line.dropFirst("ecofund_session=".count).prefix { $0 != ";" }
            return value.isEmpty ? nil : String(value)
        }.first
    }

    /// The session's form token, from the page's first form.
    var csrf: String? {
        guard let range = text.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }
}
