import EcoFundAPI
import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

/// The real application (the same `buildApplication` that `ecofund serve` runs) over real HTTP on a free port,
/// against a database of the test's own, with a token per role.
struct APIHarness: Sendable {
    struct Tokens: Sendable {
        let admin: String
        /// A second admin, who approves what the first asks (and the other way round).
        let secondAdmin: String
        let financeBeijing: String
        let financeTianjin: String
        let approver: String
        let assessor: String
        let auditor: String
    }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: Data

        /// The body as a JSON object (problem documents included).
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }

        func string(_ key: String) -> String? { json[key] as? String }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
        var problemPointer: String? { string("pointer") }
        var isProblem: Bool { headers[.contentType] == "application/problem+json" }
    }

    /// The port the application listens on, on 127.0.0.1.
    let port: Int
    /// The port `GET /metrics` listens on, on 127.0.0.1.
    let metricsPort: Int
    let tokens: Tokens
    let database: TestDatabase

    static func with(
        signingKey: Data? = nil, idleTimeout: Duration = .seconds(30), readDatabaseURL: DatabaseURL? = nil,
        _ body: @Sendable @escaping (APIHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database in
            // People who can move money are made by the schema's owner (as `ecofund token create` does), since the
            // service role makes them only under a second admin's approval.
            let tokens = try await database.withOwner { owner in
                let service = TokenService(database: owner)
                func issue(_ subject: String, _ role: String, _ jurisdiction: String? = nil) async throws -> String {
                    let request = try TokenRequest(
                        subject: subject, role: role, jurisdiction: jurisdiction, lifetimeDays: 1)
                    return try await service.bootstrap(request).token ?? ""
                }
                return Tokens(
                    admin: try await issue("admin", "admin"), secondAdmin: try await issue("second.admin", "admin"),
                    financeBeijing: try await issue("li.beijing", "finance", "beijing"),
                    financeTianjin: try await issue("wang.tianjin", "finance", "tianjin"),
                    approver: try await issue("zhao.approver", "approver"),
                    assessor: try await issue("chen.assessor", "assessor"),
                    auditor: try await issue("sun.auditor", "auditor"))
            }
            // Both listeners bind port 0; the metrics one says which port it got once it listens.
            let (metricsPorts, listening) = AsyncStream.makeStream(of: Int.self)
            var configuration = AppConfiguration(
                host: "127.0.0.1", port: 0, databaseURL: database.appURL, readDatabaseURL: readDatabaseURL,
                logLevel: .warning, signingKey: signingKey, idleTimeout: idleTimeout, metricsPort: 0)
            configuration.metricsListening = { port in listening.yield(port) }
            let app = try await buildApplication(configuration)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                var ports = metricsPorts.makeAsyncIterator()
                let metricsPort = try #require(await ports.next())
                try await body(APIHarness(port: port, metricsPort: metricsPort, tokens: tokens, database: database))
            }
        }
    }

    /// Sends a request. `json` is sent as is, so tests can send what a careless or hostile client would.
    func call(
        _ method: HTTPRequest.Method, _ path: String, token: String?, key: String? = nil, json: String? = nil,
        contentType: String = "application/json", headers extra: HTTPFields = [:], port: Int? = nil
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        if json != nil { headers[.contentType] = contentType }
        // A connection of its own for every request: the server answers the requests of one connection in turn, so
        // requests sent together from a task group only race each other (as real clients' do) this way. The read
        // timeout is generous because CI machines can be several times slower than a laptop.
        let request = TestClient.Request(
            path, method: method, authority: "127.0.0.1", headers: headers, body: json.map { ByteBuffer(string: $0) })
        let response = try await TestClient.withClient(
            host: "127.0.0.1", port: port ?? self.port, configuration: .init(timeout: .seconds(90))
        ) { client in
            try await client.execute(request)
        }
        let body = response.body.map { Data(buffer: $0) } ?? Data()
        return Reply(status: Int(response.status.code), headers: response.headers, body: body)
    }

    /// Sends a request as a careful client does when many are sent at once: a 503 (the database busy or away; nothing
    /// was written) is sent again, with the same Idempotency-Key, after the Retry-After pause, up to 60 times.
    func send(
        _ method: HTTPRequest.Method, _ path: String, token: String?, key: String? = nil, json: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> Reply {
        var reply = try await call(method, path, token: token, key: key, json: json, headers: headers)
        for _ in 0..<60 where reply.status == 503 {
            #expect(reply.headers[.retryAfter] == "1")
            try await Task.sleep(for: .seconds(1))
            reply = try await call(method, path, token: token, key: key, json: json, headers: headers)
        }
        return reply
    }

    /// Sends a request through curl, a client that copes with a server answering before the body is sent (as it
    /// must for bodies over the limit). Returns the status and the body.
    func curl(_ method: HTTPRequest.Method, _ path: String, token: String, key: String, json: String) async throws
        -> (status: Int, body: String)
    {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID()).json")
        try Data(json.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, data) = try await runToEnd(
            "/usr/bin/curl",
            [
                "-s", "-X", method.rawValue, "-H", "Authorization: Bearer \(token)", "-H", "Idempotency-Key: \(key)",
                "-H", "Content-Type: application/json", "--data-binary", "@\(file.path)", "-w", "\n%{http_code}",
                "--max-time", "90", "http://127.0.0.1:\(port)\(path)",
            ])
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: "\n").last ?? "") ?? 0
        return (status, text)
    }

    /// A valid contribution body.
    static func contribution(
        _ contributor: String = "beijing", amount: String = "1000.00", valueDate: String = "2025-03-15",
        reference: String = "BOC-0001"
    ) -> String {
        #"{"contributor":"\#(contributor)","amount":"\#(amount)","currency":"CNY","valueDate":"\#(valueDate)","reference":"\#(reference)"}"#
    }

    /// The balance of an account in fen, read through the API.
    func balanceFen(_ account: String, asOf: String? = nil) async throws -> Int64 {
        let reply = try await call(
            .get, "/v1/accounts/\(account)" + (asOf.map { "?asOf=\($0)" } ?? ""), token: tokens.auditor)
        let balance = reply.json["balance"] as? [String: Any]
        let text = try #require(balance?["amount"] as? String)
        return try Money(parsing: text, at: "").fen
    }

    /// The number of rows in a table, counted by the owner.
    func count(_ table: String) async throws -> Int { try await database.count(table) }
}
