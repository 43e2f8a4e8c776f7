/// An amount of Chinese yuan in fen (1 yuan = 100 fen), always an exact integer.
///
/// JSON carries an amount as a string with exactly two decimals (`"30000000.00"`); ``init(parsing:)`` accepts
/// nothing else, so a float, a third decimal or an exponent never reaches the ledger.
public struct Money: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The largest amount the ledger accepts in one line: 10^15 fen (10 trillion yuan).
    public static let fenMax: Int64 = 1_000_000_000_000_000
    /// The ISO 4217 code of the only currency the fund keeps.
    public static let currency = "CNY"

    /// The amount in fen. May be negative only for balances of accounts that allow it.
    public let fen: Int64

    /// Creates an amount from fen.
    public init(fen: Int64) { self.fen = fen }

    /// Parses a two-decimal string such as `"1234.50"` or `"-5.00"`.
    ///
    /// - Throws: ``ValidationError`` naming `pointer` when the text is not exactly two decimals or exceeds ``fenMax``.
    public init(parsing text: String, at pointer: String) throws(ValidationError) {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let whole = parts.first, let fraction = parts.last,
            (1...16).contains(whole.count), fraction.count == 2,
            whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit),
            whole == "0" || whole.first != "0"
        else {
            throw ValidationError(
                .invalidAmount, at: pointer,
                "must be a string with exactly two decimals, such as \"1234.50\"")
        }
        guard let yuan = Int64(whole), let cents = Int64(fraction) else {
            throw ValidationError(.invalidAmount, at: pointer, "is not a number of yuan and fen")
        }
        let (scaled, overflow) = yuan.multipliedReportingOverflow(by: 100)
        guard !overflow, scaled + cents <= Self.fenMax else {
            throw ValidationError(.amountTooLarge, at: pointer, "exceeds the limit of 10000000000000.00 yuan")
        }
        self.fen = negative ? -(scaled + cents) : scaled + cents
    }

    /// Parses an amount that must be strictly positive, as every ledger line and contribution is.
    public static func positive(parsing text: String, at pointer: String) throws(ValidationError) -> Money {
        let money = try Money(parsing: text, at: pointer)
        guard money.fen > 0 else {
            throw ValidationError(.invalidAmount, at: pointer, "must be greater than 0.00")
        }
        return money
    }

    /// The two-decimal text of the amount, such as `"-12.05"`.
    public var decimalString: String {
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return (fen < 0 ? "-" : "") + String(magnitude / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    public var description: String { decimalString + " " + Self.currency }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.fen < rhs.fen }

    /// Adds two amounts, trapping on overflow: the ledger never holds amounts near `Int64.max`.
    public static func + (lhs: Money, rhs: Money) -> Money {
        let (sum, overflow) = lhs.fen.addingReportingOverflow(rhs.fen)
        precondition(!overflow, "money overflow")
        return Money(fen: sum)
    }

    /// Subtracts two amounts, trapping on overflow.
    public static func - (lhs: Money, rhs: Money) -> Money {
        let (difference, overflow) = lhs.fen.subtractingReportingOverflow(rhs.fen)
        precondition(!overflow, "money overflow")
        return Money(fen: difference)
    }

    public static let zero = Money(fen: 0)
}

extension Character {
    /// Whether the character is one of `0`…`9` (and not any other Unicode digit).
    public var isASCIIDigit: Bool { isASCII && isNumber }
}
