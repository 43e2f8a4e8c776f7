import EcoFundCore
import Foundation
import Testing

/// Properties of advances, settlements and missed binding targets (DESIGN.md "Accountability") over the seeded
/// random rules of ``AllocatorPropertyTests``.
@Suite struct SettlementPropertyTests {
    static let cases = 300

    struct Cycle {
        var plain: AllocationRule
        /// The plain rule as written.
        var document: RuleDocument
        var settlement: AllocationRule
        var inputs: AllocationInputs
        /// The advance runs' allocations, each computed on its own share of the year.
        var advances: [String: AllocationInputs.Advance]
        var seed: UInt64
    }

    /// A year's cycle: the plain rule with a fixed pool; one or two advance runs of part of it, on other scores;
    /// the settlement of the year with some recipients missing binding targets.
    static func cycle(seed: UInt64) throws -> Cycle? {
        var example = AllocatorPropertyTests.makeCase(seed: seed)
        var random = SeededGenerator(seed: seed &* 97)
        let poolFen = Int64.random(in: 1_000_000...9_000_000_000, using: &random)
        example.document.pool = .init(kind: "fixed", amount: Money(fen: poolFen).decimalString)
        let plain = try AllocationRule(example.document)
        var advances: [String: AllocationInputs.Advance] = [:]
        for run in 0..<Int.random(in: 1...2, using: &random) {
            var advance = example.document
            advance.code = "prop-advance"
            advance.kind = "advance"
            advance.fiscalYear = 2025
            advance.pool = .init(
                kind: "fixed",
                amount: Money(fen: poolFen * Int64.random(in: 10...60, using: &random) / 100).decimalString)
            var scores = example.inputs.scores
            for key in scores.keys.sorted() where Bool.random(using: &random) {
                scores[key] = String(Int.random(in: 0...100, using: &random))
            }
            let inputs = AllocationInputs(
                availableFen: example.inputs.availableFen, poolOverride: nil,
                jurisdictions: example.inputs.jurisdictions, scores: scores)
            guard let allocation = try? Allocator.allocate(try AllocationRule(advance), inputs: inputs) else {
                return nil
            }
            for recipient in allocation.allocations where recipient.amount.fen > 0 {
                let previous = advances[recipient.recipient]
                advances[recipient.recipient] = .init(
                    amount: (previous?.amount ?? .zero) + recipient.amount,
                    runs: (previous?.runs ?? []) + ["run-\(run)"])
            }
        }
        var settlement = example.document
        settlement.code = "prop-settlement"
        settlement.kind = "settlement"
        settlement.fiscalYear = 2025
        settlement.settles = "prop-advance"
        settlement.missedBindingTarget = .init(multiplier: ["0", "0.5", "0.75", "1"].randomElement(using: &random)!)
        var missed: [String: [String]] = [:]
        for code in example.inputs.jurisdictions.keys.sorted() where Int.random(in: 0..<4, using: &random) == 0 {
            missed[code] = ["pm25"]
        }
        let inputs = AllocationInputs(
            availableFen: example.inputs.availableFen, poolOverride: nil, jurisdictions: example.inputs.jurisdictions,
            scores: example.inputs.scores, missedTargets: missed, advances: advances)
        return Cycle(
            plain: plain, document: example.document, settlement: try AllocationRule(settlement), inputs: inputs,
            advances: advances, seed: seed)
    }

    static func withoutAdvances(_ inputs: AllocationInputs, missedTargets: [String: [String]]?) -> AllocationInputs {
        AllocationInputs(
            availableFen: inputs.availableFen, poolOverride: inputs.poolOverride, jurisdictions: inputs.jurisdictions,
            scores: inputs.scores, missedTargets: missedTargets, advances: nil)
    }

