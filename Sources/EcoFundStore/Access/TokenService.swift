import EcoFundCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Users and their bearer tokens: issue (the secret is shown once), authenticate, revoke.
public struct TokenService: Sendable {
    /// How long a server trusts a token it has just checked without asking the database again. A revoked token stops
    /// working at once on the server that revoked it and within this time on every other.
    public static let recentlyCheckedSeconds: TimeInterval = 1

    let database: Database
    var logger: Logger { database.logger }
    private let recent = RecentTokens()

    public init(database: Database) { self.database = database }

    /// The caller a token belongs to.
    ///
    /// - Throws: ``AuthenticationError`` for an unknown, expired or revoked token, saying which for the log.
    public func authenticate(_ text: String, now: Date = Date()) async throws -> Principal {
        guard text.hasPrefix(BearerToken.prefix), text.count <= 100 else {
            throw AuthenticationError("the bearer token is not an EcoFund token")
        }
        let hash = BearerToken.hash(text)
        if let (principal, expiresAt) = recent.lookup(hash, now: now) {
            guard expiresAt > now else {
                throw AuthenticationError("token of \(principal.subject) expired at \(expiresAt)")
            }
            return principal
        }
        let found = try await database.read { connection in
            let rows = try await connection.query(
                """
                SELECT u.id, u.subject, u.role, u.jurisdiction, t.expires_at, t.revoked_at
                  FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = \(ByteBuffer(bytes: hash))
                """, logger: logger)
            for try await row in rows.decode((UUID, String, String, String?, Date, Date?).self) { return Optional(row) }
            return nil
        }
        guard let (userID, subject, role, jurisdiction, expiresAt, revokedAt) = found else {
            throw AuthenticationError("unknown token")
        }
        guard revokedAt == nil else { throw AuthenticationError("token of \(subject) was revoked") }
        guard expiresAt > now else { throw AuthenticationError("token of \(subject) expired at \(expiresAt)") }
        guard let role = Role(rawValue: role) else {
            preconditionFailure("user \(subject) has role \(role), which the schema does not allow")
        }
        let principal = Principal(userID: userID, subject: subject, role: role, jurisdiction: jurisdiction)
        recent.remember(hash, principal: principal, expiresAt: expiresAt, now: now)
        return principal
    }

