import BigInt
import Foundation

/// The allocator: pure, deterministic, exact. DESIGN.md "Allocation rules" is its definition.
///
/// Inside a tranche every quantity is an integer over a denominator shared by all recipients, so the work per
/// recipient is a few integer multiplications and no fraction ever needs reducing: factor values v_rf = n_rf / D_f,
/// weighted shares w_r = W_r / L, adjusted weights a_r = A_r / (L·M), shares q_r = A_r / ΣA. The test suite checks
/// it against a literal rational transcription of the design (`ReferenceAllocator`) on hundreds of random rules.
public enum Allocator {
    public static func allocate(_ rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError) -> Allocation
    {
        let poolFen = try poolFen(rule, inputs: inputs)
        var tranches: [Allocation.Tranche] = []
        var allocations: [Allocation.Recipient] = []
        var assignedFen: Int64 = 0
        for (index, tranche) in rule.tranches.enumerated() {
            let isLast = index == rule.tranches.count - 1
            let amountFen =
                isLast ? poolFen - assignedFen : Int64((Rational(BigInt(poolFen)) * tranche.share).floor)
            assignedFen += amountFen
            let recipients = try allocate(
                tranche: tranche, at: index, amountFen: amountFen, rule: rule, inputs: inputs)
            tranches.append(
                .init(name: tranche.name, amount: Money(fen: amountFen), retained: recipients.allSatisfy(\.withheld)))
            if allocations.isEmpty { allocations = recipients } else { allocations += recipients }  // no copy of one
        }
        if rule.kind == .settlement { allocations = try settle(allocations, rule: rule, inputs: inputs) }
        let result = Allocation(pool: Money(fen: poolFen), tranches: tranches, allocations: allocations)
        let retained = tranches.filter(\.retained).reduce(Money.zero) { $0 + $1.amount }
        precondition(result.finalTotal + retained == result.pool, "allocation does not add up to the pool")
        return result
    }

    /// A settlement (DESIGN.md "Accountability"): the rule's amount x_r for the year less a_r, what the advance
    /// runs granted; s_r > 0 is granted by this run, s_r < 0 clawed back. Only the net new grants need the fund's
    /// available money: the advances were paid from it already, and a clawback brings none in.
    static func settle(_ allocations: [Allocation.Recipient], rule: AllocationRule, inputs: AllocationInputs)
        throws(AllocationError) -> [Allocation.Recipient]
    {
        let advances = inputs.advances ?? [:]
        let recipients = Set(allocations.map(\.recipient))
        if let stray = advances.keys.sorted().first(where: { !recipients.contains($0) }) {
            throw AllocationError(
                pointer: "/settles",
                detail: "\(stray) was advanced \(advances[stray]!.amount) by \(rule.settles ?? "") but is not a "
                    + "recipient of this settlement, so what it was paid could never be settled")
        }
        var granted: Int64 = 0
        let settled = allocations.map { allocation in
            let advance = advances[allocation.recipient]
            var derivation = allocation.derivation
            let settlement = Allocation.Derivation.Settlement(
                finalAmount: allocation.amount, advanced: advance?.amount ?? .zero, advanceRuns: advance?.runs ?? [])
            derivation.settlement = settlement
            let difference = settlement.difference.fen
            granted += max(difference, 0)
            return Allocation.Recipient(
                recipient: allocation.recipient, tranche: allocation.tranche, amount: Money(fen: max(difference, 0)),
                withheld: allocation.withheld, withheldReason: allocation.withheldReason, derivation: derivation,
                clawback: difference < 0 ? Money(fen: -difference) : nil)
        }
        let availableFen = max(inputs.availableFen, 0)
        guard granted <= availableFen else {
            throw AllocationError(
                pointer: "/pool",
                detail: "the settlement grants \(Money(fen: granted).decimalString) beyond the advances; the fund has "
                    + "\(Money(fen: availableFen).decimalString) available")
        }
        return settled
    }

    /// Step 1: the pool in fen.
    static func poolFen(_ rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError) -> Int64 {
        let availableFen = max(inputs.availableFen, 0)
        let fen: Int64
        if let override = inputs.poolOverride {
            fen = override.fen
        } else {
            switch rule.pool {
            case .fixed(let amount): fen = amount.fen
            case .shareOfAvailable(let share): fen = Int64((Rational(BigInt(availableFen)) * share).floor)
            }
        }
        guard fen > 0 else {
            throw AllocationError(pointer: "/pool", detail: "the pool is 0.00: the fund has nothing available")
        }
        // A settlement's pool is the year's whole amount, advances included: what it must find is checked net.
        guard fen <= availableFen || rule.kind == .settlement else {
            throw AllocationError(
                pointer: "/pool",
                detail:
                    "the pool \(Money(fen: fen).decimalString) exceeds the \(Money(fen: availableFen).decimalString) available"
            )
        }
        return fen
    }

    /// One factor over a tranche: n_rf per recipient over the shared denominator D_f, and N_f = Σ n_rf.
    struct FactorColumn {
        let key: AllocationRule.FactorKey
        let weight: Rational
        let numerators: [BigInt]
        let denominator: BigInt
        let total: BigInt
    }

