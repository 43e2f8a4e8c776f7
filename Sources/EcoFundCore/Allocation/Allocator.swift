import BigInt

/// What an allocation is computed from: everything a run snapshots, so that the same inputs give the same bytes.
public struct AllocationInputs: Hashable, Sendable, Codable {
    /// A jurisdiction's reference figures, as decimal strings.
    public struct Reference: Hashable, Sendable, Codable {
        public let population: String
        public let ecologicalArea: String
        public let envSpendingPerCapita: String

        public init(population: String, ecologicalArea: String, envSpendingPerCapita: String) {
            self.population = population
            self.ecologicalArea = ecologicalArea
            self.envSpendingPerCapita = envSpendingPerCapita
        }
    }

    /// `fund:cash` − outstanding `payable:*` − approved runs not yet posted, in fen.
    public let availableFen: Int64
    /// When set, replaces the rule's pool.
    public let poolOverride: Money?
    /// Every jurisdiction's reference figures (envSpendingGap compares against all of them).
    public let jurisdictions: [String: Reference]
    /// Finalized composites of the rule's assessment period, as two-decimal strings.
    public let scores: [String: String]

    public init(availableFen: Int64, poolOverride: Money?, jurisdictions: [String: Reference], scores: [String: String])
    {
        self.availableFen = availableFen
        self.poolOverride = poolOverride
        self.jurisdictions = jurisdictions
        self.scores = scores
    }
}

/// The result of an allocation: every fen of the pool, tranche by tranche, with the working behind each amount.
public struct Allocation: Hashable, Sendable, Codable {
    public struct Tranche: Hashable, Sendable, Codable {
        public let name: String
        public let amount: Money
        /// True when every recipient was withheld, so the tranche stays in the fund.
        public let retained: Bool
    }

    /// Every intermediate value of DESIGN.md steps 3–7 for one recipient, exact (fractions or decimal strings).
    public struct Derivation: Hashable, Sendable, Codable {
        public struct Factor: Hashable, Sendable, Codable {
            public let key: String
            public let weight: String
            /// v_rf
            public let value: String
            /// Σ v_f over the tranche's recipients
            public let total: String
            /// s_rf = value / total
            public let share: String
        }

        public let factors: [Factor]
        /// w_r = Σ weight × share
        public let weightedShare: String
        /// The finalized composite, when the rule uses scores and there is one.
        public let composite: String?
        /// The minScore of the band the composite falls in.
        public let bandMinScore: String?
        /// m_r
        public let multiplier: String
        /// a_r = w_r × m_r
        public let adjustedWeight: String
        /// q_r = a_r / Σ a_r, before the cap
        public let share: String
        /// q_r after the cap was applied (equal to `share` when no cap bound)
        public let cappedShare: String
        public let capped: Bool
        /// T_k × q_r, exact
        public let exactAmount: String
        /// floor(exact amount), in fen
        public let floorFen: Int64
        /// 1 when this recipient received one of the fen left over by flooring, else 0
        public let remainderFen: Int64
    }

    public struct Recipient: Hashable, Sendable, Codable {
        public let recipient: String
        public let tranche: String
        public let amount: Money
        public let withheld: Bool
        public let withheldReason: String?
        public let derivation: Derivation
    }

    public let pool: Money
    public let tranches: [Tranche]
    public let allocations: [Recipient]

    /// Σ of the recipients' amounts; with the retained tranches, exactly the pool.
    public var allocated: Money { allocations.reduce(Money.zero) { $0 + $1.amount } }
}

/// Why an allocation cannot be computed from these inputs (422, naming the rule path or the recipient).
public struct AllocationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let pointer: String
    public let detail: String
    public var description: String { "\(pointer): \(detail)" }
}

/// The allocator: pure, deterministic, exact. DESIGN.md "Allocation rules" is its definition.
public enum Allocator {
    public static func allocate(_ rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError) -> Allocation
    {
        let pool = try poolFen(rule, inputs: inputs)
        var tranches: [Allocation.Tranche] = []
        var allocations: [Allocation.Recipient] = []
        var assigned: Int64 = 0
        for (index, tranche) in rule.tranches.enumerated() {
            let isLast = index == rule.tranches.count - 1
            let amount = isLast ? pool - assigned : Int64((Rational(BigInt(pool)) * tranche.share).floor)
            assigned += amount
            let recipients = try allocate(tranche: tranche, at: index, amountFen: amount, rule: rule, inputs: inputs)
            let retained = recipients.allSatisfy(\.withheld)
            tranches.append(.init(name: tranche.name, amount: Money(fen: amount), retained: retained))
            allocations += recipients
        }
        let result = Allocation(pool: Money(fen: pool), tranches: tranches, allocations: allocations)
        let retained = tranches.filter(\.retained).reduce(Money.zero) { $0 + $1.amount }
        precondition(result.allocated + retained == result.pool, "allocation does not add up to the pool")
        return result
    }

