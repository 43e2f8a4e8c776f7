import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for users: people and systems that act on the books. Users are never updated or deleted.
enum UserRepository {
    /// A stored user's identity.
    struct Stored: Sendable {
        let id: UUID
        let role: String
        let jurisdiction: String?
    }

    /// Inserts the user unless one with the subject exists; true when this inserted it.
    static func insertIfAbsent(
        id: UUID, subject: String, role: Role, jurisdiction: String?, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO users (id, subject, role, jurisdiction) VALUES (\(id), \(subject), \(role.rawValue), \(jurisdiction))
            ON CONFLICT (subject) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    static func find(subject: String, on connection: PostgresConnection, logger: Logger) async throws -> Stored? {
        let rows = try await connection.query(
            "SELECT id, role, jurisdiction FROM users WHERE subject = \(subject)", logger: logger)
        for try await (id, role, jurisdiction) in rows.decode((UUID, String, String?).self) {
            return Stored(id: id, role: role, jurisdiction: jurisdiction)
        }
        return nil
    }
}
