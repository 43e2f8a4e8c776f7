import EcoFundCore
import Testing

@Suite struct RationalTests {
    @Test func parsesDecimalsExactly() throws {
        #expect(Rational(decimal: "0.30") == Rational(3, 10))
        #expect(Rational(decimal: "-2.5") == Rational(-5, 2))
        #expect(Rational(decimal: "38") == Rational(38))
        for text in ["", "1e3", "+1", " 1", "1.", ".5", "1.2.3", "NaN", "1,5"] {
            #expect(Rational(decimal: text) == nil, "\(text)")
        }
    }

    @Test(arguments: [
        ("72.345", "72.35"), ("72.3449999", "72.34"), ("0.005", "0.01"), ("0.004", "0.00"), ("99.995", "100.00"),
        ("-0.125", "-0.13"), ("-0.001", "0.00"), ("5", "5.00"),
    ])
    func roundsHalfAwayFromZeroToTwoDecimals(text: String, expected: String) throws {
        #expect(try #require(Rational(decimal: text)).decimalString(scale: 2) == expected)
    }

    @Test func keepsThirdsExactUntilRounding() {
        let third = Rational(1) / Rational(3)
        #expect(third + third + third == .one)
        #expect(third.description == "1/3")
        #expect(third.decimalString(scale: 2) == "0.33")
        #expect((Rational(2) / Rational(3)).decimalString(scale: 2) == "0.67")
    }
}

@Suite struct ScoringTests {
    static func indicator(
        _ code: String, weight: String, _ direction: IndicatorScheme.Direction, floor: String, ceiling: String
    ) -> IndicatorScheme.Indicator {
        IndicatorScheme.Indicator(
            code: code, name: code, nameZh: code, weight: Rational(decimal: weight)!, direction: direction,
            floor: Rational(decimal: floor)!, ceiling: Rational(decimal: ceiling)!, unit: "%")
    }

    /// forest (higher is better, 10…60 %, weight 0.6) and pm25 (lower is better, 25…75 µg/m³, weight 0.4).
    static let scheme = try! IndicatorScheme(
        code: "test", version: 1, name: "Test",
        indicators: [
            indicator("forest", weight: "0.6", .higherIsBetter, floor: "10", ceiling: "60"),
            indicator("pm25", weight: "0.4", .lowerIsBetter, floor: "25", ceiling: "75"),
        ])

    @Test func clampsAtBothEnds() throws {
        let high = try ScoreCard(scheme: Self.scheme, values: [("forest", "75"), ("pm25", "10")])
        #expect(high.lines.map(\.score) == [.hundred, .hundred])
        #expect(high.composite == .hundred)
        let low = try ScoreCard(scheme: Self.scheme, values: [("forest", "-3"), ("pm25", "120")])
        #expect(low.lines.map(\.score) == [.zero, .zero])
        #expect(low.composite == .zero)
    }

    @Test func reversesLowerIsBetterIndicators() throws {
        // pm25 38: position (38 − 25) / 50 = 0.26, reversed: 100 × (1 − 0.26) = 74.
        // forest 35: (35 − 10) / 50 = 0.5 → 50.
        // composite = 0.6 × 50 + 0.4 × 74 = 30 + 29.6 = 59.6 → "59.60".
        let card = try ScoreCard(scheme: Self.scheme, values: [("pm25", "38"), ("forest", "35")])
        #expect(card.lines.map(\.code) == ["forest", "pm25"])
        #expect(card.lines.map(\.score) == [Rational(50), Rational(74)])
        #expect(card.lines.map(\.weighted) == [Rational(30), Rational(decimal: "29.6")!])
        #expect(card.composite.decimalString(scale: 2) == "59.60")
    }

    @Test func roundsTheCompositeHalfUpAtTheBoundary() throws {
        // forest 35.04: (25.04 / 50) × 100 = 50.08 → × 0.6 = 30.048; pm25 25 → 100 → × 0.4 = 40.
        // composite 70.048 → "70.05"; forest 35.0375 → 50.075 × 0.6 = 30.045 → 70.045 → "70.05" (half-up);
        // forest 35.0374 → 50.0748 × 0.6 = 30.04488 → 70.04488 → "70.04".
        let cases = [("35.04", "70.05"), ("35.0375", "70.05"), ("35.0374", "70.04")]
        for (forest, expected) in cases {
            let card = try ScoreCard(scheme: Self.scheme, values: [("forest", forest), ("pm25", "25")])
            #expect(card.composite.decimalString(scale: 2) == expected, "forest \(forest)")
        }
        let exact = try ScoreCard(scheme: Self.scheme, values: [("forest", "35.0375"), ("pm25", "25")])
        #expect(exact.compositeExact == Rational(decimal: "70.045")!)
    }

