import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for users: people and systems that act on the books. Subjects are compared without regard to case; users are
/// never deleted, and their role changes only under an approved access request (Schema/008).
enum UserRepository {
    /// A stored user's identity.
    struct Stored: Sendable {
        let id: UUID
        /// As first written (`Li.Beijing` stays so), whatever case it is looked up in.
        let subject: String
        let role: String
        let jurisdiction: String?
    }

    /// Inserts the user unless one with the subject, in any case, exists; true when this inserted it.
    static func insertIfAbsent(
        id: UUID, subject: String, role: Role, jurisdiction: String?, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO users (id, subject, role, jurisdiction) VALUES (\(id), \(subject), \(role.rawValue), \(jurisdiction))
            ON CONFLICT ((lower(subject))) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    static func find(subject: String, on connection: PostgresConnection, logger: Logger) async throws -> Stored? {
        let rows = try await connection.query(
            "SELECT id, subject, role, jurisdiction FROM users WHERE lower(subject) = lower(\(subject))", logger: logger
        )
        for try await (id, subject, role, jurisdiction) in rows.decode((UUID, String, String, String?).self) {
            return Stored(id: id, subject: subject, role: role, jurisdiction: jurisdiction)
        }
        return nil
    }

    static func changeRole(
        of id: UUID, to role: Role, jurisdiction: String?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            "UPDATE users SET role = \(role.rawValue), jurisdiction = \(jurisdiction) WHERE id = \(id)", logger: logger)
    }
}
