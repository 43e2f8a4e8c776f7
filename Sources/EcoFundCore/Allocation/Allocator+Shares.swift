import BigInt

extension Allocator {
    /// Shares after the cap: recipients in `fixed` hold the cap c = c_n / c_d; every other eligible recipient holds
    /// room × A_r / ΣA_free, with room = 1 − c·|fixed|, written over the shared denominator c_d × ΣA_free.
    struct CappedShares {
        let fixed: Set<Int>
        let cap: Rational?
        /// room × A_r by position, with room = c_d − c_n·|fixed| (1 without a cap), and c_d × ΣA_free: a free share
        /// is numerators[r] / freeDenominator. The products are the last round's of the cap test, not made again.
        let numerators: [BigInt]
        let freeDenominator: BigInt

        func value(_ position: Int) -> Exact {
            if fixed.contains(position), let cap { return Exact(cap) }
            guard freeDenominator.isPositive else { return .zero }
            return Exact(unchecked: numerators[position], freeDenominator)
        }
    }

    /// Steps 5–6: q_r = A_r / ΣA; shares above the cap are fixed at it and the excess is shared among the others in
    /// proportion to their shares, until none exceeds it.
    static func cappedShares(adjusted: [BigInt], total: BigInt, cap: Rational?, tranche: String)
        throws(AllocationError) -> CappedShares
    {
        guard total.isPositive else {
            return CappedShares(fixed: [], cap: cap, numerators: adjusted, freeDenominator: 0)
        }
        guard let cap else { return CappedShares(fixed: [], cap: nil, numerators: adjusted, freeDenominator: total) }
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
            let limit = cap.numerator * freeTotal
            var products = [BigInt](repeating: 0, count: adjusted.count)
            var over: [Int] = []
            for position in eligible where !fixed.contains(position) {
                products[position] = room * adjusted[position]
                if products[position] > limit { over.append(position) }
            }
            if over.isEmpty {
                return CappedShares(
                    fixed: fixed, cap: cap, numerators: products, freeDenominator: cap.denominator * freeTotal)
            }
            for position in over {
                fixed.insert(position)
                freeTotal -= adjusted[position]
            }
        }
    }

    /// Step 7: floor each exact amount T × q'_r (`amounts`, which add up to T = `amountFen`), then give the fen left
    /// over one each to the largest fractional parts, ties broken by recipient code ascending (recipients are sorted
    /// by code, so by position).
    static func largestRemainder(amountFen: Int64, amounts: [Exact]) -> [(floor: Int64, remainder: Int64)] {
        var floors: [Int64] = []
        var remainders: [BigUInt] = []
        floors.reserveCapacity(amounts.count)
        remainders.reserveCapacity(amounts.count)
        // Every amount has one of at most two denominators (the free shares' and the cap's).
        var divisors: [FenDivisor] = []
        for amount in amounts {
            precondition(!amount.numerator.isNegative, "an amount is never negative")
            let divisor: FenDivisor
            if let known = divisors.first(where: { $0.divisor == amount.denominator.magnitude }) {
                divisor = known
            } else {
                divisor = FenDivisor(amount.denominator.magnitude)
                divisors.append(divisor)
            }
            let (quotient, remainder) = divisor.divide(amount.numerator.magnitude)
            floors.append(Int64(quotient))
            remainders.append(remainder)
        }
        let left = amountFen - floors.reduce(0, +)
        precondition(left >= 0 && left <= Int64(amounts.count), "rounding left \(left) fen")
        var result = floors.map { (floor: $0, remainder: Int64(0)) }
        guard left > 0 else { return result }
        // Every remainder over one common denominator, the lcm of the distinct ones just met, so the sort compares
        // integers only.
        let common = divisors.reduce(BigUInt(1)) { lcm($0, $1.divisor) }
        let keys = amounts.indices.map { position in
            let denominator = amounts[position].denominator.magnitude
            return denominator == common ? remainders[position] : remainders[position] * (common / denominator)
        }
        // Each key is below `common`, so its bits from common's width less 64 up fit in a word: keys whose leading
        // words differ are ordered by them; only equal ones need the whole comparison.
        let shift = max(common.bitWidth - 64, 0)
        let leading = keys.map { FenDivisor.bits(of: $0, from: shift).low }
        let order = amounts.indices.sorted { lhs, rhs in
            if leading[lhs] != leading[rhs] { return leading[lhs] > leading[rhs] }
            switch BigUInt.compare(keys[lhs], keys[rhs]) {
            case .orderedDescending: return true
            case .orderedAscending: return false
            case .orderedSame: return lhs < rhs
            }
        }
        for position in order.prefix(Int(left)) { result[position].remainder = 1 }
        return result
    }

    /// The least common multiple of two positive denominators.
    static func lcm(_ a: BigInt, _ b: BigInt) -> BigInt {
        BigInt(sign: .plus, magnitude: lcm(a.magnitude, b.magnitude))
    }

    static func lcm(_ a: BigUInt, _ b: BigUInt) -> BigUInt { a == b ? a : a / a.greatestCommonDivisor(with: b) * b }

    /// Floor division of many dividends by one big divisor, where every quotient is an amount in fen (below 2^63):
    /// the quotient is estimated from the top 128 bits of the dividend over the divisor's top 64 and then corrected
    /// down exactly, one multiplication by a word and one subtraction, instead of a long division per recipient (which
    /// was a fifth of a 10,000-recipient allocation).
    struct FenDivisor {
        let divisor: BigUInt
        /// Bits dropped from both when estimating: the divisor's width less 64, or 0.
        private let shift: Int
        /// The divisor's top 64 bits (its top bit set when `shift` > 0).
        private let top: UInt64

        init(_ divisor: BigUInt) {
            precondition(!divisor.isZero, "division by zero")
            self.divisor = divisor
            shift = max(divisor.bitWidth - 64, 0)
            top = UInt64(FenDivisor.bits(of: divisor, from: shift).low)
        }

        func divide(_ dividend: BigUInt) -> (quotient: UInt64, remainder: BigUInt) {
            let (high, low) = Self.bits(of: dividend, from: shift)
            // Past either bound the quotient is at least 2^64 − 2: more fen than any amount holds, so no long
            // division is kept for it.
            precondition(
                dividend.bitWidth <= shift + 128 && high < top, "a share of an amount in fen exceeds the amount")
            // Never below the true quotient q: x ≥ q·D and D ≥ top·2^shift give ⌊x / 2^shift⌋ ≥ q·top. Above it by a
            // few at most (top ≥ 2^63 once shifted), so the first product at or below the dividend is q's.
            var quotient = top.dividingFullWidth((high: high, low: low)).quotient
            var product = divisor.multiplied(byWord: UInt(quotient))
            while product > dividend {
                quotient -= 1
                product -= divisor
            }
            let remainder = dividend - product
            assert(remainder < divisor, "the estimate was below the quotient")
            return (quotient, remainder)
        }

        /// Bits `from ..< from + 128` of `value`, as two words.
        static func bits(of value: BigUInt, from shift: Int) -> (high: UInt64, low: UInt64) {
            let words = value.words
            let (index, offset) = shift.quotientAndRemainder(dividingBy: 64)
            func word(_ position: Int) -> UInt64 { position < words.count ? UInt64(words[position]) : 0 }
            func shifted(_ position: Int) -> UInt64 {
                offset == 0
                    ? word(index + position)
                    : word(index + position) >> offset | word(index + position + 1) << (64 - offset)
            }
            return (shifted(1), shifted(0))
        }
    }
}
