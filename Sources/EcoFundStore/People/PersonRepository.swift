import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for people's credentials: passwords (bcrypt), activation codes and second-factor secrets, locks, failed
/// sign-ins and deactivation (Schema/010 keeps their rules).
enum PersonRepository {
    /// What signing in needs to know of a user.
    struct Credentials: Sendable {
        let id: UUID
        let subject: String
        let role: Role
        let jurisdiction: String?
        let passwordHash: String?
        let totpSecret: String?
        let totpConfirmed: Bool
        let lockedUntil: Date?
        let deactivated: Bool

        var principal: Principal { Principal(userID: id, subject: subject, role: role, jurisdiction: jurisdiction) }
    }

    static let personColumns = """
        SELECT id, subject, role, jurisdiction, created_at, password_hash IS NOT NULL, totp_confirmed_at IS NOT NULL,
               activation_expires_at, locked_until, deactivated_at FROM users
        """

    typealias PersonRow = (UUID, String, String, String?, Date, Bool, Bool, Date?, Date?, Date?)

    static func person(_ row: PersonRow) -> Person {
        Person(
            id: row.0, subject: row.1, role: StoredRole.decode(row.2, of: row.1), jurisdiction: row.3,
            createdAt: row.4, activated: row.5, secondFactor: row.6, activationExpiresAt: row.7,
            lockedUntil: row.8, deactivatedAt: row.9)
    }

