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
    /// For a rule with `missedBindingTarget`: the binding targets each recipient missed in the rule's period, by
    /// indicator code (recipients who missed none are absent).
    public let missedTargets: [String: [String]]?
    /// For a settlement: what each recipient was granted by posted runs of the advance rule it settles.
    public let advances: [String: Advance]?

    /// a_r: a recipient's grants by posted advance runs of the fiscal year, and the runs they came from.
    public struct Advance: Hashable, Sendable, Codable {
        public let amount: Money
        /// The advance runs summed, by id.
        public let runs: [String]

        public init(amount: Money, runs: [String]) {
            self.amount = amount
            self.runs = runs
        }
    }

    public init(
        availableFen: Int64, poolOverride: Money?, jurisdictions: [String: Reference], scores: [String: String],
        missedTargets: [String: [String]]? = nil, advances: [String: Advance]? = nil
    ) {
        self.availableFen = availableFen
        self.poolOverride = poolOverride
        self.jurisdictions = jurisdictions
        self.scores = scores
        self.missedTargets = missedTargets
        self.advances = advances
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
        /// m_r: the band's multiplier, times the rule's `missedBindingTarget` multiplier when a target was missed
        public let multiplier: Exact
        /// The binding targets of the rule's period the recipient missed, by indicator code, when the rule reduces for
        /// them and there were any.
        public let missedTargets: [String]?
        /// The band's own multiplier, when a missed binding target reduced it.
        public let bandMultiplier: Exact?
        /// The rule's multiplier for a missed binding target, when it applied.
        public let targetMultiplier: Exact?
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
        /// For a settlement: x_r, a_r and s_r.
        public var settlement: Settlement?

        /// A settlement's working for one recipient: s_r = x_r − a_r.
        public struct Settlement: Hashable, Sendable, Codable {
            /// x_r: the amount the rule gives for the year (floorFen + remainderFen)
            public let finalAmount: Money
            /// a_r: granted by the posted advance runs
            public let advanced: Money
            /// The advance runs summed into a_r, by id.
            public let advanceRuns: [String]
            /// s_r = x_r − a_r: granted by this run when positive, clawed back when negative
            public let difference: Money

            public init(finalAmount: Money, advanced: Money, advanceRuns: [String]) {
                self.finalAmount = finalAmount
                self.advanced = advanced
                self.advanceRuns = advanceRuns
                self.difference = finalAmount - advanced
            }
        }

        public init(
            factors: [Factor], weightedShare: Exact, composite: String?, bandMinScore: Exact?, multiplier: Exact,
            adjustedWeight: Exact, share: Exact, cappedShare: Exact, capped: Bool, exactAmount: Exact, floorFen: Int64,
            remainderFen: Int64, missedTargets: [String]? = nil, bandMultiplier: Exact? = nil,
            targetMultiplier: Exact? = nil, settlement: Settlement? = nil
        ) {
            self.missedTargets = missedTargets
            self.bandMultiplier = bandMultiplier
            self.targetMultiplier = targetMultiplier
            self.settlement = settlement
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
        /// What the run grants: for a settlement, s_r when it is positive, else 0.
        public let amount: Money
        /// For a settlement whose s_r is negative: −s_r, recovered by a clawback when the run posts.
        public let clawback: Money?
        public let withheld: Bool
        public let withheldReason: String?
        public let derivation: Derivation

        public init(
            recipient: String, tranche: String, amount: Money, withheld: Bool, withheldReason: String?,
            derivation: Derivation, clawback: Money? = nil
        ) {
            self.recipient = recipient
            self.tranche = tranche
            self.amount = amount
            self.clawback = clawback
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

    /// Σ of the recipients' amounts; with the retained tranches, exactly the pool (for a settlement, the pool less
    /// what the advances granted, plus what is clawed back).
    public var allocated: Money { allocations.reduce(Money.zero) { $0 + $1.amount } }
    /// Σ of the clawbacks a settlement posts.
    public var clawedBack: Money { allocations.reduce(Money.zero) { $0 + ($1.clawback ?? .zero) } }
    /// Σ x_r: what the rule gives for the year, advances included (for other kinds, what is allocated).
    public var finalTotal: Money {
        allocations.reduce(Money.zero) { $0 + ($1.derivation.settlement?.finalAmount ?? $1.amount) }
    }
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