    @Test func aCompositeCanBeRecomputedFromItsLines() throws {
        let card = try ScoreCard(scheme: Self.scheme, values: [("forest", "41.7"), ("pm25", "52.3")])
        let recomputed = zip(Self.scheme.indicators, card.lines).reduce(Rational.zero) { $0 + $1.0.weight * $1.1.score }
        #expect(recomputed == card.compositeExact)
        // 41.7 → 63.4; 52.3 → 100 × (1 − 0.546) = 45.4; 0.6 × 63.4 + 0.4 × 45.4 = 38.04 + 18.16 = 56.2
        #expect(card.composite.decimalString(scale: 2) == "56.20")
    }

    @Test func weightsMustSumToExactlyOne() {
        let error = #expect(throws: ValidationError.self) {
            try IndicatorScheme(
                code: "bad", version: 1, name: "Bad",
                indicators: [
                    Self.indicator("a", weight: "0.333", .higherIsBetter, floor: "0", ceiling: "1"),
                    Self.indicator("b", weight: "0.667", .higherIsBetter, floor: "0", ceiling: "1"),
                    Self.indicator("c", weight: "0.001", .higherIsBetter, floor: "0", ceiling: "1"),
                ])
        }
        #expect(error?.pointer == "/indicators")
        #expect(error?.detail.contains("1.001000") == true)
    }

    @Test func floorMustBeBelowCeilingAndCodesUnique() {
        let inverted = #expect(throws: ValidationError.self) {
            try IndicatorScheme(
                code: "bad", version: 1, name: "Bad",
                indicators: [Self.indicator("a", weight: "1", .higherIsBetter, floor: "5", ceiling: "5")])
        }
        #expect(inverted?.pointer == "/indicators/0/ceiling")
        let twice = #expect(throws: ValidationError.self) {
            try IndicatorScheme(
                code: "bad", version: 1, name: "Bad",
                indicators: [
                    Self.indicator("a", weight: "0.5", .higherIsBetter, floor: "0", ceiling: "1"),
                    Self.indicator("a", weight: "0.5", .higherIsBetter, floor: "0", ceiling: "1"),
                ])
        }
        #expect(twice?.pointer == "/indicators/1/code")
    }

    @Test func valuesMustBeDecimalsOfKnownIndicatorsAndNoneMissing() {
        let notDecimal = #expect(throws: ValidationError.self) {
            try ScoreCard(scheme: Self.scheme, values: [("forest", "35%"), ("pm25", "38")])
        }
        #expect(notDecimal?.pointer == "/indicators/0/value")
        #expect(notDecimal?.detail.contains("forest") == true)
        let unknown = #expect(throws: ValidationError.self) {
            try ScoreCard(scheme: Self.scheme, values: [("forest", "35"), ("pm10", "38")])
        }
        #expect(unknown?.pointer == "/indicators/1/code")
        #expect(unknown?.detail.contains("pm10") == true)
        let missing = #expect(throws: ValidationError.self) {
            try ScoreCard(scheme: Self.scheme, values: [("forest", "35")])
        }
        #expect(missing?.detail.contains("pm25") == true)
    }

    @Test func periodsMoveOpenFinalizedAndBackOnlyByReopening() throws {
        #expect(try PeriodStatus.open.after(.writeScore).get() == .open)
        #expect(try PeriodStatus.open.after(.finalize).get() == .finalized)
        #expect(try PeriodStatus.finalized.after(.reopen).get() == .open)
        #expect(throws: PeriodTransitionError.self) { try PeriodStatus.finalized.after(.writeScore).get() }
        #expect(throws: PeriodTransitionError.self) { try PeriodStatus.finalized.after(.finalize).get() }
        #expect(throws: PeriodTransitionError.self) { try PeriodStatus.open.after(.reopen).get() }
    }
}
