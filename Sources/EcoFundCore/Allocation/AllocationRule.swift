/// An allocation rule version as written: every number a decimal string, so the stored document is exactly what
/// was published. ``AllocationRule`` is its checked, exact form.
public struct RuleDocument: Hashable, Sendable, Codable {
    public struct Pool: Hashable, Sendable, Codable {
        /// `fixed` (with `amount`) or `shareOfAvailable` (with `share`).
        public var kind: String
        public var amount: String?
        public var share: String?

        public init(kind: String, amount: String? = nil, share: String? = nil) {
            self.kind = kind
            self.amount = amount
            self.share = share
        }
    }

    public struct Tranche: Hashable, Sendable, Codable {
        public var name: String
        public var share: String
        public var recipients: [String]

        public init(name: String, share: String, recipients: [String]) {
            self.name = name
            self.share = share
            self.recipients = recipients
        }
    }

    public struct Factor: Hashable, Sendable, Codable {
        public var key: String
        public var weight: String

        public init(key: String, weight: String) {
            self.key = key
            self.weight = weight
        }
    }

    public struct Band: Hashable, Sendable, Codable {
        public var minScore: String
        public var multiplier: String

        public init(minScore: String, multiplier: String) {
            self.minScore = minScore
            self.multiplier = multiplier
        }
    }

    /// `{"multiplier": "0.50"}`: what a missed binding target multiplies the band multiplier by.
    public struct MissedBindingTarget: Hashable, Sendable, Codable {
        public var multiplier: String

        public init(multiplier: String) {
            self.multiplier = multiplier
        }
    }

    public var code: String
    public var title: String
    /// `allocation` (the default), `advance` or `settlement`.
    public var kind: String?
    /// The fiscal year an advance pays ahead for, or a settlement settles.
    public var fiscalYear: Int?
    /// The code of the advance rule a settlement settles.
    public var settles: String?
    public var missedBindingTarget: MissedBindingTarget?
    public var pool: Pool
    public var tranches: [Tranche]
    public var factors: [Factor]
    public var assessmentPeriod: String?
    public var scoreBands: [Band]?
    public var maxShareOfTranche: String?
    /// `error` (the default) or `withhold`.
    public var missingScore: String?

    public init(
        code: String, title: String, pool: Pool, tranches: [Tranche], factors: [Factor], assessmentPeriod: String?,
        scoreBands: [Band]?, maxShareOfTranche: String?, missingScore: String?, kind: String? = nil,
        fiscalYear: Int? = nil, settles: String? = nil, missedBindingTarget: MissedBindingTarget? = nil
    ) {
        self.code = code
        self.title = title
        self.kind = kind
        self.fiscalYear = fiscalYear
        self.settles = settles
        self.missedBindingTarget = missedBindingTarget
        self.pool = pool
        self.tranches = tranches
        self.factors = factors
        self.assessmentPeriod = assessmentPeriod
        self.scoreBands = scoreBands
        self.maxShareOfTranche = maxShareOfTranche
        self.missingScore = missingScore
    }
}

/// A checked allocation rule in exact arithmetic (DESIGN.md "Allocation rules").
public struct AllocationRule: Hashable, Sendable {
    public enum Pool: Hashable, Sendable {
        /// A fixed amount; it must not exceed what is available.
        case fixed(Money)
        /// floor(available × share).
        case shareOfAvailable(Rational)
    }

    /// Where a factor's per-recipient value comes from.
    public enum FactorKey: String, Hashable, Sendable, CaseIterable {
        case population, ecologicalArea, envSpendingPerCapita, envSpendingGap, greenScore
    }

    public struct Tranche: Hashable, Sendable {
        public let name: String
        public let share: Rational
        /// Sorted by code: the order they were written in changes nothing.
        public let recipients: [String]
    }

    public struct Band: Hashable, Sendable {
        public let minScore: Rational
        public let multiplier: Rational
    }