    /// Steps 3–7 for one tranche.
    static func allocate(
        tranche: AllocationRule.Tranche, at index: Int, amountFen: Int64, rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [Allocation.Recipient] {
        let at = "/tranches/\(index)"
        let recipients = tranche.recipients
        // Each recipient's finalized composite, looked up once for its factor and its band.
        let scores = rule.needsScores ? recipients.map { inputs.scores[$0] } : []
        let columns = try factorColumns(tranche: tranche, at: at, scores: scores, rule: rule, inputs: inputs)
        let (weighted, commonL) = weightedShares(columns, count: recipients.count)
        let multipliers = try multipliers(recipients, scores: scores, rule: rule, inputs: inputs)
        let (adjusted, commonM) = adjustedWeights(weighted, multipliers: multipliers)
        let adjustedTotal = adjusted.reduce(BigInt(0), +)
        try requireSomethingToShare(adjustedTotal, multipliers, tranche: tranche, at: at)
        let placed = adjustedTotal.isPositive ? amountFen : 0
        let shares = try cappedShares(
            adjusted: adjusted, total: adjustedTotal, cap: rule.maxShareOfTranche, tranche: tranche.name)
        let shareValues = recipients.indices.map { shares.value($0) }
        let adjustedDenominator = commonL * commonM
        let hasTotal = adjustedTotal.isPositive
        let placedBig = BigInt(small: placed)
        let exactAmounts = shareValues.map { Exact(unchecked: placedBig * $0.numerator, $0.denominator) }
        let amounts = largestRemainder(amountFen: placed, amounts: exactAmounts)
        // The same in every recipient's derivation: reduced and written once.
        let weights = columns.map { Exact($0.weight).writtenOnce() }
        let totals = columns.map { Exact(unchecked: $0.total, $0.denominator).writtenOnce() }
        // The columns' parts, apart: reading one value from a whole column per recipient and factor copied it all.
        let (keys, numerators) = (columns.map(\.key.rawValue), columns.map(\.numerators))
        let (denominators, columnTotals) = (columns.map(\.denominator), columns.map(\.total))
        return recipients.indices.map { position in
            let (multiplier, band, composite, reason) = (
                multipliers[position].multiplier, multipliers[position].band, multipliers[position].composite,
                multipliers[position].withheldReason
            )
            let missed = multipliers[position].missed
            let share = hasTotal ? Exact(unchecked: adjusted[position], adjustedTotal) : .zero
            let derivation = Allocation.Derivation(
                factors: columns.indices.map { index in
                    .init(
                        key: keys[index], weight: weights[index],
                        value: Exact(unchecked: numerators[index][position], denominators[index]), total: totals[index],
                        share: Exact(unchecked: numerators[index][position], columnTotals[index]))
                },
                weightedShare: Exact(unchecked: weighted[position], commonL), composite: composite,
                bandMinScore: band.map { Exact($0) }, multiplier: Exact(multiplier),
                adjustedWeight: Exact(unchecked: adjusted[position], adjustedDenominator), share: share,
                cappedShare: shareValues[position], capped: shares.fixed.contains(position),
                exactAmount: exactAmounts[position],
                floorFen: amounts[position].floor, remainderFen: amounts[position].remainder,
                missedTargets: missed?.targets, bandMultiplier: missed.map { Exact($0.bandMultiplier) },
                targetMultiplier: missed.map { Exact($0.targetMultiplier) })
            return Allocation.Recipient(
                recipient: recipients[position], tranche: tranche.name,
                amount: Money(fen: amounts[position].floor + amounts[position].remainder),
                withheld: multiplier == .zero, withheldReason: reason, derivation: derivation)
        }
    }

    /// Step 5 divides by Σ a_r. It is 0 either because every recipient is withheld (the tranche is retained) or
    /// because those not withheld all have weight 0 (every factor value 0, e.g. a composite of 0 and the highest
    /// spending): then nobody can take T_k and nothing says it stays, so the rule cannot be applied as written.
    static func requireSomethingToShare(
        _ adjustedTotal: BigInt, _ multipliers: [Multiplier], tranche: AllocationRule.Tranche, at: String
    ) throws(AllocationError) {
        guard adjustedTotal.isZero, multipliers.contains(where: { $0.multiplier != .zero }) else { return }
        throw AllocationError(
            pointer: at,
            detail: "in tranche \(tranche.name) every recipient not withheld has a weighted share of 0, so "
                + "\(tranche.name)'s money cannot be shared by these factors")
    }

    /// w_r = Σ_f (p_f / q_f) × n_rf / N_f = W_r / L with L = lcm_f(q_f × N_f): the numerators W_r and L.
    static func weightedShares(_ columns: [FactorColumn], count: Int) -> (weighted: [BigInt], commonL: BigInt) {
        let scales = columns.map { $0.weight.denominator * $0.total }
        let commonL = scales.reduce(BigInt(1)) { lcm($0, $1) }
        let factorsOfL = zip(columns, scales).map { column, scale in column.weight.numerator * (commonL / scale) }
        // Every term is non-negative (values are checked so, weights are positive): summed in place as magnitudes,
        // one word of n_rf at a time, with no intermediate product to allocate.
        var weightedSums = [BigUInt](repeating: BigUInt(), count: count)
        for (column, factor) in zip(columns, factorsOfL) {
            precondition(factor.isPositive, "a factor's weight is above 0")
            for position in 0..<count {
                for (shift, word) in column.numerators[position].magnitude.words.enumerated() {
                    weightedSums[position].multiplyAndAdd(factor.magnitude, word, shiftedBy: shift)
                }
            }
        }
        let weighted = weightedSums.map { BigInt(sign: .plus, magnitude: $0) }
        return (weighted, commonL)
    }

    /// a_r = w_r × μ_r / ν_r = A_r / (L × M) with M = lcm of the multipliers' denominators: the numerators A_r and M.
    static func adjustedWeights(_ weighted: [BigInt], multipliers: [Multiplier]) -> (
        adjusted: [BigInt], commonM: BigInt
    ) {
        let commonM = multipliers.reduce(BigInt(1)) { lcm($0, $1.multiplier.denominator) }
        var overM: [(multiplier: Rational, numerator: BigInt)] = []  // μ_r × M / ν_r, for the few distinct multipliers
        let adjusted = weighted.indices.map { position in
            let multiplier = multipliers[position].multiplier
            let factor: BigInt
            if let known = overM.first(where: { $0.multiplier == multiplier }) {
                factor = known.numerator
            } else {
                factor = multiplier.numerator * (commonM / multiplier.denominator)
                overM.append((multiplier, factor))
            }
            return weighted[position] * factor
        }
        return (adjusted, commonM)
    }

    /// Step 3: each factor's values over the tranche, as integers over a shared denominator 10^scale. `scores` are
    /// the recipients' composites, by position (empty when the rule needs none).
    static func factorColumns(
        tranche: AllocationRule.Tranche, at: String, scores: [String?], rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [FactorColumn] {
        let highestSpending =
            rule.factors.contains { $0.key == .envSpendingGap } ? highestSpendingPerCapita(inputs) : nil
        let usesSpending = rule.factors.contains { $0.key == .envSpendingPerCapita || $0.key == .envSpendingGap }
        var values = [[(digits: BigInt, scale: Int)]](repeating: [], count: rule.factors.count)
        for index in values.indices { values[index].reserveCapacity(tranche.recipients.count) }
        for (position, recipient) in tranche.recipients.enumerated() {
            guard let reference = inputs.jurisdictions[recipient] else {
                throw AllocationError(pointer: "\(at)/recipients/\(position)", detail: "no jurisdiction \(recipient)")
            }
            // Read once though two factors may use it.
            let spending = usesSpending ? Rational.scaledDecimal(reference.envSpendingPerCapita) : nil
            for (index, factor) in rule.factors.enumerated() {
                var value: (digits: BigInt, scale: Int)?
                switch factor.key {
                case .population: value = Rational.scaledDecimal(reference.population)
                case .ecologicalArea: value = Rational.scaledDecimal(reference.ecologicalArea)
                case .envSpendingPerCapita: value = spending
                case .envSpendingGap:
                    if let own = spending, let highest = highestSpending {
                        let scale = max(own.scale, highest.scale)
                        value = (
                            highest.digits.timesTenToThe(scale - highest.scale)
                                - own.digits.timesTenToThe(scale - own.scale), scale
                        )
                    }
                case .greenScore:
                    value = scores[position].map { Rational.scaledDecimal($0) } ?? (0, 0)
                }
                guard let value, !value.digits.isNegative else {
                    throw AllocationError(
                        pointer: "\(at)/recipients/\(position)",
                        detail: "\(recipient) has no usable \(factor.key.rawValue)")
                }
                values[index].append(value)
            }
        }
        var columns: [FactorColumn] = []
        for (index, (key, weight)) in rule.factors.enumerated() {
            let scale = values[index].map(\.scale).max() ?? 0
            let numerators = values[index].map { $0.digits.timesTenToThe(scale - $0.scale) }
            let total = numerators.reduce(BigInt(0), +)
            guard total.isPositive else {
                throw AllocationError(
                    pointer: at, detail: "factor \(key.rawValue) sums to 0 over tranche \(tranche.name)'s recipients")
            }
            columns.append(
                FactorColumn(
                    key: key, weight: weight, numerators: numerators, denominator: BigInt.tenToThe(scale), total: total)
            )
        }
        return columns
    }

    /// The highest per-capita environmental spending among all jurisdictions (envSpendingGap is measured from it).
    static func highestSpendingPerCapita(_ inputs: AllocationInputs) -> (digits: BigInt, scale: Int) {
        let values = inputs.jurisdictions.values.compactMap { Rational.scaledDecimal($0.envSpendingPerCapita) }
        let scale = values.map(\.scale).max() ?? 0
        let highest = values.map { $0.digits.timesTenToThe(scale - $0.scale) }.max() ?? 0
        return (highest, scale)
    }
}
