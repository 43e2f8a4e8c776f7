/// Checks on free text fields: one rule for every front end, and the same as the schema's.
///
/// Lengths are counted in Unicode scalars, as PostgreSQL's `length()` counts characters: a flag (🇨🇳) is one
/// character to a person and to Swift's `count`, but two scalars, and a limit checked by `count` let through text
/// the database then refused (a 500 the probe found).
public enum Text {
    /// Refuses text with nothing visible (when required), text over `lengthMax` scalars, and control characters.
    public static func validate(_ text: String, at pointer: String, lengthMax: Int, allowEmpty: Bool = false)
        throws(ValidationError)
    {
        if !allowEmpty, !hasVisibleText(text) {
            throw ValidationError(.missingField, at: pointer, "must not be empty or only spaces and invisible marks")
        }
        let length = text.unicodeScalars.count
        guard length <= lengthMax else {
            throw ValidationError(
                .invalidValue, at: pointer,
                "must be at most \(lengthMax) characters; it has \(length) (counted in Unicode code points, where a "
                    + "flag or a composed emoji counts as two or more)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError(.invalidValue, at: pointer, "must not contain control characters")
        }
    }

    /// Whether the text has a character that shows: one that is not a space, a control or an invisible format
    /// character (a zero-width space, a direction mark, a byte order mark). SQL's twin is `has_visible_text`.
    public static func hasVisibleText(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in !invisible.contains { $0.contains(scalar.value) } }
    }

    /// Spaces (Unicode White_Space), controls (Cc) and format characters (Cf), as ranges of scalar values: the same
    /// list as `has_visible_text` in Schema/008, which a test holds to it.
    public static let invisible: [ClosedRange<UInt32>] = [
        0x01...0x20, 0x7F...0xA0, 0xAD...0xAD, 0x600...0x605, 0x61C...0x61C, 0x6DD...0x6DD, 0x70F...0x70F,
        0x890...0x891, 0x8E2...0x8E2, 0x1680...0x1680, 0x180E...0x180E, 0x2000...0x200F, 0x2028...0x202F,
        0x205F...0x2064, 0x2066...0x206F, 0x3000...0x3000, 0xFEFF...0xFEFF, 0xFFF9...0xFFFB, 0x110BD...0x110BD,
        0x110CD...0x110CD, 0x13430...0x1343F, 0x1BCA0...0x1BCA3, 0x1D173...0x1D17A, 0xE0001...0xE0001,
        0xE0020...0xE007F,
    ]

    /// Text made safe inside HTML, in element content and in quoted attributes: `& < > " '` as entities.
    /// Digits with thousands separators, as Chinese and English readers both write them: 21893000 → 21,893,000.
    public static func groupedDigits(_ digits: some StringProtocol) -> String {
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return grouped
    }

    public static func htmlEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