    /// People in order of their login names, skipping the first `skip`.
    static func list(skip: Int64, limit: Int, on connection: PostgresConnection, logger: Logger) async throws
        -> [Person]
    {
        var bindings = PostgresBindings()
        bindings.append(skip)
        bindings.append(Int64(limit))
        let sql = personColumns + " ORDER BY lower(subject) OFFSET $1 LIMIT $2"
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var people: [Person] = []
        for try await row in rows.decode(PersonRow.self) { people.append(person(row)) }
        return people
    }

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger)
        async throws -> Person?
    {
        var bindings = PostgresBindings()
        bindings.append(id)
        let sql = personColumns + " WHERE id = $1" + (forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode(PersonRow.self) { return person(row) }
        return nil
    }

    static let credentialColumns = """
        SELECT id, subject, role, jurisdiction, password_hash, totp_secret, totp_confirmed_at IS NOT NULL,
               locked_until, deactivated_at IS NOT NULL FROM users
        """

    typealias CredentialRow = (UUID, String, String, String?, String?, String?, Bool, Date?, Bool)

    static func credentials(_ row: CredentialRow) -> Credentials {
        Credentials(
            id: row.0, subject: row.1, role: StoredRole.decode(row.2, of: row.1), jurisdiction: row.3,
            passwordHash: row.4, totpSecret: row.5, totpConfirmed: row.6, lockedUntil: row.7, deactivated: row.8)
    }

    /// A user's credentials by login name (any case), locked against a concurrent sign-in when `forUpdate`.
    static func credentials(
        subject: String, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger
    ) async throws -> Credentials? {
        var bindings = PostgresBindings()
        bindings.append(subject)
        let sql = credentialColumns + " WHERE lower(subject) = lower($1)" + (forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode(CredentialRow.self) { return credentials(row) }
        return nil
    }

    static func credentials(id: UUID, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger)
        async throws -> Credentials?
    {
        var bindings = PostgresBindings()
        bindings.append(id)
        let sql = credentialColumns + " WHERE id = $1" + (forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode(CredentialRow.self) { return credentials(row) }
        return nil
    }

    /// Creates a user who gets in with an activation code (hash given); returns when the code expires. Nil when the
    /// login name is taken, in any case.
    static func insert(
        id: UUID, person: NewPerson, activationHash: [UInt8], on connection: PostgresConnection, logger: Logger
    ) async throws -> Date? {
        let rows = try await connection.query(
            """
            INSERT INTO users (id, subject, role, jurisdiction, activation_hash, activation_expires_at)
            VALUES (\(id), \(person.subject), \(person.role.rawValue), \(person.jurisdiction),
                    \(ByteBuffer(bytes: activationHash)), now() + \(SignInPolicy.activationSeconds) * interval '1 second')
            ON CONFLICT ((lower(subject))) DO NOTHING
            RETURNING activation_expires_at
            """, logger: logger)
        for try await expiresAt in rows.decode(Date.self) { return expiresAt }
        return nil
    }

    /// A new activation code for a user: the password and the second factor are cleared (and, by the schema, every
    /// open session ends). Returns when the code expires.
    static func newActivation(_ id: UUID, hash: [UInt8], on connection: PostgresConnection, logger: Logger)
        async throws -> Date
    {
        let rows = try await connection.query(
            """
            UPDATE users SET activation_hash = \(ByteBuffer(bytes: hash)),
                   activation_expires_at = now() + \(SignInPolicy.activationSeconds) * interval '1 second',
                   password_hash = NULL, password_set_at = NULL, totp_secret = NULL, totp_confirmed_at = NULL,
                   locked_until = NULL
             WHERE id = \(id) RETURNING activation_expires_at
            """, logger: logger)
        for try await expiresAt in rows.decode(Date.self) { return expiresAt }
        preconditionFailure("user \(id.text) vanished inside its own transaction")
    }

    /// The user a live activation code belongs to, locked.
    static func activation(hash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws
        -> Credentials?
    {
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: hash))
        let sql =
            credentialColumns
            + " WHERE activation_hash = $1 AND activation_expires_at > now() AND deactivated_at IS NULL FOR UPDATE"
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode(CredentialRow.self) { return credentials(row) }
        return nil
    }

    /// Sets the password (using up the activation code, if one is pending).
    static func setPassword(_ id: UUID, hash: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE users SET password_hash = \(hash), password_set_at = now(), activation_hash = NULL,
                   activation_expires_at = NULL
             WHERE id = \(id)
            """, logger: logger)
    }

    static func setSecondFactorSecret(_ id: UUID, secret: String?, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            "UPDATE users SET totp_secret = \(secret), totp_confirmed_at = NULL WHERE id = \(id)", logger: logger)
    }

    static func confirmSecondFactor(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE users SET totp_confirmed_at = now() WHERE id = \(id)", logger: logger)
    }

    static func deactivate(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE users SET deactivated_at = now() WHERE id = \(id)", logger: logger)
    }

    /// Records a failed sign-in; returns the failures within the window, this one included.
    static func recordFailure(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("INSERT INTO sign_in_failures (user_id) VALUES (\(id))", logger: logger)
        let rows = try await connection.query(
            """
            SELECT count(*) FROM sign_in_failures
             WHERE user_id = \(id) AND at > now() - \(SignInPolicy.failureWindowSeconds) * interval '1 second'
            """, logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        preconditionFailure("count(*) returned no row")
    }

    /// Locks the account for the policy's time; returns until when.
    static func lock(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Date {
        let rows = try await connection.query(
            """
            UPDATE users SET locked_until = now() + \(SignInPolicy.lockSeconds) * interval '1 second'
             WHERE id = \(id) RETURNING locked_until
            """, logger: logger)
        for try await until in rows.decode(Date.self) { return until }
        preconditionFailure("user \(id.text) vanished inside its own transaction")
    }

    /// Forgets failed sign-ins after a successful one (and the lock, which has run out).
    static func clearFailures(_ id: UUID, unlock: Bool, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query("DELETE FROM sign_in_failures WHERE user_id = \(id)", logger: logger)
        if unlock {
            try await connection.query("UPDATE users SET locked_until = NULL WHERE id = \(id)", logger: logger)
        }
    }
}

/// A role as the database stores it; the schema allows no other, so another is a bug that stops here.
enum StoredRole {
    static func decode(_ text: String, of subject: String) -> Role {
        guard let role = Role(rawValue: text) else {
            preconditionFailure("user \(subject) has role \(text), which the schema does not allow")
        }
        return role
    }
}
