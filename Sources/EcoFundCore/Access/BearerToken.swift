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
        BearerToken(text: prefix + Secret.token())
    }

    /// The SHA-256 of a token's text: the only form the database holds.
    public static func hash(_ text: String) -> [UInt8] {
        Secret.hash(text)
    }
}