    @Test func advancesAndSettlementAddUpToTheTranchesLessRetained() throws {
        var settled = 0
        var clawbacks = 0
        for seed in UInt64(1)...UInt64(Self.cases) {
            guard let cycle = try Self.cycle(seed: seed),
                let allocation = try? Allocator.allocate(cycle.settlement, inputs: cycle.inputs)
            else { continue }
            settled += 1
            let placed = allocation.tranches.filter { !$0.retained }.reduce(Money.zero) { $0 + $1.amount }
            var total = Money.zero
            for recipient in allocation.allocations {
                let advanced = cycle.advances[recipient.recipient]?.amount ?? .zero
                let settlement = try #require(recipient.derivation.settlement, "seed \(seed)")
                #expect(settlement.advanced == advanced, "seed \(seed): a_r of \(recipient.recipient)")
                #expect(settlement.advanceRuns == (cycle.advances[recipient.recipient]?.runs ?? []), "seed \(seed)")
                // s_r is granted when positive and clawed back when negative, never both.
                #expect(
                    recipient.amount - (recipient.clawback ?? .zero) == settlement.difference,
                    "seed \(seed): s_r of \(recipient.recipient)")
                #expect(recipient.amount == .zero || recipient.clawback == nil, "seed \(seed)")
                #expect((recipient.clawback ?? .zero) <= advanced, "seed \(seed): clawback above the advance")
                // A recipient ends with exactly x_r, never more.
                #expect(advanced + settlement.difference == settlement.finalAmount, "seed \(seed)")
                total = total + advanced + settlement.difference
                if recipient.clawback != nil { clawbacks += 1 }
            }
            #expect(total == placed, "seed \(seed): Σ(a_r + s_r) = \(total), tranches less retained = \(placed)")
        }
        #expect(settled > Self.cases / 3, "only \(settled) cycles could be settled")
        #expect(clawbacks > 0, "no case clawed anything back")
    }

    @Test func aSettlementWithNoAdvancesEqualsThePlainAllocation() throws {
        var compared = 0
        for seed in UInt64(1)...UInt64(Self.cases) {
            guard let cycle = try Self.cycle(seed: seed) else { continue }
            let inputs = Self.withoutAdvances(cycle.inputs, missedTargets: nil)
            guard let plain = try? Allocator.allocate(cycle.plain, inputs: inputs) else { continue }
            // The same rule without the missed-target reduction: only the kind differs from the plain rule.
            var document = cycle.document
            document.kind = "settlement"
            document.fiscalYear = 2025
            document.settles = "prop-advance"
            let unreduced = try AllocationRule(document)
            let settlement = try Allocator.allocate(unreduced, inputs: inputs)
            compared += 1
            #expect(settlement.pool == plain.pool && settlement.tranches == plain.tranches, "seed \(seed)")
            for (settled, allocated) in zip(settlement.allocations, plain.allocations) {
                #expect(settled.recipient == allocated.recipient && settled.amount == allocated.amount, "seed \(seed)")
                #expect(settled.clawback == nil, "seed \(seed)")
                #expect(settled.derivation.settlement?.finalAmount == allocated.amount, "seed \(seed)")
                #expect(settled.derivation.settlement?.advanced == .zero, "seed \(seed)")
                var derivation = settled.derivation
                derivation.settlement = nil
                #expect(derivation == allocated.derivation, "seed \(seed): the working differs")
            }
        }
        #expect(compared > Self.cases / 3)
    }

    @Test func aMissedBindingTargetNeverRaisesAnAmount() throws {
        var compared = 0
        var reduced = 0
        for seed in UInt64(1)...UInt64(Self.cases) {
            guard let cycle = try Self.cycle(seed: seed) else { continue }
            let missed = cycle.inputs.missedTargets ?? [:]
            guard
                let with = try? Allocator.allocate(
                    cycle.settlement, inputs: Self.withoutAdvances(cycle.inputs, missedTargets: missed)),
                let without = try? Allocator.allocate(
                    cycle.settlement, inputs: Self.withoutAdvances(cycle.inputs, missedTargets: nil))
            else { continue }
            compared += 1
            for (after, before) in zip(with.allocations, without.allocations) where missed[after.recipient] != nil {
                #expect(
                    after.amount <= before.amount, "seed \(seed): \(after.recipient) \(before.amount) → \(after.amount)"
                )
                #expect(
                    after.derivation.exactAmount.rational <= before.derivation.exactAmount.rational, "seed \(seed)")
                if after.derivation.missedTargets != nil {
                    #expect(after.derivation.missedTargets == ["pm25"], "seed \(seed)")
                    #expect(after.derivation.targetMultiplier?.rational == cycle.settlement.missedTargetMultiplier)
                    if after.amount < before.amount { reduced += 1 }
                }
            }
        }
        #expect(compared > Self.cases / 3)
        #expect(reduced > 0, "no missed target reduced anything")
    }

    @Test func settlementRulesAreChecked() throws {
        var document = AllocatorPropertyTests.makeCase(seed: 1).document
        document.pool = .init(kind: "fixed", amount: "1000.00")
        document.kind = "settlement"
        #expect(throws: ValidationError.self) { try AllocationRule(document) }  // no fiscalYear
        document.fiscalYear = 2025
        let missingSettles = #expect(throws: ValidationError.self) { try AllocationRule(document) }
        #expect(missingSettles?.pointer == "/settles")
        document.settles = "prop-advance"
        document.pool = .init(kind: "shareOfAvailable", share: "0.5")
        let pool = #expect(throws: ValidationError.self) { try AllocationRule(document) }
        #expect(pool?.pointer == "/pool/kind")
        document.pool = .init(kind: "fixed", amount: "1000.00")
        document.missedBindingTarget = .init(multiplier: "1.5")
        let multiplier = #expect(throws: ValidationError.self) { try AllocationRule(document) }
        #expect(multiplier?.pointer == "/missedBindingTarget/multiplier")
        document.missedBindingTarget = .init(multiplier: "0.50")
        #expect(try AllocationRule(document).kind == .settlement)
        document.kind = "bonus"
        #expect((#expect(throws: ValidationError.self) { try AllocationRule(document) })?.pointer == "/kind")
    }

    /// An advance recipient the settlement does not name could never be settled: refused, naming `/settles`.
    @Test func anAdvanceRecipientOutsideTheSettlementIsRefused() throws {
        guard let cycle = try (1...50).lazy.compactMap({ try Self.cycle(seed: $0) }).first else {
            Issue.record("no cycle")
            return
        }
        var advances = cycle.advances
        advances["elsewhere"] = .init(amount: Money(fen: 100), runs: ["run-x"])
        let inputs = AllocationInputs(
            availableFen: cycle.inputs.availableFen, poolOverride: nil, jurisdictions: cycle.inputs.jurisdictions,
            scores: cycle.inputs.scores, missedTargets: nil, advances: advances)
        let error = #expect(throws: AllocationError.self) { try Allocator.allocate(cycle.settlement, inputs: inputs) }
        #expect(error?.pointer == "/settles")
    }
}
