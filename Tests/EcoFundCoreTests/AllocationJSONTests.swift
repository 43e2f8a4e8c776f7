import EcoFundCore
import Foundation
import Testing

/// `Allocation.jsonText`, written by hand for speed, is byte for byte what `JSONEncoder` writes with sorted keys and
/// unescaped slashes (the settings the store used), and reads back as the same allocation.
@Suite struct AllocationJSONTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func expectSameBytes(_ allocation: Allocation, _ label: String) throws {
        let text = allocation.jsonText
        #expect(Array(text.utf8) == Array(try encoder.encode(allocation)), "\(label): allocation")
        for recipient in allocation.allocations {
            #expect(
                Array(recipient.derivation.jsonText.utf8) == Array(try encoder.encode(recipient.derivation)),
                "\(label): derivation of \(recipient.recipient)")
        }
        #expect(try JSONDecoder().decode(Allocation.self, from: Data(text.utf8)) == allocation, "\(label): read back")
    }

    /// Plain rules of every shape the property tests draw: caps, bands, withheld recipients, several tranches.
    @Test func equalsJSONEncoderOverRandomRules() throws {
        var compared = 0
        for seed in UInt64(1)...UInt64(AllocatorPropertyTests.cases) {
            let example = AllocatorPropertyTests.makeCase(seed: seed)
            guard let allocation = try? Allocator.allocate(try AllocationRule(example.document), inputs: example.inputs)
            else { continue }
            try Self.expectSameBytes(allocation, "seed \(seed)")
            compared += 1
        }
        #expect(compared > AllocatorPropertyTests.cases / 2)
    }

    /// Settlements: clawbacks, the settlement's working, missed binding targets and their multipliers.
    @Test func equalsJSONEncoderOverSettlements() throws {
        var settled = 0
        var withClawback = 0
        var withMissedTargets = 0
        for seed in UInt64(1)...UInt64(SettlementPropertyTests.cases) {
            guard let cycle = try SettlementPropertyTests.cycle(seed: seed),
                let allocation = try? Allocator.allocate(cycle.settlement, inputs: cycle.inputs)
            else { continue }
            try Self.expectSameBytes(allocation, "seed \(seed)")
            settled += 1
            if allocation.allocations.contains(where: { $0.clawback != nil }) { withClawback += 1 }
            if allocation.allocations.contains(where: { $0.derivation.missedTargets != nil }) { withMissedTargets += 1 }
        }
        #expect(settled > 0 && withClawback > 0 && withMissedTargets > 0)
    }

    /// Text that needs escaping, in every string an allocation carries: each control character, quotes,
    /// backslashes, slashes, DEL, a line separator, Chinese and an emoji.
    @Test func escapesTextAsJSONEncoderDoes() throws {
        let controls = String(String.UnicodeScalarView((0..<32).compactMap { Unicode.Scalar(UInt8($0)) }))
        let awkward = controls + "\"\\/a\u{7F}\u{2028}承德市🇨🇳\"end\\"
        let derivation = Allocation.Derivation(
            factors: [
                .init(key: awkward, weight: Exact(3, 8), value: Exact(-6, 4), total: Exact(0, 7), share: Exact(5))
            ],
            weightedShare: Exact(10, 4), composite: awkward, bandMinScore: nil, multiplier: Exact(1),
            adjustedWeight: .zero,
            share: Exact(1, 3), cappedShare: Exact(1, 3), capped: true, exactAmount: Exact(-7, 2), floorFen: -3,
            remainderFen: 1, missedTargets: [awkward, "pm25"], bandMultiplier: Exact(6, 5),
            targetMultiplier: Exact(1, 2),
            settlement: .init(finalAmount: Money(fen: 5), advanced: Money(fen: 12), advanceRuns: [awkward]))
        let allocation = Allocation(
            pool: Money(fen: 1_000_000_000_000_000),
            tranches: [.init(name: awkward, amount: Money(fen: -1), retained: false)],
            allocations: [
                .init(
                    recipient: awkward, tranche: awkward, amount: .zero, withheld: true, withheldReason: awkward,
                    derivation: derivation, clawback: Money(fen: 7))
            ])
        try Self.expectSameBytes(allocation, "awkward text")
        #expect(allocation.allocations[0].derivation.weightedShare.description == "5/2")
        #expect(allocation.allocations[0].derivation.factors[0].value.description == "-3/2")
        #expect(allocation.allocations[0].derivation.factors[0].total.description == "0")
    }
}