    /// What a run of the rule does (DESIGN.md "Accountability"): allocate a year's money, pay part of it ahead,
    /// or settle the year against what the advance paid.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case allocation, advance, settlement
    }

    /// The most recipients a published rule may name in one tranche: every county-level division of the region (about
    /// 200) fits. The OpenAPI document says the same (`maxItems`), and a test holds the two together. The allocator
    /// itself has no such limit: benchmarks ask for more (``init(_:recipientsPerTrancheMax:)``).
    public static let recipientsPerTrancheMax = 200
    /// The most tranches a rule may have.
    public static let tranchesMax = 20
    /// The most score bands a rule may have.
    public static let bandsMax = 20
    /// The longest title, in Unicode scalars.
    public static let titleLengthMax = 200

    public let code: String
    public let title: String
    public let kind: Kind
    /// Named by advance and settlement rules.
    public let fiscalYear: Int?
    /// The advance rule a settlement settles.
    public let settles: String?
    /// The factor a missed binding target multiplies a recipient's band multiplier by, from 0 to 1.
    public let missedTargetMultiplier: Rational?
    public let pool: Pool
    public let tranches: [Tranche]
    public let factors: [(key: FactorKey, weight: Rational)]
    public let assessmentPeriod: String?
    /// Sorted by minScore, highest first; the lowest is 0, so every score falls in a band.
    public let bands: [Band]
    public let maxShareOfTranche: Rational?
    public let withholdsMissingScores: Bool

    /// Whether the rule needs finalized assessment scores.
    public var needsScores: Bool {
        !bands.isEmpty || factors.contains { $0.key == .greenScore } || missedTargetMultiplier != nil
    }

    public static func == (lhs: AllocationRule, rhs: AllocationRule) -> Bool {
        lhs.code == rhs.code && lhs.pool == rhs.pool && lhs.tranches == rhs.tranches
            && lhs.factors.map(\.key) == rhs.factors.map(\.key)
            && lhs.factors.map(\.weight) == rhs.factors.map(\.weight)
            && lhs.assessmentPeriod == rhs.assessmentPeriod && lhs.bands == rhs.bands
            && lhs.maxShareOfTranche == rhs.maxShareOfTranche
            && lhs.withholdsMissingScores == rhs.withholdsMissingScores && lhs.kind == rhs.kind
            && lhs.fiscalYear == rhs.fiscalYear && lhs.settles == rhs.settles
            && lhs.missedTargetMultiplier == rhs.missedTargetMultiplier
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(tranches)
    }

    /// Checks a document; each failure names its JSON pointer, such as `/tranches/1/share`.
    public init(_ document: RuleDocument, recipientsPerTrancheMax: Int = recipientsPerTrancheMax)
        throws(ValidationError)
    {
        try Jurisdiction.validateCode(document.code, at: "/code")
        try Text.validate(document.title, at: "/title", lengthMax: Self.titleLengthMax)
        self.code = document.code
        self.title = document.title
        (self.kind, self.fiscalYear, self.settles) = try Self.kind(document)
        self.pool = try Self.pool(document.pool)
        if kind == .settlement, case .shareOfAvailable = pool {
            throw ValidationError(
                .invalidValue, at: "/pool/kind",
                "a settlement's pool must be \"fixed\": the year's whole amount, of which the advances were part")
        }
        self.missedTargetMultiplier = try Self.missedTargetMultiplier(document.missedBindingTarget)
        self.tranches = try Self.tranches(document.tranches, recipientsMax: recipientsPerTrancheMax)
        self.factors = try Self.factors(document.factors)
        if let period = document.assessmentPeriod {
            try Text.validate(period, at: "/assessmentPeriod", lengthMax: 20)
        }
        self.assessmentPeriod = document.assessmentPeriod
        self.bands = try Self.bands(document.scoreBands ?? [])
        if let cap = document.maxShareOfTranche {
            let value = try parseDecimal(cap, at: "/maxShareOfTranche", "maxShareOfTranche")
            guard value > .zero, value <= .one else {
                throw ValidationError(.invalidValue, at: "/maxShareOfTranche", "must be above 0 and at most 1")
            }
            // A cap that even a tranche whose every recipient is eligible cannot meet is wrong as written.
            for (index, tranche) in tranches.enumerated() where Rational(tranche.recipients.count) * value < .one {
                throw ValidationError(
                    .invalidValue, at: "/maxShareOfTranche",
                    "tranche \(index) (\(tranche.name)) has \(tranche.recipients.count) recipients; at \(cap) each they cannot receive all of it"
                )
            }
            self.maxShareOfTranche = value
        } else {
            self.maxShareOfTranche = nil
        }
        switch document.missingScore ?? "error" {
        case "error": self.withholdsMissingScores = false
        case "withhold": self.withholdsMissingScores = true
        default: throw ValidationError(.invalidValue, at: "/missingScore", "must be \"error\" or \"withhold\"")
        }
        if needsScores, assessmentPeriod == nil {
            throw ValidationError(
                .missingField, at: "/assessmentPeriod",
                "is required when the rule uses scores (greenScore, scoreBands or missedBindingTarget)")
        }
    }

    /// The fiscal years a rule may name.
    public static let fiscalYears = 2000...2100

    private static func missedTargetMultiplier(_ missed: RuleDocument.MissedBindingTarget?) throws(ValidationError)
        -> Rational?
    {
        guard let missed else { return nil }
        let value = try parseDecimal(missed.multiplier, at: "/missedBindingTarget/multiplier", "multiplier")
        guard value >= .zero, value <= .one else {
            throw ValidationError(.invalidValue, at: "/missedBindingTarget/multiplier", "must be 0 to 1")
        }
        return value
    }

    private static func kind(_ document: RuleDocument) throws(ValidationError) -> (Kind, Int?, String?) {
        guard let kind = Kind(rawValue: document.kind ?? "allocation") else {
            throw ValidationError(
                .invalidValue, at: "/kind", "must be \"allocation\", \"advance\" or \"settlement\"")
        }
        if let year = document.fiscalYear, !fiscalYears.contains(year) {
            throw ValidationError(
                .invalidValue, at: "/fiscalYear",
                "must be a year from \(fiscalYears.lowerBound) to \(fiscalYears.upperBound)")
        }
        if kind != .allocation, document.fiscalYear == nil {
            throw ValidationError(.missingField, at: "/fiscalYear", "is required of an \(kind.rawValue) rule")
        }
        switch (kind, document.settles) {
        case (.settlement, nil):
            throw ValidationError(.missingField, at: "/settles", "is required of a settlement: the advance rule's code")
        case (.settlement, let code?):
            try Jurisdiction.validateCode(code, at: "/settles")
            guard code != document.code else {
                throw ValidationError(.invalidValue, at: "/settles", "a settlement settles an advance rule, not itself")
            }
        case (_, .some):
            throw ValidationError(.invalidValue, at: "/settles", "only a settlement rule settles an advance")
        case (_, nil): break
        }
        return (kind, document.fiscalYear, document.settles)
    }

    private static func pool(_ pool: RuleDocument.Pool) throws(ValidationError) -> Pool {
        switch pool.kind {
        case "fixed":
            guard let amount = pool.amount, pool.share == nil else {
                throw ValidationError(.missingField, at: "/pool/amount", "a fixed pool needs an amount and no share")
            }
            return .fixed(try Money.positive(parsing: amount, at: "/pool/amount"))
        case "shareOfAvailable":
            guard let share = pool.share, pool.amount == nil else {
                throw ValidationError(
                    .missingField, at: "/pool/share", "a shareOfAvailable pool needs a share and no amount")
            }
            let value = try parseDecimal(share, at: "/pool/share", "share")
            guard value > .zero, value <= .one else {
                throw ValidationError(.invalidValue, at: "/pool/share", "must be above 0 and at most 1")
            }
            return .shareOfAvailable(value)
        default:
            throw ValidationError(.invalidValue, at: "/pool/kind", "must be \"fixed\" or \"shareOfAvailable\"")
        }
    }

    private static func tranches(_ tranches: [RuleDocument.Tranche], recipientsMax: Int) throws(ValidationError)
        -> [Tranche]
    {
        guard (1...tranchesMax).contains(tranches.count) else {
            throw ValidationError(.invalidValue, at: "/tranches", "must list 1 to \(tranchesMax) tranches")
        }
        var names: Set<String> = []
        var recipients: Set<String> = []
        var result: [Tranche] = []
        for (index, tranche) in tranches.enumerated() {
            let at = "/tranches/\(index)"
            try Jurisdiction.validateCode(tranche.name, at: "\(at)/name")
            guard names.insert(tranche.name).inserted else {
                throw ValidationError(.invalidValue, at: "\(at)/name", "\(tranche.name) is used twice")
            }
            let share = try parseDecimal(tranche.share, at: "\(at)/share", "share")
            guard share > .zero, share <= .one else {
                throw ValidationError(.invalidValue, at: "\(at)/share", "must be above 0 and at most 1")
            }
            guard (1...recipientsMax).contains(tranche.recipients.count) else {
                throw ValidationError(
                    .invalidValue, at: "\(at)/recipients", "must name 1 to \(recipientsMax) recipients")
            }
            for (position, recipient) in tranche.recipients.enumerated() {
                try Jurisdiction.validateCode(recipient, at: "\(at)/recipients/\(position)")
                guard recipients.insert(recipient).inserted else {
                    throw ValidationError(
                        .invalidValue, at: "\(at)/recipients/\(position)", "\(recipient) is a recipient twice")
                }
            }
            result.append(Tranche(name: tranche.name, share: share, recipients: tranche.recipients.sorted()))
        }
        let total = result.reduce(Rational.zero) { $0 + $1.share }
        guard total == .one else {
            throw ValidationError(
                .invalidValue, at: "/tranches",
                "shares must sum to exactly 1; they sum to \(total.decimalString(scale: 6))")
        }
        return result
    }

    private static func factors(_ factors: [RuleDocument.Factor]) throws(ValidationError)
        -> [(key: FactorKey, weight: Rational)]
    {
        guard (1...FactorKey.allCases.count).contains(factors.count) else {
            throw ValidationError(.invalidValue, at: "/factors", "must list 1 to \(FactorKey.allCases.count) factors")
        }
        var result: [(key: FactorKey, weight: Rational)] = []
        for (index, factor) in factors.enumerated() {
            let at = "/factors/\(index)"
            guard let key = FactorKey(rawValue: factor.key) else {
                throw ValidationError(
                    .invalidValue, at: "\(at)/key",
                    "must be one of \(FactorKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !result.contains(where: { $0.key == key }) else {
                throw ValidationError(.invalidValue, at: "\(at)/key", "\(key.rawValue) is listed twice")
            }
            let weight = try parseDecimal(factor.weight, at: "\(at)/weight", "weight")
            guard weight > .zero, weight <= .one else {
                throw ValidationError(.invalidValue, at: "\(at)/weight", "must be above 0 and at most 1")
            }
            result.append((key, weight))
        }
        let total = result.reduce(Rational.zero) { $0 + $1.weight }
        guard total == .one else {
            throw ValidationError(
                .invalidValue, at: "/factors",
                "weights must sum to exactly 1; they sum to \(total.decimalString(scale: 6))")
        }
        return result
    }

    private static func bands(_ bands: [RuleDocument.Band]) throws(ValidationError) -> [Band] {
        guard bands.count <= bandsMax else {
            throw ValidationError(.invalidValue, at: "/scoreBands", "must list at most \(bandsMax) bands")
        }
        var result: [Band] = []
        for (index, band) in bands.enumerated() {
            let at = "/scoreBands/\(index)"
            let minScore = try parseDecimal(band.minScore, at: "\(at)/minScore", "minScore")
            let multiplier = try parseDecimal(band.multiplier, at: "\(at)/multiplier", "multiplier")
            guard minScore >= .zero, minScore <= .hundred else {
                throw ValidationError(.invalidValue, at: "\(at)/minScore", "must be 0 to 100")
            }
            guard multiplier >= .zero, multiplier <= Rational(10) else {
                throw ValidationError(.invalidValue, at: "\(at)/multiplier", "must be 0 to 10")
            }
            if let previous = result.last, !(minScore < previous.minScore) {
                throw ValidationError(
                    .invalidValue, at: "\(at)/minScore", "bands must be listed by minScore, highest first")
            }
            result.append(Band(minScore: minScore, multiplier: multiplier))
        }
        if let lowest = result.last, lowest.minScore != .zero {
            throw ValidationError(
                .invalidValue, at: "/scoreBands/\(result.count - 1)/minScore", "the lowest band must start at 0")
        }
        return result
    }
}
