import Crypto
import Foundation

/// A bearer token: 256 random bits, shown once as `efl_` + base64url, stored only as its SHA-256.
public struct BearerToken: Sendable {
    /// The prefix that marks an EcoFund Ledger token, so that a leaked one is recognisable.
    public static let prefix = "efl_"
    /// How long a token lives unless the issuer says otherwise.
    public static let lifetimeDaysDefault = 90
    /// The longest lifetime an issuer may ask for.
    public static let lifetimeDaysMax = 366

    /// The secret text, to hand to its holder once.
    public let text: String

    /// A new random token.
    public static func generate() -> BearerToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return BearerToken(text: prefix + encoded)
    }

    /// The SHA-256 of a token's text: the only form the database holds.
    public static func hash(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(text.utf8)))
    }
}

/// A token as the admin asks for it.
public struct TokenRequest: Hashable, Sendable, Codable {
    public let subject: String
    public let role: Role
    public let jurisdiction: String?
    public let lifetimeDays: Int

    public init(subject: String, role: String, jurisdiction: String?, lifetimeDays: Int?) throws(ValidationError) {
        guard (1...100).contains(subject.count),
            subject.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._@-".contains($0)) })
        else {
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
