/// The patterns of the identifiers people and programs type: one definition here and one in SQL, named alike
/// (`is_jurisdiction_code`, `is_period_code`, `is_indicator_code`, `is_subject` in Schema/007), held to the same
/// answers by a test.
public enum CodePattern: String, CaseIterable, Sendable {
    /// Lower-case pinyin codes of jurisdictions, schemes, rules and tranches: `hebei`, `jjj-annual` (2 to 40
    /// characters, a lower-case letter first, then lower-case letters, digits and dashes).
    case jurisdiction
    /// Assessment periods: `2025`, `2025-H1` (1 to 20 letters, digits and dashes, not starting with a dash).
    case period
    /// Indicator codes in lower camel case: `pm25`, `forestCoverage` (1 to 40 ASCII letters and digits).
    case indicator
    /// A person's or a system's login name: `li.beijing`, `ops@ecofund` (1 to 100 of letters, digits and `._@-`).
    case subject

    /// Whether `text` has the pattern.
    public func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, lengths.contains(bytes.count), bytes.allSatisfy({ $0 < 0x80 }) else {
            return false
        }
        return startsWell(first) && bytes.dropFirst().allSatisfy(continues)
    }

    /// The SQL function that checks the same pattern.
    public var sqlFunction: String {
        switch self {
        case .jurisdiction: "is_jurisdiction_code"
        case .period: "is_period_code"
        case .indicator: "is_indicator_code"
        case .subject: "is_subject"
        }
    }

    private var lengths: ClosedRange<Int> {
        switch self {
        case .jurisdiction: 2...40
        case .period: 1...20
        case .indicator: 1...40
        case .subject: 1...100
        }
    }

    private func startsWell(_ byte: UInt8) -> Bool {
        switch self {
        case .jurisdiction, .indicator: Self.isLower(byte)
        case .period: Self.isLetterOrDigit(byte)
        case .subject: continues(byte)
        }
    }

    private func continues(_ byte: UInt8) -> Bool {
        switch self {
        case .jurisdiction: Self.isLower(byte) || Self.isDigit(byte) || byte == UInt8(ascii: "-")
        case .period: Self.isLetterOrDigit(byte) || byte == UInt8(ascii: "-")
        case .indicator: Self.isLetterOrDigit(byte)
        case .subject: Self.isLetterOrDigit(byte) || "._@-".utf8.contains(byte)
        }
    }

    private static func isLower(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isLower(byte) || isDigit(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
