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
}
