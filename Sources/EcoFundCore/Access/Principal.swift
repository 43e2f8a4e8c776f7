import Foundation

/// The authenticated caller of a service: from an API token, a console session or the command line.
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
