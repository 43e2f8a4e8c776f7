import BigInt

/// An exact fraction of arbitrary-precision integers, always in lowest terms with a positive denominator.
///
/// Scores, weights and allocations are defined with exact rational arithmetic (DESIGN.md); this is that
/// arithmetic. Two equal values always have equal numerators and denominators, so equal inputs give equal bytes.
public struct Rational: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let numerator: BigInt
    /// Always above zero.
    public let denominator: BigInt

    /// The most digits a decimal string may carry, before and after the point together.
    public static let decimalDigitsMax = 30

    public init(_ numerator: BigInt, _ denominator: BigInt = 1) {
        precondition(denominator != 0, "division by zero")
        let divisor = numerator.greatestCommonDivisor(with: denominator)
        let sign: BigInt = denominator < 0 ? -1 : 1
        self.numerator = sign * numerator / divisor
        self.denominator = sign * denominator / divisor
    }

    public init(_ value: Int) { self.init(BigInt(value)) }

    public static let zero = Rational(0)
    public static let one = Rational(1)
    public static let hundred = Rational(100)

    /// Parses a decimal string such as `"0.30"`, `"-2.5"` or `"38"`: an optional minus, digits, optionally a
    /// point and more digits. No exponent, no plus sign, no spaces.
    public init?(decimal text: String) {
        var body = Substring(text)
        let negative = body.first == "-"
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty,
            parts.count == 1 || !parts[1].isEmpty,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            parts.reduce(0, { $0 + $1.count }) <= Self.decimalDigitsMax
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard let digits = BigInt(String(whole) + String(fraction)) else { return nil }
        self.init(negative ? -digits : digits, BigInt.tenToThe(fraction.count))
    }

    /// The digits of a decimal string as an integer and the number of decimals: `"-12.50"` → (-1250, 2).
    /// Cheaper than ``init(decimal:)`` (no fraction to reduce) for code that puts many values over one denominator.
    public static func scaledDecimal(_ text: String) -> (digits: BigInt, scale: Int)? {
        switch scaled(text) {
        case .machine(let digits, let scale): (BigInt(small: digits), scale)
        case .big(let digits, let scale): (digits, scale)
        case nil: nil
        }
    }

    /// A decimal string's digits and number of decimals, in a machine integer when they fit in 18 digits.
    enum Scaled {
        case machine(digits: Int64, scale: Int)
        case big(digits: BigInt, scale: Int)
    }

    /// ``scaledDecimal(_:)`` without a big integer for the common case; the allocator reads tens of thousands of
    /// these per run.
    static func scaled(_ text: String) -> Scaled? {
        var text = text
        switch text.withUTF8(readMachineDecimal) {
        case .machine(let digits, let scale): return .machine(digits: digits, scale: scale)
        case .notDecimal: return nil
        case .tooLong:
            guard let value = Rational(decimal: text) else { return nil }
            let scale = text.split(separator: ".").dropFirst().first?.count ?? 0
            return .big(digits: value.numerator * (BigInt.tenToThe(scale) / value.denominator), scale: scale)
        }
    }

    private enum MachineReading {
        case machine(digits: Int64, scale: Int)
        /// More than 18 digits, which Int64 might not hold: for the general parser.
        case tooLong
        case notDecimal
    }

    private static func readMachineDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> MachineReading {
        var digits: Int64 = 0
        var scale = 0
        var seenPoint = false
        var count = 0
        let negative = bytes.first == UInt8(ascii: "-")
        for byte in bytes[(negative ? 1 : 0)...] {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, count > 0 else { return .notDecimal }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return .notDecimal }
            count += 1
            guard count <= 18 else { return .tooLong }
            digits = digits &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
            if seenPoint { scale += 1 }
        }
        guard count > 0, !(seenPoint && scale == 0) else { return .notDecimal }
        return .machine(digits: negative ? -digits : digits, scale: scale)
    }

    public var isInteger: Bool { denominator == 1 }

    public static func + (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.denominator + rhs.numerator * lhs.denominator, lhs.denominator * rhs.denominator)
    }

    public static func - (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.denominator - rhs.numerator * lhs.denominator, lhs.denominator * rhs.denominator)
    }

    public static func * (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.numerator, lhs.denominator * rhs.denominator)
    }

    /// Divides; dividing by zero is a programmer error (callers check sums before dividing by them).
    public static func / (lhs: Rational, rhs: Rational) -> Rational {
        precondition(rhs.numerator != 0, "division by zero")
        return Rational(lhs.numerator * rhs.denominator, lhs.denominator * rhs.numerator)
    }

    public static func < (lhs: Rational, rhs: Rational) -> Bool {
        lhs.numerator * rhs.denominator < rhs.numerator * lhs.denominator
    }

    /// The largest integer not above the value.
    public var floor: BigInt {
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// `min(max(self, low), high)`.
    public func clamped(to range: ClosedRange<Rational>) -> Rational {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }

    /// Rounds to `scale` decimals, halves away from zero ("half-up" as accountants mean it), and writes the
    /// result with exactly `scale` decimals: `72.345` → `"72.35"`, `-0.125` → `"-0.13"`.
    public func decimalString(scale: Int) -> String {
        precondition(scale >= 0 && scale <= Self.decimalDigitsMax, "scale out of range")
        let factor = BigInt.tenToThe(scale)
        let magnitude =
            Rational(numerator.magnitude == 0 ? 0 : BigInt(numerator.magnitude), denominator) * Rational(factor)
        let rounded = (magnitude + Rational(1, 2)).floor
        var digits = String(rounded)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return (numerator < 0 && rounded != 0 ? "-" : "") + digits
    }

    /// The value rounded half-up to `scale` decimals, as a rational.
    public func rounded(scale: Int) -> Rational {
        guard let value = Rational(decimal: decimalString(scale: scale)) else {
            preconditionFailure("a formatted decimal always parses")
        }
        return value
    }

    /// `"3/8"`, or `"5"` for an integer: exact, for derivations a person can check by hand.
    public var description: String { FractionText.lowestTerms(numerator, over: denominator) }
}

