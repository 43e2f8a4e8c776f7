import BigInt
import Testing

@testable import EcoFundCore

/// The allocator's machine-integer shortcuts (issue 17, item 4) against the general big-integer arithmetic they
/// replace, on seeded cases that reach their edges: quotient estimates that must be corrected (remainders
/// of 0 and 1 and divisors whose top word is all ones), divisors of one word and of many, composites exactly on a
/// band's edge, and bands whose products overflow Int64.
@Suite struct AllocatorFastPathTests {
    static func big(_ words: Int, using random: inout SeededGenerator) -> BigUInt {
        BigUInt(words: (0..<words).map { _ in UInt(random.next()) })
    }

    @Test func fenDivisionEqualsLongDivision() {
        var random = SeededGenerator(seed: 30)
        for case_ in 0..<2_000 {
            // A divisor of 1–6 words (sometimes a single small one), a quotient below 2^63 and any remainder.
            let divisor =
                case_ % 50 == 0
                ? BigUInt(UInt64.random(in: 1...9, using: &random)) : Self.big(1 + case_ % 6, using: &random) + 1
            let quotient = BigUInt(UInt64.random(in: 0...UInt64(Int64.max), using: &random) >> (case_ % 64))
            let remainder =
                switch case_ % 7 {
                case 0: BigUInt()
                case 1: BigUInt(1) % divisor
                case 2: divisor - 1
                default: Self.big(1 + case_ % 6, using: &random) % divisor
                }
            let dividend = quotient * divisor + remainder
            let result = Allocator.FenDivisor(divisor).divide(dividend)
            #expect(BigUInt(result.quotient) == quotient && result.remainder == remainder, "case \(case_)")
        }
        // Exact multiples, a zero dividend, one below the next multiple, the largest amount in fen; divisors whose
        // top 64 bits are all ones (where the estimate from them is furthest off).
        let divisors = [BigUInt(10).power(60) + 7, BigUInt(1) << 191 - 1, (BigUInt(1) << 64 - 1) << 100]
        for divisor in divisors {
            let dividends = [
                BigUInt(0), divisor, divisor * 12_345, divisor * 12_346 - 1, divisor * BigUInt(Int64.max),
                divisor * BigUInt(Int64.max) + divisor - 1,
            ]
            for dividend in dividends {
                let (expected, rest) = dividend.quotientAndRemainder(dividingBy: divisor)
                let result = Allocator.FenDivisor(divisor).divide(dividend)
                #expect(BigUInt(result.quotient) == expected && result.remainder == rest, "\(dividend) / \(divisor)")
            }
        }
    }

    @Test func scaledDecimalsReadAsTheGeneralParserDoes() {
        let cases = [
            "0", "38", "-2.5", "0.30", "72.345", "1234567890.12345678", "123456789012345678",
            "1234567890123456789", "-12345678901234567890.5", "000123.4500",
        ]
        for text in cases {
            let value = Rational(decimal: text)!
            let parsed = Rational.scaledDecimal(text)!
            #expect(Rational(parsed.digits, BigInt(10).power(parsed.scale)) == value, "\(text)")
            #expect(parsed.scale == (text.split(separator: ".").dropFirst().first?.count ?? 0), "\(text)")
        }
        for text in ["", "-", ".5", "5.", "1.2.3", "1-2", "+1", " 1", "1e3", "１２", "--1"] {
            #expect(Rational.scaledDecimal(text) == nil, "\(text) is not a decimal")
            #expect(Rational(decimal: text) == nil, "\(text) is not a decimal")
        }
    }

