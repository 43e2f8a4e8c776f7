import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// People and systems that act on the books. A user keeps one role (and, for finance, one jurisdiction) for ever.
enum UserService {
    /// The user with `subject` (in any case), created with an audit event on first use.
    ///
    /// - Throws: ``ValidationError`` for an unknown jurisdiction; ``StoreError/Code/conflict`` when the subject is
    ///   already a user with another role or jurisdiction.
    static func ensure(
        subject: String, role: Role, jurisdiction: String?, actor: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> UserRepository.Stored {
        if let jurisdiction,
            try await JurisdictionRepository.select(code: jurisdiction, on: connection, logger: logger)
                .isEmpty
        {
            throw ValidationError(.unknownReference, at: "/jurisdiction", "no jurisdiction \(jurisdiction)")
        }
        let newID = UUID()
        let created = try await UserRepository.insertIfAbsent(
            id: newID, subject: subject, role: role, jurisdiction: jurisdiction, on: connection, logger: logger)
        guard let stored = try await UserRepository.find(subject: subject, on: connection, logger: logger) else {
            preconditionFailure("user \(subject) vanished inside its own transaction")
        }
        guard stored.role == role.rawValue, stored.jurisdiction == jurisdiction else {
            throw StoreError(
                .conflict,
                "user \(subject) is \(stored.role)\(stored.jurisdiction.map { " of \($0)" } ?? ""); a user keeps one role"
            )
        }
        if created {
            try await AuditRepository.record(
                "user.created", actor: actor,
                payload: [
                    "id": stored.id.uuidString, "subject": stored.subject, "role": role.rawValue,
                    "jurisdiction": jurisdiction ?? "",
                ],
                on: connection, logger: logger)
        }
        return stored
    }
}
