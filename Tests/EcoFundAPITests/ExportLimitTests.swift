import EcoFundStore
import EcoFundTesting
import Foundation
import HTTPTypes
import Synchronization
import Testing

/// The export's limits as a client sees them. 110 exports at once from one auditor held 77 PostgreSQL sessions beside
/// the pool, and the readiness check failed; now the ones past the limit are answered 429 at once, with a time to come
/// back. And an export that cannot reach its database says so without libpq's text (host, port, `FATAL: …`).
@Suite struct ExportLimitTests {
    /// An auditor made by the admin (an auditor moves no money: issued at once).
    static func auditor(_ api: APIHarness, _ subject: String) async throws -> String {
        let issued = try await api.call(
            .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"\#(subject)","role":"auditor"}"#)
        #expect(issued.status == 201 && issued.headers[.cacheControl] == "no-store")
        return try #require(issued.string("token"))
    }

    /// No server here runs the sealer, so an export waits for it (10 s) holding its place: the places are full for as
    /// long as the first two exports wait, and every other export is answered 429 while they do.
    @Test func exportsPastTheLimitAreRefusedAtOnceWithRetryAfter() async throws {
        try await APIHarness.with { api in
            let second = try await Self.auditor(api, "second.auditor")
            let third = try await Self.auditor(api, "third.auditor")
            let waiting = Waiting()
            try await withThrowingTaskGroup(of: APIHarness.Reply.self) { group in
                for token in [api.tokens.auditor, second] {
                    group.addTask {
                        waiting.count.withLock { $0 += 1 }
                        defer { waiting.count.withLock { $0 -= 1 } }
                        return try await api.call(.get, "/v1/audit/export", token: token)
                    }
                }
                try await Task.sleep(for: .seconds(2))
                // The same auditor again: their own limit. Another auditor: the server's.
                let again = try await api.call(.get, "/v1/audit/export", token: api.tokens.auditor)
                let other = try await api.call(.get, "/v1/audit/export", token: third)
                // Both answered while the first two still wait.
                #expect(waiting.count.withLock { $0 } == 2)
                for (reply, says) in [(again, "you have an export running"), (other, "2 exports are running")] {
                    #expect(reply.status == 429 && reply.isProblem && reply.string("title") == "Too Many Requests")
                    #expect(reply.headers[.retryAfter] == "60")
                    #expect(reply.string("detail")?.contains(says) == true, "\(reply.json)")
                }
                // The first two end as the sealer never comes: 503, nothing held afterwards.
                for try await reply in group {
                    #expect(reply.status == 503 && reply.string("detail")?.contains("not sealed") == true)
                }
            }
            #expect(try await api.database.exportSessions() == 0)
        }
    }

    /// The export reads through its own libpq connection. Pointed at a database that does not exist, libpq says
    /// `FATAL: database "…" does not exist` with the host and port; the client is told only that it is unavailable.
    @Test func anExportThatCannotReachItsDatabaseSaysSoWithoutLibpqsWords() async throws {
        let missing = try TestDatabase.serverURL().with(database: "no_such_database")
        try await APIHarness.with(readDatabaseURL: missing) { api in
            let reply = try await api.call(.get, "/v1/audit/export", token: api.tokens.auditor)
            #expect(reply.status == 503 && reply.isProblem && reply.headers[.retryAfter] != nil)
            let text = String(decoding: reply.body, as: UTF8.self)
            for leak in ["FATAL", "no_such_database", "127.0.0.1", "\(missing.port)", "libpq", "connection to"] {
                #expect(!text.contains(leak), "the answer names \(leak): \(text)")
            }
            // The place is given back: the same auditor is refused for the same reason, not for the limit.
            #expect(try await api.call(.get, "/v1/audit/export", token: api.tokens.auditor).status == 503)
        }
    }

    final class Waiting: Sendable {
        let count = Mutex(0)
    }
}
