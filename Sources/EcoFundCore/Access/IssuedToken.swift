import Foundation

/// An issued token's public facts; the secret appears only in the response that created it.
public struct IssuedToken: Hashable, Sendable, Codable {
    public let id: UUID
    public let subject: String
    public let role: Role
    public let jurisdiction: String?
    public let expiresAt: Date
    /// The secret, present only when the token was just created.
    public let token: String?

    public init(id: UUID, subject: String, role: Role, jurisdiction: String?, expiresAt: Date, token: String?) {
        self.id = id
        self.subject = subject
        self.role = role
        self.jurisdiction = jurisdiction
        self.expiresAt = expiresAt
        self.token = token
    }
}
