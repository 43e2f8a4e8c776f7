import BigInt

/// An exact value kept as a fraction of integers, not necessarily in lowest terms, so that building one costs no
/// greatest-common-divisor. It is written (and compared) in lowest terms: `"3/8"`, `"5"`.
///
/// Derivations of large allocations hold tens of thousands of these; reducing them only when they are written
/// keeps the allocation itself fast.
public struct Exact: Hashable, Sendable, Codable, CustomStringConvertible {
    public let numerator: BigInt
    /// Above zero.
    public let denominator: BigInt
    /// The value's text, when it was worked out as this was built (``writtenOnce()``).
    private let text: String?

    public init(_ numerator: BigInt, _ denominator: BigInt = 1) {
        precondition(denominator > 0, "an exact value needs a positive denominator")
        self.init(unchecked: numerator, denominator)
    }

    public init(_ value: Rational) { self.init(unchecked: value.numerator, value.denominator) }

    /// For callers whose denominator is positive by construction (the allocator's shared denominators).
    init(unchecked numerator: BigInt, _ denominator: BigInt, text: String? = nil) {
        self.numerator = numerator
        self.denominator = denominator
        self.text = text
    }

    /// The same value with its text worked out now: for a value that appears in many derivations (a factor's
    /// weight and total), so that it is reduced and written once rather than once per recipient.
    public func writtenOnce() -> Exact {
        Exact(unchecked: numerator, denominator, text: text ?? description)
    }

    public static let zero = Exact(0)

    /// The value in lowest terms.
    public var rational: Rational { Rational(numerator, denominator) }

    public var description: String { text ?? FractionText.lowestTerms(numerator, over: denominator) }

    public static func == (lhs: Exact, rhs: Exact) -> Bool {
        lhs.numerator * rhs.denominator == rhs.numerator * lhs.denominator
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(rational) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Exact(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a fraction: \(text)")
        }
        self = value
    }

    /// Parses `"p/q"`, an integer or a decimal string.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let numerator = BigInt(String(parts[0])), let denominator = BigInt(String(parts[1])), denominator > 0
            else { return nil }
            self.init(numerator, denominator)
        } else if let value = Rational(decimal: text) {
            self.init(value)
        } else {
            return nil
        }
    }
}
