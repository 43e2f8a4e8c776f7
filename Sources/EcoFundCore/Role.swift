import Foundation

/// What a token's holder may do. See DESIGN.md, "Users and what they do".
public enum Role: String, CaseIterable, Sendable, Codable {
    /// Records contributions and commitments of one jurisdiction; proposes disbursement runs.
    case finance
    /// Approves or rejects runs proposed by someone else; confirms payments.
    case approver
    /// Keeps indicator schemes and assessment scores.
    case assessor
    /// Reads and exports everything; changes nothing.
    case auditor
    /// Users, tokens, allocation rules and reference data.
    case admin
}

/// The authenticated caller of a request.
public struct Principal: Hashable, Sendable {
    /// The user's stable id; idempotency keys and maker-checker are scoped to it.
    public let userID: UUID
    /// The user's login name, written into audit events as the actor.
    public let subject: String
    public let role: Role
    /// The jurisdiction a `finance` user acts for; `nil` for every other role.
    public let jurisdiction: String?

    public init(userID: UUID, subject: String, role: Role, jurisdiction: String?) {
        self.userID = userID
        self.subject = subject
        self.role = role
        self.jurisdiction = jurisdiction
    }
}

/// Why a caller may not do something. Maps to 403.
public struct AuthorizationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
}

extension Principal {
    /// Demands one of `roles`; `admin` is not implied, list it where it is allowed.
    public func require(_ roles: Role..., to action: String) throws(AuthorizationError) {
        guard roles.contains(role) else {
            throw AuthorizationError("role \(role.rawValue) may not \(action)")
        }
    }

    /// Demands that a `finance` caller acts for `jurisdiction`; other roles pass.
    public func requireActsFor(_ jurisdiction: String, to action: String) throws(AuthorizationError) {
        if role == .finance, self.jurisdiction != jurisdiction {
            throw AuthorizationError(
                "a finance token of \(self.jurisdiction ?? "no jurisdiction") may not \(action) for \(jurisdiction)")
        }
    }
}
