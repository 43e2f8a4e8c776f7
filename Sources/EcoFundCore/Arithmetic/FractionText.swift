import BigInt
import CFraction

/// Exact fractions written as text in lowest terms: `"3/8"`, `"-5"`, `"0"`.
///
/// The reduction and the digits are GMP's (through CFraction): written with this package's own gcd and radix
/// conversion, the derivations of a 10,000-recipient allocation spent most of their second there.
enum FractionText {
    /// `numerator / denominator` in lowest terms; `denominator` is above zero.
    static func lowestTerms(_ numerator: BigInt, over denominator: BigInt) -> String {
        precondition(denominator.sign == .plus && !denominator.isZero, "a fraction needs a positive denominator")
        let top = numerator.magnitude.words.map { UInt64($0) }
        let bottom = denominator.magnitude.words.map { UInt64($0) }
        let negative = numerator.sign == .minus && !numerator.isZero
        let capacity = fraction_text_capacity(top.count, bottom.count) + 1
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var start = base
            if negative {
                base.pointee = UInt8(ascii: "-")
                start += 1
            }
            let written = start.withMemoryRebound(to: CChar.self, capacity: capacity - 1) { text in
                fraction_write_lowest_terms(top, top.count, bottom, bottom.count, text, capacity - 1)
            }
            precondition(written > 0, "the buffer holds any fraction of these sizes")
            return written + (negative ? 1 : 0)
        }
    }
}
