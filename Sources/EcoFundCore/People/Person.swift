import Foundation

/// A person (or a system) who acts on the books, as the admin pages and `GET /v1/users` show them.
public struct Person: Hashable, Sendable, Codable {
    public let id: UUID
    public let subject: String
    public let role: Role
    public let jurisdiction: String?
    public let createdAt: Date
    /// Whether the person has set a password (used an activation code).
    public let activated: Bool
    /// Whether the person has confirmed a second factor.
    public let secondFactor: Bool
    /// Until when an unused activation code works.
    public let activationExpiresAt: Date?
    public let lockedUntil: Date?
    public let deactivatedAt: Date?

    public init(
        id: UUID, subject: String, role: Role, jurisdiction: String?, createdAt: Date, activated: Bool,
        secondFactor: Bool, activationExpiresAt: Date?, lockedUntil: Date?, deactivatedAt: Date?
    ) {
        self.id = id
        self.subject = subject
        self.role = role
        self.jurisdiction = jurisdiction
        self.createdAt = createdAt
        self.activated = activated
        self.secondFactor = secondFactor
        self.activationExpiresAt = activationExpiresAt
        self.lockedUntil = lockedUntil
        self.deactivatedAt = deactivatedAt
    }
}

/// A person as an admin asks for them: a login name, a role and, for finance, a jurisdiction — the same checked
/// triple as a role change.
public typealias NewPerson = RoleChange

/// An activation code: shown once, to the admin who hands it to the person; only its SHA-256 is kept.
public struct ActivationCode: Hashable, Sendable, Codable {
    public let subject: String
    public let expiresAt: Date
    /// The code, present only in the response that issued it.
    public let code: String?

    public init(subject: String, expiresAt: Date, code: String?) {
        self.subject = subject
        self.expiresAt = expiresAt
        self.code = code
    }

    /// The same, with its code, for the one response that shows it.
    public func revealing(_ code: String) -> ActivationCode {
        ActivationCode(subject: subject, expiresAt: expiresAt, code: code)
    }
}

/// What creating a person (or a new code for one) gave: the code at once, or a request a second admin decides.
public enum PersonIssue: Hashable, Sendable, Codable {
    case issued(Person, ActivationCode)
    case pending(AccessRequest)
}