    /// Step 1: the pool in fen.
    static func poolFen(_ rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError) -> Int64 {
        let available = max(inputs.availableFen, 0)
        let pool: Int64
        if let override = inputs.poolOverride {
            pool = override.fen
        } else {
            switch rule.pool {
            case .fixed(let amount): pool = amount.fen
            case .shareOfAvailable(let share): pool = Int64((Rational(BigInt(available)) * share).floor)
            }
        }
        guard pool > 0 else {
            throw AllocationError(pointer: "/pool", detail: "the pool is 0.00: the fund has nothing available")
        }
        guard pool <= available else {
            throw AllocationError(
                pointer: "/pool",
                detail:
                    "the pool \(Money(fen: pool).decimalString) exceeds the \(Money(fen: available).decimalString) available"
            )
        }
        return pool
    }

    /// Steps 3–7 for one tranche.
    static func allocate(
        tranche: AllocationRule.Tranche, at index: Int, amountFen: Int64, rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [Allocation.Recipient] {
        let at = "/tranches/\(index)"
        let values = try factorValues(tranche: tranche, at: at, rule: rule, inputs: inputs)
        var totals: [AllocationRule.FactorKey: Rational] = [:]
        for (key, _) in rule.factors {
            let total = tranche.recipients.reduce(Rational.zero) { $0 + (values[$1]?[key] ?? .zero) }
            guard total > .zero else {
                throw AllocationError(
                    pointer: at, detail: "factor \(key.rawValue) sums to 0 over tranche \(tranche.name)'s recipients")
            }
            totals[key] = total
        }
        var rows: [Row] = []
        for recipient in tranche.recipients {
            let weighted = rule.factors.reduce(Rational.zero) { sum, factor in
                sum + factor.weight * ((values[recipient]?[factor.key] ?? .zero) / (totals[factor.key] ?? .one))
            }
            let (multiplier, band, composite, reason) = try self.multiplier(recipient, rule: rule, inputs: inputs)
            rows.append(
                Row(
                    recipient: recipient, weighted: weighted, composite: composite, band: band, multiplier: multiplier,
                    adjusted: weighted * multiplier, withheldReason: reason))
        }
        let adjustedTotal = rows.reduce(Rational.zero) { $0 + $1.adjusted }
        var shares: [String: Rational] = [:]
        var capped: [String: Rational] = [:]
        if adjustedTotal > .zero {
            for row in rows { shares[row.recipient] = row.adjusted / adjustedTotal }
            capped = try applyCap(shares, cap: rule.maxShareOfTranche, tranche: tranche.name, at: at)
        }
        let amounts = largestRemainder(amountFen: adjustedTotal > .zero ? amountFen : 0, shares: capped)
        return rows.map { row in
            let share = shares[row.recipient] ?? .zero
            let cappedShare = capped[row.recipient] ?? .zero
            let exact = Rational(BigInt(adjustedTotal > .zero ? amountFen : 0)) * cappedShare
            let (floorFen, remainderFen) = amounts[row.recipient] ?? (0, 0)
            let derivation = Allocation.Derivation(
                factors: rule.factors.map { factor in
                    let value = values[row.recipient]?[factor.key] ?? .zero
                    let total = totals[factor.key] ?? .one
                    return .init(
                        key: factor.key.rawValue, weight: factor.weight.description, value: value.description,
                        total: total.description, share: (value / total).description)
                },
                weightedShare: row.weighted.description, composite: row.composite?.decimalString(scale: 2),
                bandMinScore: row.band?.description, multiplier: row.multiplier.description,
                adjustedWeight: row.adjusted.description, share: share.description,
                cappedShare: cappedShare.description,
                capped: cappedShare != share, exactAmount: exact.description, floorFen: floorFen,
                remainderFen: remainderFen)
            return Allocation.Recipient(
                recipient: row.recipient, tranche: tranche.name, amount: Money(fen: floorFen + remainderFen),
                withheld: row.multiplier == .zero, withheldReason: row.withheldReason, derivation: derivation)
        }
    }

    struct Row {
        let recipient: String
        let weighted: Rational
        let composite: Rational?
        let band: Rational?
        let multiplier: Rational
        let adjusted: Rational
        let withheldReason: String?
    }

    /// Step 3: v_rf for every recipient of the tranche.
    static func factorValues(
        tranche: AllocationRule.Tranche, at: String, rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [String: [AllocationRule.FactorKey: Rational]] {
        let spending = inputs.jurisdictions.values.compactMap { Rational(decimal: $0.envSpendingPerCapita) }
        let highestSpending = spending.max() ?? .zero
        var values: [String: [AllocationRule.FactorKey: Rational]] = [:]
        for (position, recipient) in tranche.recipients.enumerated() {
            guard let reference = inputs.jurisdictions[recipient] else {
                throw AllocationError(pointer: "\(at)/recipients/\(position)", detail: "no jurisdiction \(recipient)")
            }
            var row: [AllocationRule.FactorKey: Rational] = [:]
            for (key, _) in rule.factors {
                let value: Rational?
                switch key {
                case .population: value = Rational(decimal: reference.population)
                case .ecologicalArea: value = Rational(decimal: reference.ecologicalArea)
                case .envSpendingPerCapita: value = Rational(decimal: reference.envSpendingPerCapita)
                case .envSpendingGap:
                    value = Rational(decimal: reference.envSpendingPerCapita).map { highestSpending - $0 }
                case .greenScore: value = inputs.scores[recipient].flatMap { Rational(decimal: $0) } ?? .zero
                }
                guard let value, value >= .zero else {
                    throw AllocationError(
                        pointer: "\(at)/recipients/\(position)", detail: "\(recipient) has no usable \(key.rawValue)")
                }
                row[key] = value
            }
            values[recipient] = row
        }
        return values
    }

    /// Step 4: the multiplier from the score bands, or the reason a recipient is withheld.
    static func multiplier(_ recipient: String, rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError)
        -> (multiplier: Rational, band: Rational?, composite: Rational?, withheldReason: String?)
    {
        guard rule.needsScores else { return (.one, nil, nil, nil) }
        guard let text = inputs.scores[recipient], let composite = Rational(decimal: text) else {
            if rule.withholdsMissingScores {
                return (.zero, nil, nil, "no finalized score in period \(rule.assessmentPeriod ?? "")")
            }
            throw AllocationError(
                pointer: "/assessmentPeriod",
                detail: "\(recipient) has no finalized score in period \(rule.assessmentPeriod ?? ""); "
                    + "score it, or publish the rule with \"missingScore\": \"withhold\"")
        }
        guard let band = rule.bands.first(where: { $0.minScore <= composite }) else {
            return (.one, nil, composite, nil)
        }
        let reason =
            band.multiplier == .zero
            ? "composite \(composite.decimalString(scale: 2)) falls in the band from \(band.minScore.decimalString(scale: 2)), whose multiplier is 0"
            : nil
        return (band.multiplier, band.minScore, composite, reason)
    }

    /// Step 6: fix shares above the cap at the cap and share the excess among the others in proportion to their
    /// shares, until none exceeds it.
    static func applyCap(_ shares: [String: Rational], cap: Rational?, tranche: String, at: String)
        throws(AllocationError) -> [String: Rational]
    {
        guard let cap else { return shares }
        let eligible = shares.filter { $0.value > .zero }
        guard Rational(eligible.count) * cap >= .one else {
            throw AllocationError(
                pointer: "/maxShareOfTranche",
                detail:
                    "tranche \(tranche) has \(eligible.count) eligible recipients; a cap of \(cap.decimalString(scale: 4)) "
                    + "each cannot place all of it")
        }
        var fixed: Set<String> = []
        var result = shares
        while true {
            let free = eligible.keys.filter { !fixed.contains($0) }
            let room = Rational.one - cap * Rational(fixed.count)
            let freeTotal = free.reduce(Rational.zero) { $0 + (eligible[$1] ?? .zero) }
            for name in fixed { result[name] = cap }
            for name in free { result[name] = freeTotal > .zero ? room * (eligible[name] ?? .zero) / freeTotal : .zero }
            let over = free.filter { (result[$0] ?? .zero) > cap }
            if over.isEmpty { return result }
            fixed.formUnion(over)
        }
    }

    /// Step 7: floor each exact amount, then give the fen left over one each to the largest fractional parts,
    /// ties broken by recipient code ascending. Returns (floor, remainder fen) per recipient.
    static func largestRemainder(amountFen: Int64, shares: [String: Rational]) -> [String: (Int64, Int64)] {
        let total = Rational(BigInt(amountFen))
        var floors: [String: Int64] = [:]
        var fractions: [(String, Rational)] = []
        for (name, share) in shares {
            let exact = total * share
            let whole = exact.floor
            floors[name] = Int64(whole)
            fractions.append((name, exact - Rational(whole)))
        }
        let left = amountFen - floors.values.reduce(0, +)
        precondition(
            left >= 0 && left <= Int64(shares.count), "rounding left \(left) fen for \(shares.count) recipients")
        let order = fractions.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var result: [String: (Int64, Int64)] = [:]
        for (rank, (name, _)) in order.enumerated() {
            result[name] = (floors[name] ?? 0, rank < left ? 1 : 0)
        }
        return result
    }
}