    /// Issues a token for a user, creating the user on first use. A user keeps one role and jurisdiction.
    public func issue(_ request: TokenRequest, by principal: Principal, idempotencyKey: String?) async throws
        -> Keyed<IssuedToken>
    {
        try principal.require(.admin, to: "issue tokens")
        let secret = BearerToken.generate()
        let keyed = try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createToken", request: request, principal: principal,
                on: connection, logger: logger
            ) {
                // The stored (replayable) response never holds the secret.
                try await Self.insert(request, secret: secret, actor: principal.subject, on: connection, logger: logger)
            }
        }
        guard !keyed.replayed else { return keyed }
        let token = keyed.value
        return Keyed(
            value: IssuedToken(
                id: token.id, subject: token.subject, role: token.role, jurisdiction: token.jurisdiction,
                expiresAt: token.expiresAt, token: secret.text),
            replayed: false)
    }

    /// The first admin token, from the command line, where there is no caller yet.
    public func bootstrap(_ request: TokenRequest) async throws -> IssuedToken {
        let secret = BearerToken.generate()
        let token = try await database.transaction { connection in
            try await Self.insert(request, secret: secret, actor: "cli", on: connection, logger: logger)
        }
        return IssuedToken(
            id: token.id, subject: token.subject, role: token.role, jurisdiction: token.jurisdiction,
            expiresAt: token.expiresAt, token: secret.text)
    }

    /// Revokes a token; revoking one that is already revoked changes nothing and is not an error.
    public func revoke(id: UUID, by principal: Principal) async throws {
        try principal.require(.admin, to: "revoke tokens")
        try await database.transaction { connection in
            let rows = try await connection.query(
                "SELECT revoked_at FROM tokens WHERE id = \(id)", logger: logger)
            var exists = false
            var revoked = false
            for try await revokedAt in rows.decode(Date?.self) {
                exists = true
                revoked = revokedAt != nil
            }
            guard exists else { throw StoreError(.notFound, "no token \(id)") }
            guard !revoked else { return }
            try await connection.query("UPDATE tokens SET revoked_at = now() WHERE id = \(id)", logger: logger)
            try await AuditRepository.record(
                "token.revoked", actor: principal.subject, payload: ["id": id.uuidString], on: connection,
                logger: logger)
        }
        // After the commit: a check racing the revocation may still have remembered the token, for at most
        // recentlyCheckedSeconds.
        recent.forgetAll()
    }

    static func insert(
        _ request: TokenRequest, secret: BearerToken, actor: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> IssuedToken {
        let userID = try await user(for: request, actor: actor, on: connection, logger: logger)
        let id = UUID()
        let rows = try await connection.query(
            """
            INSERT INTO tokens (id, user_id, token_hash, expires_at)
            VALUES (\(id), \(userID), \(ByteBuffer(bytes: BearerToken.hash(secret.text))), now() + make_interval(days => \(Int32(request.lifetimeDays))))
            RETURNING expires_at
            """, logger: logger)
        var expiresAt = Date()
        for try await at in rows.decode(Date.self) { expiresAt = at }
        let issued = IssuedToken(
            id: id, subject: request.subject, role: request.role, jurisdiction: request.jurisdiction,
            expiresAt: expiresAt, token: nil)
        try await AuditRepository.record("token.issued", actor: actor, payload: issued, on: connection, logger: logger)
        return issued
    }

    private static func user(
        for request: TokenRequest, actor: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> UUID {
        if let jurisdiction = request.jurisdiction {
            let rows = try await connection.query(
                "SELECT 1 FROM jurisdictions WHERE code = \(jurisdiction)", logger: logger)
            var known = false
            for try await _ in rows { known = true }
            guard known else {
                throw ValidationError(.unknownReference, at: "/jurisdiction", "no jurisdiction \(jurisdiction)")
            }
        }
        let newID = UUID()
        try await connection.query(
            """
            INSERT INTO users (id, subject, role, jurisdiction) VALUES (\(newID), \(request.subject), \(request.role.rawValue), \(request.jurisdiction))
            ON CONFLICT (subject) DO NOTHING
            """, logger: logger)
        let rows = try await connection.query(
            "SELECT id, role, jurisdiction FROM users WHERE subject = \(request.subject)", logger: logger)
        for try await (id, role, jurisdiction) in rows.decode((UUID, String, String?).self) {
            guard role == request.role.rawValue, jurisdiction == request.jurisdiction else {
                throw StoreError(
                    .conflict,
                    "user \(request.subject) is \(role)\(jurisdiction.map { " of \($0)" } ?? ""); a user keeps one role"
                )
            }
            if id == newID {
                try await AuditRepository.record(
                    "user.created", actor: actor,
                    payload: [
                        "id": id.uuidString, "subject": request.subject, "role": role,
                        "jurisdiction": jurisdiction ?? "",
                    ],
                    on: connection, logger: logger)
            }
            return id
        }
        preconditionFailure("user \(request.subject) vanished inside its own transaction")
    }
}

/// Tokens this server checked in the last ``TokenService/recentlyCheckedSeconds``, by their hash: spares the database a
/// query per request when one client sends many. Only successful checks are kept, and never for long.
private final class RecentTokens: Sendable {
    private struct Entry {
        let principal: Principal
        let expiresAt: Date
        let checkedAt: Date
    }

    /// Beyond this many tokens the memory starts over; a server has far fewer active callers.
    private static let entriesMax = 10_000
    private let entries = Mutex<[[UInt8]: Entry]>([:])

    func lookup(_ hash: [UInt8], now: Date) -> (Principal, Date)? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard now.timeIntervalSince(entry.checkedAt) < TokenService.recentlyCheckedSeconds,
                now >= entry.checkedAt
            else {
                entries[hash] = nil
                return nil
            }
            return (entry.principal, entry.expiresAt)
        }
    }

    func remember(_ hash: [UInt8], principal: Principal, expiresAt: Date, now: Date) {
        entries.withLock { entries in
            if entries.count >= Self.entriesMax { entries.removeAll() }
            entries[hash] = Entry(principal: principal, expiresAt: expiresAt, checkedAt: now)
        }
    }

    func forgetAll() {
        entries.withLock { $0.removeAll() }
    }
}
