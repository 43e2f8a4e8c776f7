import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for console sessions, stored only as the SHA-256 of their id (Schema/010).
enum SessionRepository {
    /// A live session and its user.
    struct Found: Sendable {
        let user: PersonRepository.Credentials
        let csrfToken: String
        let createdAt: Date
        let lastSeenAt: Date
        let secondFactorGiven: Bool
    }

    static func insert(
        hash: [UInt8], userID: UUID, csrfToken: String, on connection: PostgresConnection, logger: Logger
    )
        async throws
    {
        try await connection.query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token) VALUES (\(ByteBuffer(bytes: hash)), \(userID), \(csrfToken))",
            logger: logger)
    }

    /// The session if it is live (not ended, not idle, not too old) and its user active.
    static func findLive(hash: [UInt8], forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger)
        async throws -> Found?
    {
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: hash))
        let sql = """
            SELECT u.id, u.subject, u.role, u.jurisdiction, u.password_hash, u.totp_secret,
                   u.totp_confirmed_at IS NOT NULL, u.locked_until, u.deactivated_at IS NOT NULL,
                   s.csrf_token, s.created_at, s.last_seen_at, s.second_factor_at IS NOT NULL
              FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND session_is_live(s.created_at, s.last_seen_at, s.ended_at)
               AND u.deactivated_at IS NULL
            """ + (forUpdate ? " FOR UPDATE OF s" : "")
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        typealias Row = (UUID, String, String, String?, String?, String?, Bool, Date?, Bool, String, Date, Date, Bool)
        for try await row in rows.decode(Row.self) {
            let user = PersonRepository.credentials(
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8))
            return Found(
                user: user, csrfToken: row.9, createdAt: row.10, lastSeenAt: row.11, secondFactorGiven: row.12)
        }
        return nil
    }

    /// Writes the session's last use, unless it was written within the policy's touch interval.
    static func touch(hash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE sessions SET last_seen_at = now()
             WHERE id_hash = \(ByteBuffer(bytes: hash)) AND ended_at IS NULL
               AND last_seen_at < now() - \(SignInPolicy.touchIntervalSeconds) * interval '1 second'
               AND session_is_live(created_at, last_seen_at, ended_at)
            """, logger: logger)
    }

    static func giveSecondFactor(hash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE sessions SET second_factor_at = now() WHERE id_hash = \(ByteBuffer(bytes: hash))", logger: logger)
    }

    /// Ends the session; true when it was open.
    static func end(hash: [UInt8], reason: String, on connection: PostgresConnection, logger: Logger) async throws
        -> Bool
    {
        let rows = try await connection.query(
            """
            UPDATE sessions SET ended_at = now(), end_reason = \(reason)
             WHERE id_hash = \(ByteBuffer(bytes: hash)) AND ended_at IS NULL RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }
}
