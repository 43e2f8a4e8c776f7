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

        public init(name: String, amount: Money, retained: Bool) {
            self.name = name
            self.amount = amount
            self.retained = retained
        }
    }

    /// Every intermediate value of DESIGN.md steps 3–7 for one recipient, exact (fractions or decimal strings).
    public struct Derivation: Hashable, Sendable, Codable {
        public struct Factor: Hashable, Sendable, Codable {
            public let key: String
            public let weight: Exact
            /// v_rf
            public let value: Exact
            /// Σ v_f over the tranche's recipients
            public let total: Exact
            /// s_rf = value / total
            public let share: Exact

            public init(key: String, weight: Exact, value: Exact, total: Exact, share: Exact) {
                self.key = key
                self.weight = weight
                self.value = value
                self.total = total
                self.share = share
            }
        }

        public let factors: [Factor]
        /// w_r = Σ weight × share
        public let weightedShare: Exact
        /// The finalized composite, when the rule uses scores and there is one, with two decimals.
        public let composite: String?
        /// The minScore of the band the composite falls in.
        public let bandMinScore: Exact?
        /// m_r
        public let multiplier: Exact
        /// a_r = w_r × m_r
        public let adjustedWeight: Exact
        /// q_r = a_r / Σ a_r, before the cap
        public let share: Exact
        /// q_r after the cap was applied (equal to `share` when no cap bound)
        public let cappedShare: Exact
        /// True when the recipient's share was fixed at the cap.
        public let capped: Bool
        /// T_k × q_r, exact
        public let exactAmount: Exact
        /// floor(exact amount), in fen
        public let floorFen: Int64
        /// 1 when this recipient received one of the fen left over by flooring, else 0
        public let remainderFen: Int64

        public init(
            factors: [Factor], weightedShare: Exact, composite: String?, bandMinScore: Exact?, multiplier: Exact,
            adjustedWeight: Exact, share: Exact, cappedShare: Exact, capped: Bool, exactAmount: Exact, floorFen: Int64,
            remainderFen: Int64
        ) {
            self.factors = factors
            self.weightedShare = weightedShare
            self.composite = composite
            self.bandMinScore = bandMinScore
            self.multiplier = multiplier
            self.adjustedWeight = adjustedWeight
            self.share = share
            self.cappedShare = cappedShare
            self.capped = capped
            self.exactAmount = exactAmount
            self.floorFen = floorFen
            self.remainderFen = remainderFen
        }
    }

    public struct Recipient: Hashable, Sendable, Codable {
        public let recipient: String
        public let tranche: String
        public let amount: Money
        public let withheld: Bool
        public let withheldReason: String?
        public let derivation: Derivation

        public init(
            recipient: String, tranche: String, amount: Money, withheld: Bool, withheldReason: String?,
            derivation: Derivation
        ) {
            self.recipient = recipient
            self.tranche = tranche
            self.amount = amount
            self.withheld = withheld
            self.withheldReason = withheldReason
            self.derivation = derivation
        }
    }

    public let pool: Money
    public let tranches: [Tranche]
    public let allocations: [Recipient]

    public init(pool: Money, tranches: [Tranche], allocations: [Recipient]) {
        self.pool = pool
        self.tranches = tranches
        self.allocations = allocations
    }

    /// Σ of the recipients' amounts; with the retained tranches, exactly the pool.
    public var allocated: Money { allocations.reduce(Money.zero) { $0 + $1.amount } }
}

/// Why an allocation cannot be computed from these inputs (422, naming the rule path or the recipient).
public struct AllocationError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public let pointer: String
    public let detail: String

    public init(pointer: String, detail: String) {
        self.pointer = pointer
        self.detail = detail
    }

    public var description: String { "\(pointer): \(detail)" }

    public var problem: ProblemFacts {
        ProblemFacts(status: 422, kind: "allocation-infeasible", detail: detail, pointer: pointer)
    }
}
