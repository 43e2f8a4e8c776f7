import BigInt

/// The allocator: pure, deterministic, exact. DESIGN.md "Allocation rules" is its definition.
///
/// Inside a tranche every quantity is an integer over a denominator shared by all recipients, so the work per
/// recipient is a few integer multiplications and no fraction ever needs reducing: factor values v_rf = n_rf / D_f,
/// weighted shares w_r = W_r / L, adjusted weights a_r = A_r / (L·M), shares q_r = A_r / ΣA. The test suite checks
/// it against a literal rational transcription of the design (`ReferenceAllocator`) on hundreds of random rules.
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
            tranches.append(
                .init(name: tranche.name, amount: Money(fen: amount), retained: recipients.allSatisfy(\.withheld)))
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
        var multipliers: [(multiplier: Rational, band: Rational?, composite: Rational?, withheldReason: String?)] = []
        for recipient in recipients { multipliers.append(try multiplier(recipient, rule: rule, inputs: inputs)) }
        // a_r = w_r × μ_r / ν_r = A_r / (L × M) with M = lcm of the multipliers' denominators.
        let commonM = multipliers.reduce(BigInt(1)) { lcm($0, $1.multiplier.denominator) }
        let adjusted = recipients.indices.map { position in
            let multiplier = multipliers[position].multiplier
            return weighted[position] * multiplier.numerator * (commonM / multiplier.denominator)
        }
        let adjustedTotal = adjusted.reduce(BigInt(0), +)
        let placed = adjustedTotal > 0 ? amountFen : 0
        let shares = try cappedShares(
            adjusted: adjusted, total: adjustedTotal, cap: rule.maxShareOfTranche, tranche: tranche.name)
        let amounts = largestRemainder(amountFen: placed, shares: shares, recipients: recipients)
        return recipients.indices.map { position in
            let (multiplier, band, composite, reason) = multipliers[position]
            let share = adjustedTotal > 0 ? Exact(adjusted[position], adjustedTotal) : .zero
            let derivation = Allocation.Derivation(
                factors: columns.map { column in
                    .init(
                        key: column.key.rawValue, weight: Exact(column.weight),
                        value: Exact(column.numerators[position], column.denominator),
                        total: Exact(column.total, column.denominator),
                        share: Exact(column.numerators[position], column.total))
                },
                weightedShare: Exact(weighted[position], commonL), composite: composite?.decimalString(scale: 2),
                bandMinScore: band.map { Exact($0) }, multiplier: Exact(multiplier),
                adjustedWeight: Exact(adjusted[position], commonL * commonM), share: share,
                cappedShare: shares.value(position), capped: shares.fixed.contains(position),
                exactAmount: Exact(
                    BigInt(placed) * shares.value(position).numerator, shares.value(position).denominator),
                floorFen: amounts[position].floor, remainderFen: amounts[position].remainder)
            return Allocation.Recipient(
                recipient: recipients[position], tranche: tranche.name,
                amount: Money(fen: amounts[position].floor + amounts[position].remainder),
                withheld: multiplier == .zero, withheldReason: reason, derivation: derivation)
        }
    }

    /// Step 3: each factor's values over the tranche, as integers over a shared denominator.
    static func factorColumns(
        tranche: AllocationRule.Tranche, at: String, rule: AllocationRule, inputs: AllocationInputs
    ) throws(AllocationError) -> [FactorColumn] {
        let spending = inputs.jurisdictions.values.compactMap { Rational(decimal: $0.envSpendingPerCapita) }
        let highestSpending = spending.max() ?? .zero
        var columns: [FactorColumn] = []
        for (key, weight) in rule.factors {
            var values: [Rational] = []
            for (position, recipient) in tranche.recipients.enumerated() {
                guard let reference = inputs.jurisdictions[recipient] else {
                    throw AllocationError(
                        pointer: "\(at)/recipients/\(position)", detail: "no jurisdiction \(recipient)")
                }
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
                values.append(value)
            }
            let denominator = values.reduce(BigInt(1)) { lcm($0, $1.denominator) }
            let numerators = values.map { $0.numerator * (denominator / $0.denominator) }
            let total = numerators.reduce(BigInt(0), +)
            guard total > 0 else {
                throw AllocationError(
                    pointer: at, detail: "factor \(key.rawValue) sums to 0 over tranche \(tranche.name)'s recipients")
            }
            columns.append(
                FactorColumn(key: key, weight: weight, numerators: numerators, denominator: denominator, total: total))
        }
        return columns
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
            guard freeDenominator > 0 else { return .zero }
            return Exact(roomNumerator * adjusted[position], freeDenominator)
        }
    }

    /// Steps 5–6: q_r = A_r / ΣA; shares above the cap are fixed at it and the excess is shared among the others in
    /// proportion to their shares, until none exceeds it.
    static func cappedShares(adjusted: [BigInt], total: BigInt, cap: Rational?, tranche: String)
        throws(AllocationError) -> CappedShares
    {
        guard total > 0 else {
            return CappedShares(adjusted: adjusted, fixed: [], cap: cap, roomNumerator: 0, freeDenominator: 0)
        }
        guard let cap else {
            return CappedShares(adjusted: adjusted, fixed: [], cap: nil, roomNumerator: 1, freeDenominator: total)
        }
        let eligible = adjusted.indices.filter { adjusted[$0] > 0 }
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
            let room = cap.denominator - cap.numerator * BigInt(fixed.count)
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
    /// parts, ties broken by recipient code ascending (recipients are sorted by code).
    static func largestRemainder(amountFen: Int64, shares: CappedShares, recipients: [String])
        -> [(floor: Int64, remainder: Int64)]
    {
        let total = BigInt(amountFen)
        var floors: [Int64] = []
        var fractions: [(numerator: BigInt, denominator: BigInt)] = []
        for position in recipients.indices {
            let share = shares.value(position)
            let (quotient, remainder) = (total * share.numerator).quotientAndRemainder(dividingBy: share.denominator)
            floors.append(Int64(quotient))
            fractions.append((remainder, share.denominator))
        }
        let left = amountFen - floors.reduce(0, +)
        precondition(left >= 0 && left <= Int64(recipients.count), "rounding left \(left) fen")
        var result = floors.map { (floor: $0, remainder: Int64(0)) }
        guard left > 0 else { return result }
        let order = recipients.indices.sorted { lhs, rhs in
            let (a, b) = (fractions[lhs], fractions[rhs])
            if a.denominator == b.denominator {
                return a.numerator != b.numerator ? a.numerator > b.numerator : lhs < rhs
            }
            let (left, right) = (a.numerator * b.denominator, b.numerator * a.denominator)
            return left != right ? left > right : lhs < rhs
        }
        for position in order.prefix(Int(left)) { result[position].remainder = 1 }
        return result
    }

    static func lcm(_ a: BigInt, _ b: BigInt) -> BigInt {
        a == b ? a : a / a.greatestCommonDivisor(with: b) * b
    }
}
