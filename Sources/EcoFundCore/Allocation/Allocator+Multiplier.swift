import BigInt

extension Allocator {
    /// Step 4's outcome for one recipient: m_r, the band and composite behind it, why it is 0 when it is, and the
    /// binding targets that reduced it.
    struct Multiplier {
        var multiplier: Rational
        var band: Rational?
        var composite: String?
        var withheldReason: String?
        var missed: (targets: [String], bandMultiplier: Rational, targetMultiplier: Rational)?
    }

    /// Step 4 for every recipient of a tranche, in order; `scores` by position, or empty when the rule needs none.
    static func multipliers(
        _ recipients: [String], scores: [String?], rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [Multiplier] {
        let bands = ScoreBands(rule.bands)
        var multipliers: [Multiplier] = []
        multipliers.reserveCapacity(recipients.count)
        for (position, recipient) in recipients.enumerated() {
            let score = scores.isEmpty ? nil : scores[position]
            multipliers.append(try multiplier(recipient, score: score, bands: bands, rule: rule, inputs: inputs))
        }
        return multipliers
    }

    /// Step 4: the multiplier from the score bands, times the rule's `missedBindingTarget` multiplier when the
    /// recipient missed a binding target, or the reason a recipient is withheld. `score` is the recipient's
    /// finalized composite (looked up once per recipient by the caller); it comes back as its two-decimal text.
    static func multiplier(
        _ recipient: String, score: String?, bands: ScoreBands, rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> Multiplier {
        var result = try bandMultiplier(recipient, score: score, bands: bands, rule: rule)
        guard let factor = rule.missedTargetMultiplier, result.withheldReason == nil,
            let missed = inputs.missedTargets?[recipient], !missed.isEmpty
        else { return result }
        result.missed = (missed, result.multiplier, factor)
        result.multiplier = result.multiplier * factor
        if result.multiplier == .zero {
            result.withheldReason =
                "missed the binding target\(missed.count == 1 ? "" : "s") \(missed.joined(separator: ", ")) of period "
                + "\(rule.assessmentPeriod ?? ""); the rule's multiplier for a missed binding target is "
                + factor.decimalString(scale: 2)
        }
        return result
    }

    static func bandMultiplier(_ recipient: String, score text: String?, bands: ScoreBands, rule: AllocationRule)
        throws(AllocationError) -> Multiplier
    {
        guard rule.needsScores else { return Multiplier(multiplier: .one) }
        guard let text, let parts = Rational.scaled(text) else {
            if rule.withholdsMissingScores {
                return Multiplier(
                    multiplier: .zero, withheldReason: "no finalized score in period \(rule.assessmentPeriod ?? "")")
            }
            throw AllocationError(
                pointer: "/assessmentPeriod",
                detail: "\(recipient) has no finalized score in period \(rule.assessmentPeriod ?? ""); "
                    + "score it, or publish the rule with \"missingScore\": \"withhold\"")
        }
        let band: AllocationRule.Band?
        let composite: String
        switch parts {
        case .machine(let digits, let scale):
            band = bands.first(atOrBelow: digits, scale: scale)
            // The stored text when it is already the two-decimal form (no sign, no leading zero but "0.xx").
            let first = text.utf8.first
            composite =
                scale == 2 && first != UInt8(ascii: "-") && (first != UInt8(ascii: "0") || text.utf8.count == 4)
                ? text : Rational(BigInt(small: digits), BigInt.tenToThe(scale)).decimalString(scale: 2)
        case .big(let digits, let scale):
            band = bands.first(atOrBelow: digits, scale: scale)
            composite = Rational(digits, BigInt.tenToThe(scale)).decimalString(scale: 2)
        }
        guard let band else { return Multiplier(multiplier: .one, composite: composite) }
        let reason =
            band.multiplier == .zero
            ? "composite \(composite) falls in the band from \(band.minScore.decimalString(scale: 2)), whose multiplier is 0"
            : nil
        return Multiplier(
            multiplier: band.multiplier, band: band.minScore, composite: composite, withheldReason: reason)
    }

    /// A rule's score bands, prepared once per tranche: the first band (highest first) whose minScore is at or below
    /// a composite, compared in machine integers when they fit, without building the composite as a fraction.
    struct ScoreBands {
        let bands: [AllocationRule.Band]
        /// Each band's minScore as a machine fraction, when every one fits.
        private let machine: [(numerator: Int64, denominator: Int64)]?

        init(_ bands: [AllocationRule.Band]) {
            self.bands = bands
            let machine = bands.compactMap { band -> (numerator: Int64, denominator: Int64)? in
                guard let numerator = Int64(exactly: band.minScore.numerator),
                    let denominator = Int64(exactly: band.minScore.denominator)
                else { return nil }
                return (numerator, denominator)
            }
            self.machine = machine.count == bands.count ? machine : nil
        }

        /// minScore ≤ digits / 10^scale ⟺ minScore.numerator × 10^scale ≤ digits × minScore.denominator.
        func first(atOrBelow digits: Int64, scale: Int) -> AllocationRule.Band? {
            if let machine, scale < Self.powersOfTen.count {
                let power = Self.powersOfTen[scale]
                for (index, band) in machine.enumerated() {
                    let (left, leftOverflow) = band.numerator.multipliedReportingOverflow(by: power)
                    let (right, rightOverflow) = digits.multipliedReportingOverflow(by: band.denominator)
                    guard !leftOverflow, !rightOverflow else {
                        return first(atOrBelow: BigInt(small: digits), scale: scale)
                    }
                    if left <= right { return bands[index] }
                }
                return nil
            }
            return first(atOrBelow: BigInt(small: digits), scale: scale)
        }

        func first(atOrBelow digits: BigInt, scale: Int) -> AllocationRule.Band? {
            let scaleFactor = BigInt.tenToThe(scale)
            return bands.first {
                $0.minScore.numerator * scaleFactor
                    <= ($0.minScore.isInteger ? digits : digits * $0.minScore.denominator)
            }
        }

        private static let powersOfTen: [Int64] = (0...18).map { (0..<$0).reduce(Int64(1)) { power, _ in power * 10 } }
    }
}
