import BigInt
import EcoFundCore

/// A literal transcription of DESIGN.md "Allocation rules" in rational arithmetic: slow and obviously right.
/// The property tests check that the production allocator (integer arithmetic) gives the same allocation.
enum ReferenceAllocator {
    static func allocate(_ rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError) -> Allocation {
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
        if adjustedTotal == .zero, rows.contains(where: { $0.multiplier != .zero }) {
            throw AllocationError(pointer: at, detail: "nobody not withheld has a weighted share above 0")
        }
        var shares: [String: Rational] = [:]
        var capped: [String: Rational] = [:]
        var fixed: Set<String> = []
        if adjustedTotal > .zero {
            for row in rows { shares[row.recipient] = row.adjusted / adjustedTotal }
            (capped, fixed) = try applyCap(shares, cap: rule.maxShareOfTranche, tranche: tranche.name, at: at)
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
                        key: factor.key.rawValue, weight: Exact(factor.weight), value: Exact(value),
                        total: Exact(total), share: Exact(value / total))
                },
                weightedShare: Exact(row.weighted), composite: row.composite?.decimalString(scale: 2),
                bandMinScore: row.band.map { Exact($0) }, multiplier: Exact(row.multiplier),
                adjustedWeight: Exact(row.adjusted), share: Exact(share), cappedShare: Exact(cappedShare),
                capped: fixed.contains(row.recipient),
                exactAmount: Exact(exact), floorFen: floorFen, remainderFen: remainderFen)
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
        throws(AllocationError) -> (shares: [String: Rational], fixed: Set<String>)
    {
        guard let cap else { return (shares, []) }
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
            if over.isEmpty { return (result, fixed) }
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
