/// A token as the admin asks for it.
public struct TokenRequest: Hashable, Sendable, Codable {
    public let subject: String
    public let role: Role
    public let jurisdiction: String?
    public let lifetimeDays: Int

    public init(subject: String, role: String, jurisdiction: String?, lifetimeDays: Int?) throws(ValidationError) {
        guard CodePattern.subject.matches(subject) else {
            throw ValidationError(.invalidValue, at: "/subject", "must be 1 to 100 letters, digits or ._@-")
        }
        guard let role = Role(rawValue: role) else {
            throw ValidationError(
                .invalidValue, at: "/role", "must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch (role, jurisdiction) {
        case (.finance, nil):
            throw ValidationError(.missingField, at: "/jurisdiction", "is required for a finance token")
        case (.finance, let code?):
            try Jurisdiction.validateCode(code, at: "/jurisdiction")
        case (_, nil):
            break
        case (_, _?):
            throw ValidationError(.invalidValue, at: "/jurisdiction", "is only for finance tokens")
        }
        let days = lifetimeDays ?? BearerToken.lifetimeDaysDefault
        guard (1...BearerToken.lifetimeDaysMax).contains(days) else {
            throw ValidationError(.invalidValue, at: "/lifetimeDays", "must be 1 to \(BearerToken.lifetimeDaysMax)")
        }
        self.subject = subject
        self.role = role
        self.jurisdiction = jurisdiction
        self.lifetimeDays = days
    }
}
