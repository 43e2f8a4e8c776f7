/// A non-negative decimal number with at most ``scaleMax`` decimals, kept exactly as an integer of
/// hundredths. Used for reference figures (people, km², yuan per person) that feed allocation factors.
public struct ExactDecimal: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Decimals kept. Reference figures need no more than hundredths.
    public static let scaleMax = 2
    /// The largest value accepted: 10^12, far above any population or area.
    public static let hundredthsMax: Int64 = 100_000_000_000_000

    /// The value × 100.
    public let hundredths: Int64

    public init(hundredths: Int64) {
        precondition(hundredths >= 0 && hundredths <= Self.hundredthsMax, "decimal out of range")
        self.hundredths = hundredths
    }

    /// Parses `"21893000"`, `"1397.5"` or `"36199.00"`: digits, optionally a point and one or two decimals.
    public init(parsing text: String, at pointer: String) throws(ValidationError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, (1...13).contains(whole.count),
            whole.allSatisfy(\.isASCIIDigit), whole == "0" || whole.first != "0"
        else {
            throw ValidationError(
                .invalidValue, at: pointer, "must be a non-negative decimal string such as \"1397.00\"")
        }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= Self.scaleMax, parts.count == 1 || !fraction.isEmpty,
            fraction.allSatisfy(\.isASCIIDigit)
        else {
            throw ValidationError(.invalidValue, at: pointer, "must have at most two decimals")
        }
        fraction += String(repeating: "0", count: Self.scaleMax - fraction.count)
        guard let units = Int64(whole), let cents = Int64(fraction), units * 100 + cents <= Self.hundredthsMax else {
            throw ValidationError(.invalidValue, at: pointer, "is too large")
        }
        self.hundredths = units * 100 + cents
    }

    /// The value with exactly two decimals, such as `"21893000.00"`.
    public var description: String {
        let cents = hundredths % 100
        return String(hundredths / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool { lhs.hundredths < rhs.hundredths }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ExactDecimal(parsing: text, at: "")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
