import EcoFundCore
import Foundation
import HummingbirdOTP
import Logging
import PostgresNIO

/// The door of the console: activation, sign-in with a password and, for approvers and admins, a time-based code
/// (RFC 6238), sessions, sign-out and password changes. Every step that matters is an audit event, never with the
/// secret. Only the SHA-256 of a session's id is stored, so any server answers any request.
public struct SessionService: Sendable {
    let database: Database
    /// Told when a deactivation or a new code stops a user's tokens.
    let tokens: TokenService
    var logger: Logger { database.logger }

    public init(database: Database, tokens: TokenService) {
        self.database = database
        self.tokens = tokens
    }

    /// What a new session's holder gets: the id for the cookie (never stored) and the form token.
    public struct Ticket: Sendable, Hashable {
        public let id: String
        public let csrfToken: String
    }

    /// How far a session has come.
    public enum Stage: Sendable, Hashable {
        /// Signed in: the person works.
        case complete
        /// The password was right; a code from the person's authenticator is still due.
        case secondFactorDue
        /// The password was right; the person has not set up a second factor yet, and does so now.
        case secondFactorSetupDue
    }

    /// A live session.
    public struct Session: Sendable, Hashable {
        public let principal: Principal
        public let csrfToken: String
        public let stage: Stage
        public let createdAt: Date
    }

    /// What a person scans or types into an authenticator app.
    public struct SecondFactorSetup: Sendable, Hashable {
        /// The secret as authenticator apps take it (RFC 4648 base32 of the key).
        public let secretText: String
        /// `otpauth://totp/…`, the content of the QR code.
        public let url: String
    }

    /// Sets a person's first password with the activation code an admin handed them. Returns the login name.
    ///
    /// - Throws: ``SignInError`` (`unknownActivationCode`), ``ValidationError`` at `/password` or `/confirmation`.
    public func activate(code typed: String, password: String, confirmation: String) async throws -> String {
        guard let code = Secret.normalizedActivationCode(typed) else { throw SignInError(.unknownActivationCode) }
        let hash = Secret.hash(code)
        let holder = try await database.read { connection in
            try await PersonRepository.activation(hash: hash, on: connection, logger: logger)
        }
        guard let holder else { throw SignInError(.unknownActivationCode) }
        try PasswordPolicy.validate(password, subject: holder.subject)
        guard password == confirmation else {
            throw ValidationError(.invalidValue, at: "/confirmation", "must be the same as the password")
        }
        let passwordHash = try await Passwords.hash(password)
        return try await database.transaction { connection in
            guard let holder = try await PersonRepository.activation(hash: hash, on: connection, logger: logger) else {
                throw SignInError(.unknownActivationCode)
            }
            try await PersonRepository.setPassword(holder.id, hash: passwordHash, on: connection, logger: logger)
            try await AuditRepository.record(
                "user.activated", actor: holder.subject, payload: ["id": holder.id.text], on: connection,
                logger: logger)
            return holder.subject
        }
    }

    /// Checks a login name and password and opens a session. Five failures in 15 minutes lock the account.
    ///
    /// - Throws: ``SignInError`` (`wrongCredentials`, `locked`).
    public func signIn(subject: String, password: String) async throws -> (Ticket, Stage) {
        let found = try await database.read { connection in
            try await PersonRepository.credentials(subject: subject, on: connection, logger: logger)
        }
        if let until = found?.lockedUntil, until > Date() { throw SignInError(.locked(until: until)) }
        let matches = try await Passwords.verify(password, hash: found?.passwordHash)
        guard let found, matches, !found.deactivated else {
            if let found, !found.deactivated { try await fail(found, step: "password") }
            throw SignInError(.wrongCredentials)
        }
        let ticket = Ticket(id: Secret.token(), csrfToken: Secret.token())
        let stage: Stage =
            !found.role.needsSecondFactor ? .complete : found.totpConfirmed ? .secondFactorDue : .secondFactorSetupDue
        try await database.transaction { connection in
            guard
                let now = try await PersonRepository.credentials(
                    id: found.id, forUpdate: true, on: connection, logger: logger),
                !now.deactivated, now.passwordHash == found.passwordHash
            else { throw SignInError(.wrongCredentials) }
            if let until = now.lockedUntil, until > Date() { throw SignInError(.locked(until: until)) }
            try await PersonRepository.clearFailures(
                found.id, unlock: now.lockedUntil != nil, on: connection, logger: logger)
            try await SessionRepository.insert(
                hash: Secret.hash(ticket.id), userID: found.id, csrfToken: ticket.csrfToken, on: connection,
                logger: logger)
            try await AuditRepository.record(
                "session.started", actor: found.subject,
                payload: ["user": found.id.text, "secondFactorDue": stage == .complete ? "no" : "yes"],
                on: connection, logger: logger)
        }
        return (ticket, stage)
    }

