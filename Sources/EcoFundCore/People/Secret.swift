import Crypto
import Foundation

/// Random secrets of the console: session ids and form tokens (256 bits, base64url), activation codes (100 bits in
/// groups a person can read out and type), second-factor secrets (RFC 4648 base32 letters). Each is stored, where it
/// is stored at all, as its SHA-256.
public enum Secret {
    /// 32 random bytes as 43 characters of base64url without padding.
    public static func token() -> String {
        base64url(random(32))
    }

    /// The alphabet of activation codes: Crockford's base32, without the letters that read as digits (I, L, O, U).
    static let codeAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// An activation code: 20 random characters of ``codeAlphabet`` (100 bits) in four groups, `7K3M-…`.
    public static func activationCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<20).map { _ in codeAlphabet[Int.random(in: 0..<codeAlphabet.count, using: &generator)] }
        return stride(from: 0, to: 20, by: 5).map { String(characters[$0..<$0 + 5]) }.joined(separator: "-")
    }

    /// An activation code as a person may type it (lower case, spaces, no dashes), in its one written form; nil when
    /// it cannot be one.
    public static func normalizedActivationCode(_ typed: String) -> String? {
        let characters = typed.uppercased().filter { $0 != "-" && $0 != " " }
        guard characters.count == 20, characters.allSatisfy({ codeAlphabet.contains($0) }) else { return nil }
        let array = Array(characters)
        return stride(from: 0, to: 20, by: 5).map { String(array[$0..<$0 + 5]) }.joined(separator: "-")
    }

    /// A second-factor secret: 32 letters of the RFC 4648 base32 alphabet (its text is the HMAC key).
    public static func secondFactorSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
    }

    /// The SHA-256 of a secret's text: the only form the database holds.
    public static func hash(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(text.utf8)))
    }

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Base64url (RFC 4648 §5) without padding.
    public static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
