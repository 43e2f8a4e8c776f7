import BigInt
import EcoFundCore
import Testing

/// Rational's reduction on many-word values like a large allocation's derivation (seeded, hundreds of cases, common
/// factors built in): the value is kept, the result is in lowest terms, the denominator positive. A guard for any
/// faster reduction (issue 17, item 4).
@Suite struct RationalReductionTests {
    static func big(_ words: Int, using random: inout SeededGenerator) -> BigInt {
        BigInt(BigUInt(words: (0..<words).map { _ in UInt(random.next()) }))
    }

    @Test func reductionIsCompleteAndKeepsTheValue() {
        var random = SeededGenerator(seed: 2026)
        for case_ in 0..<400 {
            let common = Self.big(1 + case_ % 3, using: &random) + 1
            let a = Self.big(case_ % 7, using: &random) * common * (case_ % 2 == 0 ? 1 : -1)
            let b = (Self.big(1 + case_ % 5, using: &random) + 1) * common
            let value = Rational(a, b)
            #expect(value.denominator > 0)
            #expect(value.numerator * b == a * value.denominator, "case \(case_): the value changed")
            #expect(
                value.numerator.greatestCommonDivisor(with: value.denominator) == 1,
                "case \(case_): not in lowest terms")
        }
        #expect(Rational(0, 7) == Rational(0) && Rational(0, 7).denominator == 1)
        #expect(Rational(6, -4) == Rational(-3, 2))
    }

    /// An exact value's text (reduced and written by GMP) against this package's own gcd and radix conversion, on
    /// values of up to eight words with common factors built in, of either sign, and zero.
    @Test func textIsTheLowestTermsOfTheValue() {
        var random = SeededGenerator(seed: 17)
        for case_ in 0..<600 {
            let common = Self.big(case_ % 3, using: &random) + 1
            let a = Self.big(case_ % 9, using: &random) * common * (case_ % 2 == 0 ? 1 : -1)
            let b = (Self.big(1 + case_ % 8, using: &random) + 1) * common
            let divisor = a.greatestCommonDivisor(with: b)
            let (p, q) = (a / divisor, b / divisor)
            let expected = q == 1 ? String(p) : "\(String(p))/\(String(q))"
            #expect(Exact(a, b).description == expected, "case \(case_)")
            #expect(Rational(a, b).description == expected, "case \(case_)")
            #expect(Exact(a, b).writtenOnce().description == expected, "case \(case_)")
        }
        #expect(
            Exact(0, 12).description == "0" && Exact(-12, 4).description == "-3" && Exact(12, 1).description == "12")
        #expect(Exact(BigInt(Int64.min), 2).description == "-4611686018427387904")
    }
}