    @Test func scoreBandsPlaceCompositesAsExactComparisonDoes() {
        var random = SeededGenerator(seed: 31)
        let bandSets: [[(String, String)]] = [
            [("90", "1.2"), ("60", "1"), ("0", "0.8")],
            [("85.005", "1.1"), ("33.3", "0.5"), ("0", "0")],
            // minScore × 10^scale overflows Int64 for long composites: the big path must take over.
            [("9223372036.854775807", "1"), ("0", "1")],
        ]
        for bandSet in bandSets {
            let bands = bandSet.map { minScore, multiplier in
                AllocationRule.Band(minScore: Rational(decimal: minScore)!, multiplier: Rational(decimal: multiplier)!)
            }
            let table = Allocator.ScoreBands(bands)
            // Exactly on each band's edge and one hundredth below it, at scale 2 as composites are stored.
            for band in bands where BigInt(100) % band.minScore.denominator == 0 {
                let edge = Int64(band.minScore.numerator * (100 / band.minScore.denominator))
                for digits in [edge, edge - 1] where digits >= 0 {
                    let value = Rational(BigInt(digits), 100)
                    #expect(
                        table.first(atOrBelow: digits, scale: 2) == bands.first { $0.minScore <= value },
                        "\(digits) / 100")
                }
            }
            for _ in 0..<500 {
                let scale = Int.random(in: 0...17, using: &random)
                let digits = Int64.random(in: 0...Int64.max, using: &random) >> Int.random(in: 0...62, using: &random)
                let value = Rational(BigInt(digits), BigInt(10).power(scale))
                let expected = bands.first { $0.minScore <= value }
                #expect(table.first(atOrBelow: digits, scale: scale) == expected, "\(digits) / 10^\(scale)")
            }
        }
    }

    /// Reference figures of up to 30 digits (so n_rf of two words and more, past the in-place weighted sum's one-word
    /// steps), scales that differ within a column, a cap that binds (in many of the cases) and scores of several bands: the same allocation,
    /// derivations included, as the literal transcription of the design.
    @Test func manyWordValuesAllocateAsTheReferenceDoes() throws {
        var random = SeededGenerator(seed: 32)
        var capped = 0
        for case_ in 0..<40 {
            let names = (0..<(3 + case_ % 9)).map { "j\($0)" }
            var jurisdictions: [String: AllocationInputs.Reference] = [:]
            var scores: [String: String] = [:]
            for name in names {
                let digits = Int.random(in: 1...29, using: &random)
                let population =
                    "9" + String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
                jurisdictions[name] = .init(
                    population: population,
                    ecologicalArea:
                        "\(UInt64.random(in: 0...UInt64.max, using: &random)).\(Int.random(in: 1...9999, using: &random))",
                    envSpendingPerCapita:
                        "\(Int.random(in: 1...99_999_999, using: &random)).\(Int.random(in: 0...9, using: &random))")
                scores[name] = "\(Int.random(in: 0...99, using: &random)).\(Int.random(in: 10...99, using: &random))"
            }
            let document = RuleDocument(
                code: "wide", title: "Many-word case \(case_)", pool: .init(kind: "shareOfAvailable", share: "0.9"),
                tranches: [.init(name: "all", share: "1", recipients: names)],
                factors: [
                    .init(key: "population", weight: "0.35"), .init(key: "ecologicalArea", weight: "0.25"),
                    .init(key: "envSpendingGap", weight: "0.15"), .init(key: "greenScore", weight: "0.25"),
                ],
                assessmentPeriod: "2025",
                scoreBands: [
                    .init(minScore: "80", multiplier: "1.25"), .init(minScore: "50", multiplier: "1"),
                    .init(minScore: "0", multiplier: "0.5"),
                ],
                maxShareOfTranche: "0.34", missingScore: nil)
            let rule = try AllocationRule(document)
            let inputs = AllocationInputs(
                availableFen: Int64.random(in: 1_000_000...Int64.max / 2, using: &random), poolOverride: nil,
                jurisdictions: jurisdictions, scores: scores)
            let fast = try Allocator.allocate(rule, inputs: inputs)
            #expect(fast == (try ReferenceAllocator.allocate(rule, inputs: inputs)), "case \(case_)")
            if fast.allocations.contains(where: { $0.derivation.capped }) { capped += 1 }
        }
        #expect(capped >= 10, "the cap bound in \(capped) of 40 cases")
    }
}
