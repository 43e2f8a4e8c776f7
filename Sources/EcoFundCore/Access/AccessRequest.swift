import Foundation

/// What one admin asks and a second decides (DESIGN.md "no single person moves money"): a token for someone whose
/// role moves money, or a change of someone's role or jurisdiction. Decided once; whoever asked never decides.
public struct AccessRequest: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// A token (and, on first use, the user) for a finance official, an approver or an admin.
        case token
        /// A user's new role or jurisdiction.
        case role
        /// A person who signs in to the console (a finance official, an approver or an admin), or a new activation
        /// code for one: whoever has the code sets the password.
        case person
    }

    public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
        case pending, approved, rejected
    }

    public let id: UUID
    public let kind: Kind
    public let subject: String
    public let role: Role
    public let jurisdiction: String?
    /// For a token: how long it lives once issued.
    public let lifetimeDays: Int?
    public let requestedBy: String
    public let requestedAt: Date
    public let status: Status
    public let decidedBy: String?
    public let decidedAt: Date?
    /// Why it was rejected (required), or a note on the approval.
    public let reason: String?

    public init(
        id: UUID, kind: Kind, subject: String, role: Role, jurisdiction: String?, lifetimeDays: Int?,
        requestedBy: String, requestedAt: Date, status: Status, decidedBy: String?, decidedAt: Date?, reason: String?
    ) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.role = role
        self.jurisdiction = jurisdiction
        self.lifetimeDays = lifetimeDays
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.status = status
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.reason = reason
    }

    /// Whether a role needs a second admin's approval: it records, approves or pays money, or gives others roles
    /// (SQL's twin: `role_moves_money`).
    public static func needsApproval(_ role: Role) -> Bool {
        switch role {
        case .finance, .approver, .admin: true
        case .assessor, .auditor: false
        }
    }
}

/// A change of a user's role (and, for finance, jurisdiction), as an admin asks for it.
public struct RoleChange: Hashable, Sendable, Codable {
    public let subject: String
    public let role: Role
    public let jurisdiction: String?

    public init(subject: String, role: String, jurisdiction: String?) throws(ValidationError) {
        let checked = try TokenRequest(subject: subject, role: role, jurisdiction: jurisdiction, lifetimeDays: nil)
        self.subject = checked.subject
        self.role = checked.role
        self.jurisdiction = checked.jurisdiction
    }
}

/// What issuing a token gave: the token at once (roles that cannot move money), or a request a second admin decides.
public enum TokenIssue: Hashable, Sendable, Codable {
    case issued(IssuedToken)
    case pending(AccessRequest)
}

/// A decided request, and the token or activation code it issued (with its secret, in the one response that shows
/// it).
public struct AccessDecision: Hashable, Sendable, Codable {
    public let request: AccessRequest
    public let token: IssuedToken?
    public let activation: ActivationCode?

    public init(request: AccessRequest, token: IssuedToken?, activation: ActivationCode? = nil) {
        self.request = request
        self.token = token
        self.activation = activation
    }
}
