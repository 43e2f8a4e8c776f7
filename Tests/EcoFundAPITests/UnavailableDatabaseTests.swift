import EcoFundAPI
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// With no database to talk to, the service answers 503 problems in bounded time: never a 500, never a hang.
@Suite struct UnavailableDatabaseTests {
    @Test func aLostDatabaseIsA503NotA500OrAHang() async throws {
        // Port 1 on loopback: nothing listens there, so every connection attempt is refused.
        let url = try DatabaseURL("postgres://ecofund_app@127.0.0.1:1/nowhere")
        let app = try await buildApplication(
            AppConfiguration(host: "127.0.0.1", port: 0, databaseURL: url, logLevel: .critical))
        try await app.test(.live) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let clock = ContinuousClock()
            let started = clock.now
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.headers[.contentType] == "application/problem+json")
            let read = try await client.execute(
                uri: "/v1/accounts", method: .get, headers: [.authorization: "Bearer efl_whatever"])
            #expect(read.status == .serviceUnavailable)
            let write = try await client.execute(
                uri: "/v1/contributions", method: .post,
                headers: [
                    .authorization: "Bearer efl_whatever", .contentType: "application/json",
                    HTTPField.Name("Idempotency-Key")!: "k",
                ],
                body: ByteBuffer(string: "{}"))
            #expect(write.status == .serviceUnavailable)
            #expect(write.headers[.retryAfter] == "1")
            #expect(clock.now - started < .seconds(Database.leaseTimeoutSeconds * 3 + 5))
        }
    }
}
