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
            try await TokenRepository.find(hash: hash, on: connection, logger: logger)
        }
        guard let found else { throw AuthenticationError("unknown token") }
        guard found.revokedAt == nil else { throw AuthenticationError("token of \(found.subject) was revoked") }
        guard found.expiresAt > now else {
            throw AuthenticationError("token of \(found.subject) expired at \(found.expiresAt)")
        }
        guard let role = Role(rawValue: found.role) else {
            preconditionFailure("user \(found.subject) has role \(found.role), which the schema does not allow")
        }
        let principal = Principal(
            userID: found.userID, subject: found.subject, role: role, jurisdiction: found.jurisdiction)
        recent.remember(hash, principal: principal, expiresAt: found.expiresAt, now: now)
        return principal
    }

    /// Issues a token for a user, creating the user on first use. A user keeps one role and jurisdiction (a change
    /// is an access request). A token for a role that moves money (finance, approver, admin) is not issued here: it
    /// becomes an access request that a second admin approves (``AccessService``), and the secret goes to that admin.
    public func issue(_ request: TokenRequest, by principal: Principal, idempotencyKey: IdempotencyKey?) async throws
        -> Keyed<TokenIssue>
    {
        try principal.authorize(.manageTokens)
        let needsApproval = AccessRequest.needsApproval(request.role)
        if needsApproval { try principal.authorize(.requestAccess) }
        let secret = BearerToken.generate()
        let keyed = try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createToken", request: request, principal: principal,
                on: connection, logger: logger
            ) { () async throws -> TokenIssue in
                guard needsApproval else {
                    // The stored (replayable) response never holds the secret.
                    return .issued(
                        try await Self.insert(
                            request, secret: secret, actor: principal.subject, on: connection, logger: logger))
                }
                return .pending(
                    try await AccessService.ask(
                        .token, subject: request.subject, role: request.role, jurisdiction: request.jurisdiction,
                        lifetimeDays: request.lifetimeDays, by: principal, on: connection, logger: logger))
            }
        }
        guard !keyed.replayed, case .issued(let token) = keyed.value else { return keyed }
        return Keyed(value: .issued(token.revealing(secret)), replayed: false)
    }

    /// The first admin token, from the command line, where there is no caller yet.
    public func bootstrap(_ request: TokenRequest) async throws -> IssuedToken {
        let secret = BearerToken.generate()
        let token = try await database.transaction { connection in
            try await Self.insert(request, secret: secret, actor: "cli", on: connection, logger: logger)
        }
        return token.revealing(secret)
    }

    /// Tokens newest first (the 500 newest), for the admins who issue and revoke them.
    public func list(by principal: Principal) async throws -> [TokenSummary] {
        try principal.authorize(.manageTokens)
        return try await database.read { connection in
            try await TokenRepository.list(limit: 500, on: connection, logger: logger)
        }
    }

    /// Revokes a token; revoking one that is already revoked changes nothing and is not an error.
    public func revoke(id: UUID, by principal: Principal) async throws {
        try principal.authorize(.manageTokens)
        try await database.transaction { connection in
            guard let revoked = try await TokenRepository.isRevoked(id: id, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no token \(id.text)")
            }
            guard !revoked else { return }
            try await TokenRepository.revoke(id: id, on: connection, logger: logger)
            try await AuditRepository.record(
                "token.revoked", actor: principal.subject, payload: ["id": id.uuidString], on: connection,
                logger: logger)
        }
        // After the commit: a check racing the revocation may still have remembered the token, for at most
        // recentlyCheckedSeconds.
        forgetRecentlyChecked()
    }

    /// Forgets the tokens this server checked lately, after a change that may stop some of them.
    func forgetRecentlyChecked() { recent.forgetAll() }

    static func insert(
        _ request: TokenRequest, secret: BearerToken, actor: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> IssuedToken {
        let user = try await UserService.ensure(
            subject: request.subject, role: request.role, jurisdiction: request.jurisdiction, actor: actor,
            on: connection, logger: logger)
        let id = UUID()
        let expiresAt = try await TokenRepository.insert(
            id: id, userID: user.id, hash: BearerToken.hash(secret.text), lifetimeDays: request.lifetimeDays,
            on: connection, logger: logger)
        let issued = IssuedToken(
            id: id, subject: user.subject, role: request.role, jurisdiction: request.jurisdiction,
            expiresAt: expiresAt, token: nil)
        try await AuditRepository.record("token.issued", actor: actor, payload: issued, on: connection, logger: logger)
        return issued
    }
}

extension IssuedToken {
    /// The same token with its secret, for the one response that shows it.
    func revealing(_ secret: BearerToken) -> IssuedToken {
        IssuedToken(
            id: id, subject: subject, role: role, jurisdiction: jurisdiction, expiresAt: expiresAt, token: secret.text)
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
