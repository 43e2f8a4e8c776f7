import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

@Suite struct TokenServiceTests {
    /// A server remembers a token it has just checked for one second, no longer: a revocation made elsewhere (another
    /// server, or SQL) is honoured within that time, and a remembered token still expires on time.
    @Test func aRecentlyCheckedTokenIsTrustedForOneSecondOnly() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                let service = TokenService(database: app)
                let issued = try await service.bootstrap(
                    try TokenRequest(subject: "cache.auditor", role: "auditor", jurisdiction: nil, lifetimeDays: 1))
                let secret = try #require(issued.token)
                let start = Date()
                #expect(try await service.authenticate(secret, now: start).subject == "cache.auditor")
                // Revoked behind this server's back (as another server would, with its audit event).
                try await app.transaction { connection in
                    try await connection.query(
                        "INSERT INTO audit_events (type, actor, payload) VALUES ('token.revoked', 'test', '{}')",
                        logger: app.logger)
                    try await connection.query(
                        "UPDATE tokens SET revoked_at = now() WHERE id = \(issued.id)", logger: app.logger)
                }
                #expect(
                    try await service.authenticate(secret, now: start.addingTimeInterval(0.5)).subject
                        == "cache.auditor")
                await #expect(throws: AuthenticationError.self) {
                    _ = try await service.authenticate(
                        secret, now: start.addingTimeInterval(TokenService.recentlyCheckedSeconds + 0.1))
                }
                // A remembered token does not outlive its expiry.
                let other = try await service.bootstrap(
                    try TokenRequest(subject: "cache.auditor", role: "auditor", jurisdiction: nil, lifetimeDays: 1))
                let otherSecret = try #require(other.token)
                _ = try await service.authenticate(otherSecret, now: other.expiresAt.addingTimeInterval(-0.5))
                await #expect(throws: AuthenticationError.self) {
                    _ = try await service.authenticate(otherSecret, now: other.expiresAt.addingTimeInterval(0.1))
                }
            }
        }
    }
}
