/// The rules a new password follows (DESIGN.md "The console"): at least 12 characters, not one of the passwords
/// everybody tries first, not the person's own name.
public enum PasswordPolicy {
    public static let lengthMin = 12
    /// Long enough for a passphrase; bcrypt reads only the first 72 bytes, which this keeps within for ASCII text.
    public static let lengthMax = 72

    /// Passwords of 12 characters or more that lists of leaked passwords put first, lowercased; a password is refused
    /// when, lowercased, it is one of these.
    public static let common: Set<String> = [
        "123456789012", "1234567890ab", "qwertyuiopas", "qwertyuiop12", "password1234", "password12345",
        "passwordpassword", "iloveyou1234", "abcdefghijkl", "abc123456789", "111111111111", "000000000000",
        "123123123123", "administrator", "admin1234567", "adminadmin12", "welcome12345", "changeme1234",
        "letmein12345", "1q2w3e4r5t6y", "qazwsxedcrfv", "zaq12wsxcde3", "woaini123456", "woaini1314520",
        "5201314520131", "aa1234567890", "a12345678910", "beijing12345", "tianjin12345", "ecofund12345",
        "ecofundledger",
    ]

    /// Refuses a password that breaks a rule, naming the field.
    ///
    /// - Parameters:
    ///   - subject: the person's login name, which the password may not contain.
    public static func validate(_ password: String, subject: String, at pointer: String = "/password")
        throws(ValidationError)
    {
        let length = password.unicodeScalars.count
        guard length >= lengthMin else {
            throw ValidationError(.invalidValue, at: pointer, "must be at least \(lengthMin) characters")
        }
        guard password.utf8.count <= lengthMax else {
            throw ValidationError(.invalidValue, at: pointer, "must be at most \(lengthMax) bytes")
        }
        guard !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError(.invalidValue, at: pointer, "must not contain control characters")
        }
        let folded = password.lowercased()
        guard !common.contains(folded), Set(folded).count > 3 else {
            throw ValidationError(.invalidValue, at: pointer, "is one of the passwords everybody tries first")
        }
        guard !folded.contains(subject.lowercased()) else {
            throw ValidationError(.invalidValue, at: pointer, "must not contain the login name")
        }
    }
}