    /// The live session with this id, its last use written (at most once a minute); nil when it has ended, idled
    /// out, grown too old or its user was deactivated.
    public func session(_ id: String) async throws -> Session? {
        guard id.utf8.count == 43 else { return nil }
        let hash = Secret.hash(id)
        let found = try await database.read { connection in
            try await SessionRepository.findLive(hash: hash, on: connection, logger: logger)
        }
        guard let found else { return nil }
        if Date().timeIntervalSince(found.lastSeenAt) >= TimeInterval(SignInPolicy.touchIntervalSeconds) {
            try await database.transaction { connection in
                try await SessionRepository.touch(hash: hash, on: connection, logger: logger)
            }
        }
        let stage: Stage =
            !found.user.role.needsSecondFactor || found.secondFactorGiven
            ? .complete : found.user.totpConfirmed ? .secondFactorDue : .secondFactorSetupDue
        return Session(
            principal: found.user.principal, csrfToken: found.csrfToken, stage: stage, createdAt: found.createdAt)
    }

    /// Checks the code from the person's authenticator and completes the session.
    ///
    /// - Throws: ``SignInError`` (`wrongCode`, `locked`, `noSession`).
    public func giveSecondFactor(session id: String, code: String) async throws {
        let hash = Secret.hash(id)
        let found = try await database.read { connection in
            try await SessionRepository.findLive(hash: hash, on: connection, logger: logger)
        }
        guard let found, found.user.totpConfirmed, let secret = found.user.totpSecret else {
            throw SignInError(.noSession)
        }
        if let until = found.user.lockedUntil, until > Date() { throw SignInError(.locked(until: until)) }
        guard Self.codeMatches(code, secret: secret) else {
            try await fail(found.user, step: "second factor", session: hash)
            throw SignInError(.wrongCode)
        }
        try await database.transaction { connection in
            guard
                try await SessionRepository.findLive(hash: hash, forUpdate: true, on: connection, logger: logger) != nil
            else { throw SignInError(.noSession) }
            try await SessionRepository.giveSecondFactor(hash: hash, on: connection, logger: logger)
            try await PersonRepository.clearFailures(found.user.id, unlock: false, on: connection, logger: logger)
            try await AuditRepository.record(
                "session.secondfactor", actor: found.user.subject, payload: ["user": found.user.id.text],
                on: connection, logger: logger)
        }
    }

    /// The secret a person sets up their authenticator with, made on first asking and kept until confirmed.
    public func secondFactorSetup(session id: String) async throws -> SecondFactorSetup {
        let hash = Secret.hash(id)
        return try await database.transaction { connection in
            guard let found = try await SessionRepository.findLive(hash: hash, on: connection, logger: logger),
                !found.user.totpConfirmed
            else { throw SignInError(.noSession) }
            let secret: String
            if let existing = found.user.totpSecret {
                secret = existing
            } else {
                secret = Secret.secondFactorSecret()
                try await PersonRepository.setSecondFactorSecret(
                    found.user.id, secret: secret, on: connection, logger: logger)
                try await AuditRepository.record(
                    "user.secondfactor.begun", actor: found.user.subject, payload: ["user": found.user.id.text],
                    on: connection, logger: logger)
            }
            let totp = TOTP(secret: secret)
            let url = totp.createAuthenticatorURL(label: "EcoFund:\(found.user.subject)", issuer: "EcoFund Ledger")
            let text = URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
            return SecondFactorSetup(secretText: text, url: url)
        }
    }

