import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for bearer tokens, stored only as the SHA-256 of their text.
enum TokenRepository {
    /// A token found by its hash, with its holder.
    struct Found: Sendable {
        let userID: UUID
        let subject: String
        let role: String
        let jurisdiction: String?
        let expiresAt: Date
        let revokedAt: Date?
    }

    static func find(hash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> Found? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.subject, u.role, u.jurisdiction, t.expires_at, t.revoked_at
              FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = \(ByteBuffer(bytes: hash))
            """, logger: logger)
        for try await row in rows.decode((UUID, String, String, String?, Date, Date?).self) {
            return Found(
                userID: row.0, subject: row.1, role: row.2, jurisdiction: row.3, expiresAt: row.4, revokedAt: row.5)
        }
        return nil
    }

    /// Inserts a token for `lifetimeDays` from now; returns when it expires.
    static func insert(
        id: UUID, userID: UUID, hash: [UInt8], lifetimeDays: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> Date {
        let rows = try await connection.query(
            """
            INSERT INTO tokens (id, user_id, token_hash, expires_at)
            VALUES (\(id), \(userID), \(ByteBuffer(bytes: hash)), now() + make_interval(days => \(Int32(lifetimeDays))))
            RETURNING expires_at
            """, logger: logger)
        for try await expiresAt in rows.decode(Date.self) { return expiresAt }
        preconditionFailure("INSERT … RETURNING returned no row")
    }

    /// Whether the token exists, and if so whether it is revoked: nil for no such token.
    /// Tokens newest first, with their holders; never a secret (only hashes are stored).
    static func list(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [TokenSummary] {
        var tokens: [TokenSummary] = []
        let rows = try await connection.query(
            """
            SELECT t.id, u.subject, u.role, u.jurisdiction, t.created_at, t.expires_at, t.revoked_at
              FROM tokens t JOIN users u ON u.id = t.user_id
             ORDER BY t.created_at DESC, t.id LIMIT \(limit)
            """, logger: logger)
        for try await (id, subject, role, jurisdiction, created, expires, revoked) in rows.decode(
            (UUID, String, String, String?, Date, Date, Date?).self)
        {
            guard let role = Role(rawValue: role) else {
                preconditionFailure("token \(id.text) is held by a role \(role) the schema does not allow")
            }
            tokens.append(
                TokenSummary(
                    id: id, subject: subject, role: role, jurisdiction: jurisdiction, createdAt: created,
                    expiresAt: expires, revokedAt: revoked))
        }
        return tokens
    }

    static func isRevoked(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Bool? {
        for try await revokedAt in try await connection.query(
            "SELECT revoked_at FROM tokens WHERE id = \(id) FOR UPDATE", logger: logger
        ).decode(Date?.self) { return revokedAt != nil }
        return nil
    }

    static func revoke(id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE tokens SET revoked_at = now() WHERE id = \(id)", logger: logger)
    }

    /// Revokes every live token of a user (when the user's role changes, the tokens of the old role stop).
    static func revokeAll(of userID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var revoked = 0
        for try await _ in try await connection.query(
            "UPDATE tokens SET revoked_at = now() WHERE user_id = \(userID) AND revoked_at IS NULL RETURNING 1",
            logger: logger)
        { revoked += 1 }
        return revoked
    }
}

/// A token as its list shows it: who holds it, when it was made, when it ends or ended.
public struct TokenSummary: Hashable, Sendable {
    public let id: UUID
    public let subject: String
    public let role: Role
    public let jurisdiction: String?
    public let createdAt: Date
    public let expiresAt: Date
    public let revokedAt: Date?
}
