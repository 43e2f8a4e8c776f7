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
        let columns = try factorColumns(tranche: tranche, at: at, rule: rule, inputs: inputs)
        // w_r = Σ_f (p_f / q_f) × n_rf / N_f = W_r / L with L = lcm_f(q_f × N_f).
        let scales = columns.map { $0.weight.denominator * $0.total }
        let commonL = scales.reduce(BigInt(1)) { lcm($0, $1) }
        let factorsOfL = zip(columns, scales).map { column, scale in column.weight.numerator * (commonL / scale) }
        var weighted = [BigInt](repeating: 0, count: recipients.count)
        for (column, factor) in zip(columns, factorsOfL) {
            for position in recipients.indices { weighted[position] += factor * column.numerators[position] }
        }
        var multipliers: [Multiplier] = []
        for recipient in recipients { multipliers.append(try multiplier(recipient, rule: rule, inputs: inputs)) }
        // a_r = w_r × μ_r / ν_r = A_r / (L × M) with M = lcm of the multipliers' denominators.
        let commonM = multipliers.reduce(BigInt(1)) { lcm($0, $1.multiplier.denominator) }
        let adjusted = recipients.indices.map { position in
            let multiplier = multipliers[position].multiplier
            return weighted[position] * multiplier.numerator * (commonM / multiplier.denominator)
        }
        let adjustedTotal = adjusted.reduce(BigInt(0), +)
        let placed = adjustedTotal.isPositive ? amountFen : 0
        let shares = try cappedShares(
            adjusted: adjusted, total: adjustedTotal, cap: rule.maxShareOfTranche, tranche: tranche.name)
        let shareValues = recipients.indices.map { shares.value($0) }
        let adjustedDenominator = commonL * commonM
        let hasTotal = adjustedTotal.isPositive
        let placedBig = BigInt(small: placed)
        let amounts = largestRemainder(amountFen: placed, shares: shareValues)
        // The same in every recipient's derivation: reduced and written once.
        let weights = columns.map { Exact($0.weight).writtenOnce() }
        let totals = columns.map { Exact(unchecked: $0.total, $0.denominator).writtenOnce() }
        return recipients.indices.map { position in
            let (multiplier, band, composite, reason) = (
                multipliers[position].multiplier, multipliers[position].band, multipliers[position].composite,
                multipliers[position].withheldReason
            )
            let missed = multipliers[position].missed
            let share = hasTotal ? Exact(unchecked: adjusted[position], adjustedTotal) : .zero
            let derivation = Allocation.Derivation(
                factors: columns.indices.map { index in
                    let column = columns[index]
                    return .init(
                        key: column.key.rawValue, weight: weights[index],
                        value: Exact(unchecked: column.numerators[position], column.denominator), total: totals[index],
                        share: Exact(unchecked: column.numerators[position], column.total))
                },
                weightedShare: Exact(unchecked: weighted[position], commonL), composite: composite,
                bandMinScore: band.map { Exact($0) }, multiplier: Exact(multiplier),
                adjustedWeight: Exact(unchecked: adjusted[position], adjustedDenominator), share: share,
                cappedShare: shareValues[position], capped: shares.fixed.contains(position),
                exactAmount: Exact(
                    unchecked: placedBig * shareValues[position].numerator, shareValues[position].denominator),
                floorFen: amounts[position].floor, remainderFen: amounts[position].remainder,
                missedTargets: missed?.targets, bandMultiplier: missed.map { Exact($0.bandMultiplier) },
                targetMultiplier: missed.map { Exact($0.targetMultiplier) })
            return Allocation.Recipient(
                recipient: recipients[position], tranche: tranche.name,
                amount: Money(fen: amounts[position].floor + amounts[position].remainder),
                withheld: multiplier == .zero, withheldReason: reason, derivation: derivation)
        }
    }

    /// Step 3: each factor's values over the tranche, as integers over a shared denominator 10^scale.
    static func factorColumns(
        tranche: AllocationRule.Tranche, at: String, rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [FactorColumn] {
        let highestSpending =
            rule.factors.contains { $0.key == .envSpendingGap } ? highestSpendingPerCapita(inputs) : nil
        var values = [[(digits: BigInt, scale: Int)]](repeating: [], count: rule.factors.count)
        for index in values.indices { values[index].reserveCapacity(tranche.recipients.count) }
        for (position, recipient) in tranche.recipients.enumerated() {
            guard let reference = inputs.jurisdictions[recipient] else {
                throw AllocationError(pointer: "\(at)/recipients/\(position)", detail: "no jurisdiction \(recipient)")
            }
            for (index, factor) in rule.factors.enumerated() {
                var value: (digits: BigInt, scale: Int)?
                switch factor.key {
                case .population: value = Rational.scaledDecimal(reference.population)
                case .ecologicalArea: value = Rational.scaledDecimal(reference.ecologicalArea)
                case .envSpendingPerCapita: value = Rational.scaledDecimal(reference.envSpendingPerCapita)
                case .envSpendingGap:
                    if let own = Rational.scaledDecimal(reference.envSpendingPerCapita), let highest = highestSpending {
                        let scale = max(own.scale, highest.scale)
                        value = (
                            highest.digits.timesTenToThe(scale - highest.scale)
                                - own.digits.timesTenToThe(scale - own.scale), scale
                        )
                    }
                case .greenScore:
                    value = inputs.scores[recipient].map { Rational.scaledDecimal($0) } ?? (0, 0)
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

    /// Step 4's outcome for one recipient: m_r, the band and composite behind it, why it is 0 when it is, and the
    /// binding targets that reduced it.
    struct Multiplier {
        var multiplier: Rational
        var band: Rational?
        var composite: String?
        var withheldReason: String?
        var missed: (targets: [String], bandMultiplier: Rational, targetMultiplier: Rational)?
    }

    /// Step 4: the multiplier from the score bands, times the rule's `missedBindingTarget` multiplier when the
    /// recipient missed a binding target, or the reason a recipient is withheld. The composite comes back as its
    /// two-decimal text.
    static func multiplier(_ recipient: String, rule: AllocationRule, inputs: AllocationInputs) throws(AllocationError)
        -> Multiplier
    {
        var result = try bandMultiplier(recipient, rule: rule, inputs: inputs)
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

    static func bandMultiplier(_ recipient: String, rule: AllocationRule, inputs: AllocationInputs)
        throws(AllocationError) -> Multiplier
    {
        guard rule.needsScores else { return Multiplier(multiplier: .one) }
        guard let text = inputs.scores[recipient], let parts = Rational.scaledDecimal(text) else {
            if rule.withholdsMissingScores {
                return Multiplier(
                    multiplier: .zero, withheldReason: "no finalized score in period \(rule.assessmentPeriod ?? "")")
            }
            throw AllocationError(
                pointer: "/assessmentPeriod",
                detail: "\(recipient) has no finalized score in period \(rule.assessmentPeriod ?? ""); "
                    + "score it, or publish the rule with \"missingScore\": \"withhold\"")
        }
        // minScore ≤ digits / 10^scale, without building (and reducing) the composite as a fraction.
        let scaleFactor = BigInt.tenToThe(parts.scale)
        let composite =
            parts.scale == 2 && !text.hasPrefix("-") && (text.first != "0" || text.hasPrefix("0."))
            ? text : Rational(parts.digits, scaleFactor).decimalString(scale: 2)
        guard
            let band = rule.bands.first(where: {
                $0.minScore.numerator * scaleFactor
                    <= ($0.minScore.isInteger ? parts.digits : parts.digits * $0.minScore.denominator)
            })
        else {
            return Multiplier(multiplier: .one, composite: composite)
        }
        let reason =
            band.multiplier == .zero
            ? "composite \(composite) falls in the band from \(band.minScore.decimalString(scale: 2)), whose multiplier is 0"
            : nil
        return Multiplier(
            multiplier: band.multiplier, band: band.minScore, composite: composite, withheldReason: reason)
    }

    /// Shares after the cap: recipients in `fixed` hold the cap c = c_n / c_d; every other eligible recipient holds
    /// room × A_r / ΣA_free, with room = 1 − c·|fixed|, written over the shared denominator c_d × ΣA_free.
    struct CappedShares {
        let adjusted: [BigInt]
        let fixed: Set<Int>
        let cap: Rational?
        /// (c_d − c_n·|fixed|) and c_d × ΣA_free: free shares are roomNumerator × A_r / freeDenominator.
        let roomNumerator: BigInt
        let freeDenominator: BigInt

        func value(_ position: Int) -> Exact {
            if fixed.contains(position), let cap { return Exact(cap) }
            guard freeDenominator.isPositive else { return .zero }
            return Exact(unchecked: roomNumerator * adjusted[position], freeDenominator)
        }
    }

    /// Steps 5–6: q_r = A_r / ΣA; shares above the cap are fixed at it and the excess is shared among the others in
    /// proportion to their shares, until none exceeds it.
    static func cappedShares(adjusted: [BigInt], total: BigInt, cap: Rational?, tranche: String)
        throws(AllocationError) -> CappedShares
    {
        guard total.isPositive else {
            return CappedShares(adjusted: adjusted, fixed: [], cap: cap, roomNumerator: 0, freeDenominator: 0)
        }
        guard let cap else {
            return CappedShares(adjusted: adjusted, fixed: [], cap: nil, roomNumerator: 1, freeDenominator: total)
        }
        let eligible = adjusted.indices.filter { adjusted[$0].isPositive }
        guard Rational(eligible.count) * cap >= .one else {
            throw AllocationError(
                pointer: "/maxShareOfTranche",
                detail:
                    "tranche \(tranche) has \(eligible.count) eligible recipients; a cap of \(cap.decimalString(scale: 4)) "
                    + "each cannot place all of it")
        }
        var fixed: Set<Int> = []
        var freeTotal = total
        while true {
            let room = cap.denominator - cap.numerator * BigInt(small: Int64(fixed.count))
            // room × A_r / (c_d × ΣA_free) > c_n / c_d  ⟺  room × A_r > c_n × ΣA_free
            let over = eligible.filter { !fixed.contains($0) && room * adjusted[$0] > cap.numerator * freeTotal }
            if over.isEmpty {
                return CappedShares(
                    adjusted: adjusted, fixed: fixed, cap: cap, roomNumerator: room,
                    freeDenominator: cap.denominator * freeTotal)
            }
            for position in over {
                fixed.insert(position)
                freeTotal -= adjusted[position]
            }
        }
    }

    /// Step 7: floor each exact amount T × q'_r, then give the fen left over one each to the largest fractional
    /// parts, ties broken by recipient code ascending (recipients are sorted by code, so by position).
    static func largestRemainder(amountFen: Int64, shares: [Exact]) -> [(floor: Int64, remainder: Int64)] {
        let total = BigInt(small: amountFen)
        var floors: [Int64] = []
        var remainders: [BigInt] = []
        floors.reserveCapacity(shares.count)
        remainders.reserveCapacity(shares.count)
        for share in shares {
            let (quotient, remainder) = (total * share.numerator).quotientAndRemainder(dividingBy: share.denominator)
            floors.append(Int64(small: quotient))
            remainders.append(remainder)
        }
        let left = amountFen - floors.reduce(0, +)
        precondition(left >= 0 && left <= Int64(shares.count), "rounding left \(left) fen")
        var result = floors.map { (floor: $0, remainder: Int64(0)) }
        guard left > 0 else { return result }
        // Every fraction over one common denominator (there are at most two distinct ones: the free shares' and
        // the cap's), so the sort compares integers only.
        var common = BigInt(1)
        var seen: [BigInt] = []
        for share in shares where !seen.contains(share.denominator) {
            seen.append(share.denominator)
            common = lcm(common, share.denominator)
        }
        // Remainders are never negative: their magnitudes, compared once per pair (not `!=` and then `>`).
        let keys = shares.indices.map { position in
            shares[position].denominator == common
                ? remainders[position].magnitude
                : remainders[position].magnitude * (common / shares[position].denominator).magnitude
        }
        let order = shares.indices.sorted { lhs, rhs in
            switch BigUInt.compare(keys[lhs], keys[rhs]) {
            case .orderedDescending: true
            case .orderedAscending: false
            case .orderedSame: lhs < rhs
            }
        }
        for position in order.prefix(Int(left)) { result[position].remainder = 1 }
        return result
    }

    static func lcm(_ a: BigInt, _ b: BigInt) -> BigInt { a == b ? a : a / a.greatestCommonDivisor(with: b) * b }
}