extension Int64 {
    /// A machine integer from a big one known to fit (an amount in fen), without the generic conversion.
    init(small value: BigInt) {
        let words = value.magnitude.words
        precondition(words.count <= 1 && (words.first ?? 0) <= UInt(Int64.max), "\(value) does not fit in Int64")
        let magnitude = Int64(words.first ?? 0)
        self = value.sign == .minus ? -magnitude : magnitude
    }
}

extension BigInt {
    /// 10^exponent; from a table for the exponents decimal text has (the allocator asks once per value).
    static func tenToThe(_ exponent: Int) -> BigInt {
        exponent < powersOfTen.count ? powersOfTen[exponent] : BigInt(10).power(exponent)
    }

    private static let inlineOne = BigUInt(words: CollectionOfOne(1))

    private static let powersOfTen = (0...(2 * Rational.decimalDigitsMax)).map { BigInt(10).power($0) }

    /// `self > 0` without building a BigInt from the literal 0, which the generic conversion makes costly when it is
    /// asked once per recipient.
    var isPositive: Bool { sign == .plus && !isZero }

    /// `self < 0`, likewise.
    var isNegative: Bool { sign == .minus && !isZero }

    /// self × 10^exponent, without a multiplication when the exponent is 0.
    func timesTenToThe(_ exponent: Int) -> BigInt { exponent == 0 ? self : self * BigInt.tenToThe(exponent) }

    /// A big integer from a machine integer without BigInt's generic (and, across modules, unspecialized)
    /// conversion, which dominated the allocator's profile.
    init(small value: Int64) {
        // One times the word: BigUInt keeps a one-word value inline, with no storage to allocate (and so none to retain
        // and release), and this is a plain call. Its initializers from an array allocate; those from a sequence or
        // an integer are generic and, across modules, unspecialized: each cost more than the arithmetic.
        let magnitude = value == 0 ? BigUInt() : Self.inlineOne.multiplied(byWord: UInt(value.magnitude))
        self.init(sign: value < 0 ? .minus : .plus, magnitude: magnitude)
    }
}