    /// Confirms the second factor with a first code from the authenticator, completing this session.
    ///
    /// - Throws: ``SignInError`` (`wrongCode`, `noSession`).
    public func confirmSecondFactor(session id: String, code: String) async throws {
        let hash = Secret.hash(id)
        let found = try await database.read { connection in
            try await SessionRepository.findLive(hash: hash, on: connection, logger: logger)
        }
        guard let found, !found.user.totpConfirmed, let secret = found.user.totpSecret else {
            throw SignInError(.noSession)
        }
        guard Self.codeMatches(code, secret: secret) else {
            try await fail(found.user, step: "second factor setup", session: hash)
            throw SignInError(.wrongCode)
        }
        try await database.transaction { connection in
            try await PersonRepository.confirmSecondFactor(found.user.id, on: connection, logger: logger)
            try await SessionRepository.giveSecondFactor(hash: hash, on: connection, logger: logger)
            try await AuditRepository.record(
                "user.secondfactor.set", actor: found.user.subject, payload: ["user": found.user.id.text],
                on: connection, logger: logger)
        }
    }

    /// Ends the session (nothing happens when it had already ended).
    public func signOut(session id: String) async throws {
        let hash = Secret.hash(id)
        try await database.transaction { connection in
            guard let found = try await SessionRepository.findLive(hash: hash, on: connection, logger: logger) else {
                return
            }
            guard try await SessionRepository.end(hash: hash, reason: "signed-out", on: connection, logger: logger)
            else { return }
            try await AuditRepository.record(
                "session.ended", actor: found.user.subject,
                payload: ["user": found.user.id.text, "reason": "signed-out"], on: connection, logger: logger)
        }
    }

    /// Changes the password of the session's holder; every session of theirs ends, this one too (they sign in anew).
    ///
    /// - Throws: ``SignInError`` (`wrongCurrentPassword`, `noSession`), ``ValidationError`` at `/password` or
    ///   `/confirmation`.
    public func changePassword(session id: String, current: String, new: String, confirmation: String) async throws {
        let hash = Secret.hash(id)
        let found = try await database.read { connection in
            try await SessionRepository.findLive(hash: hash, on: connection, logger: logger)
        }
        guard let found else { throw SignInError(.noSession) }
        guard try await Passwords.verify(current, hash: found.user.passwordHash) else {
            try await fail(found.user, step: "password change", session: hash)
            throw SignInError(.wrongCurrentPassword)
        }
        try PasswordPolicy.validate(new, subject: found.user.subject)
        guard new == confirmation else {
            throw ValidationError(.invalidValue, at: "/confirmation", "must be the same as the password")
        }
        guard new != current else {
            throw ValidationError(.invalidValue, at: "/password", "must differ from the current password")
        }
        let newHash = try await Passwords.hash(new)
        try await database.transaction { connection in
            try await PersonRepository.setPassword(found.user.id, hash: newHash, on: connection, logger: logger)
            try await AuditRepository.record(
                "user.password.changed", actor: found.user.subject, payload: ["user": found.user.id.text],
                on: connection, logger: logger)
        }
    }

    /// Counts a failure; the fifth within the window locks the account (an audit event) and ends the half-open
    /// session it happened in.
    private func fail(_ user: PersonRepository.Credentials, step: String, session: [UInt8]? = nil) async throws {
        let locked = try await database.transaction { connection -> Date? in
            let failures = try await PersonRepository.recordFailure(user.id, on: connection, logger: logger)
            guard failures >= SignInPolicy.failuresBeforeLock else { return nil }
            let until = try await PersonRepository.lock(user.id, on: connection, logger: logger)
            if let session {
                _ = try await SessionRepository.end(hash: session, reason: "signed-out", on: connection, logger: logger)
            }
            try await AuditRepository.record(
                "user.locked", actor: user.subject,
                payload: ["user": user.id.text, "failures": "\(failures)", "step": step, "until": UTCTime.text(until)],
                on: connection, logger: logger)
            return until
        }
        logger.notice(
            "sign-in failed", metadata: ["subject": "\(user.subject)", "step": "\(step)", "locked": "\(locked != nil)"])
        if let locked { throw SignInError(.locked(until: locked)) }
    }

    /// Whether a six-digit code is the authenticator's for now, or for the 30 seconds before or after (clocks drift).
    static func codeMatches(_ typed: String, secret: String, now: Date = Date()) -> Bool {
        let digits = typed.filter { $0 != " " }
        guard digits.count == 6, digits.allSatisfy(\.isASCII), let value = Int(digits) else { return false }
        let totp = TOTP(secret: secret)
        return [-30.0, 0, 30].contains { totp.compute(date: now.addingTimeInterval($0)) == value }
    }
}
