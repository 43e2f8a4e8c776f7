import BigInt
import EcoFundCore
import Foundation
import Testing

/// SplitMix64: a small seeded generator, so every property case can be reproduced from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Properties of the allocator over random rules and inputs (DESIGN.md "Allocation rules"), each case seeded.
@Suite struct AllocatorPropertyTests {
    static let cases = 400

    struct Case {
        var document: RuleDocument
        var inputs: AllocationInputs
    }

    /// Splits 1 into `count` random positive parts of 1/denominator, as decimal strings.
    static func parts(_ count: Int, using random: inout SeededGenerator) -> [String] {
        let denominator = 1000
        var cuts = Set<Int>()
        while cuts.count < count - 1 { cuts.insert(Int.random(in: 1..<denominator, using: &random)) }
        let points = [0] + cuts.sorted() + [denominator]
        return zip(points, points.dropFirst()).map { Rational($1 - $0) / Rational(denominator) }.map {
            $0.decimalString(scale: 3)
        }
    }

    static func makeCase(seed: UInt64) -> Case {
        var random = SeededGenerator(seed: seed)
        let trancheCount = Int.random(in: 1...3, using: &random)
        var recipients: [[String]] = []
        var jurisdictions: [String: AllocationInputs.Reference] = [:]
        var scores: [String: String] = [:]
        var number = 0
        for _ in 0..<trancheCount {
            var names: [String] = []
            for _ in 0..<Int.random(in: 1...7, using: &random) {
                number += 1
                let name = "r\(number)"
                names.append(name)
                jurisdictions[name] = .init(
                    population: String(Int.random(in: 1...20_000_000, using: &random)),
                    ecologicalArea:
                        "\(Int.random(in: 0...40_000, using: &random)).\(Int.random(in: 10...99, using: &random))",
                    envSpendingPerCapita: String(Int.random(in: 200...1500, using: &random)))
                if Int.random(in: 0..<10, using: &random) > 0 {
                    scores[name] = Rational(Int.random(in: 0...10_000, using: &random)) / Rational(100) |> {
                        $0.decimalString(scale: 2)
                    }
                }
            }
            recipients.append(names)
        }
        let shares = parts(trancheCount, using: &random)
        let keys = ["population", "ecologicalArea", "envSpendingGap", "greenScore"].shuffled(using: &random)
        let factorKeys = Array(keys.prefix(Int.random(in: 1...4, using: &random)))
        let weights = parts(factorKeys.count, using: &random)
        let bands: [RuleDocument.Band]? =
            Bool.random(using: &random)
            ? [
                .init(minScore: "90", multiplier: "1.2"), .init(minScore: "75", multiplier: "1"),
                .init(minScore: "60", multiplier: "0.8"), .init(minScore: "0", multiplier: "0"),
            ]
            : nil
        // Only caps that every tranche could meet if all its recipients were eligible; withholding may still make
        // one infeasible, which the allocator must refuse.
        let smallest = recipients.map(\.count).min() ?? 1
        let caps = [nil, "0.4", "0.5", "0.75", "1"].filter { cap in
            cap.map { Rational(smallest) * (Rational(decimal: $0) ?? .one) >= .one } ?? true
        }
        let document = RuleDocument(
            code: "prop", title: "Property case \(seed)",
            pool: Bool.random(using: &random)
                ? .init(kind: "shareOfAvailable", share: "0.\(Int.random(in: 10...99, using: &random))")
                : .init(
                    kind: "fixed", amount: Money(fen: Int64.random(in: 1...9_000_000_000, using: &random)).decimalString
                ),
            tranches: zip(shares, recipients).enumerated().map { index, pair in
                .init(name: "t\(index)", share: pair.0, recipients: pair.1)
            },
            factors: zip(factorKeys, weights).map { .init(key: $0, weight: $1) }, assessmentPeriod: "2025",
            scoreBands: bands, maxShareOfTranche: caps.randomElement(using: &random) ?? nil, missingScore: "withhold")
        let inputs = AllocationInputs(
            availableFen: Int64.random(in: 9_000_000_000...900_000_000_000, using: &random), poolOverride: nil,
            jurisdictions: jurisdictions, scores: scores)
        return Case(document: document, inputs: inputs)
    }

    static func encoded(_ allocation: Allocation) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(allocation)
    }

    @Test func invariantsHoldOverRandomRules() throws {
        var computed = 0
        for seed in UInt64(1)...UInt64(Self.cases) {
            let example = Self.makeCase(seed: seed)
            let rule = try AllocationRule(example.document)
            let allocation: Allocation
            do {
                allocation = try Allocator.allocate(rule, inputs: example.inputs)
            } catch {
                // Infeasible caps and tranches whose factor sums to 0 are refused, never mis-allocated.
                #expect(
                    error.pointer == "/maxShareOfTranche" || error.detail.contains("sums to 0"),
                    "seed \(seed): \(error)")
                continue
            }
            computed += 1
            let retained = allocation.tranches.filter(\.retained).reduce(Money.zero) { $0 + $1.amount }
            #expect(allocation.allocated + retained == allocation.pool, "seed \(seed): Σ ≠ pool")
            #expect(allocation.allocations.allSatisfy { $0.amount.fen >= 0 }, "seed \(seed): negative amount")
            #expect(allocation.allocations.filter(\.withheld).allSatisfy { $0.amount == .zero }, "seed \(seed)")
            for tranche in allocation.tranches where !tranche.retained {
                let members = allocation.allocations.filter { $0.tranche == tranche.name }
                #expect(
                    members.reduce(Money.zero) { $0 + $1.amount } == tranche.amount,
                    "seed \(seed): tranche \(tranche.name)")
                if let cap = rule.maxShareOfTranche {
                    let ceiling = (Rational(Int(tranche.amount.fen)) * cap).floor + 1
                    #expect(
                        members.allSatisfy { Rational(Int($0.amount.fen)) <= Rational(ceiling) }, "seed \(seed): cap")
                    #expect(
                        members.allSatisfy { $0.derivation.cappedShare.rational <= cap },
                        "seed \(seed)")
                }
            }
            // Same inputs, same bytes; the recipients' order in the document changes nothing.
            #expect(try Self.encoded(Allocator.allocate(rule, inputs: example.inputs)) == Self.encoded(allocation))
            var shuffled = example.document
            var random = SeededGenerator(seed: seed &* 31)
            shuffled.tranches = shuffled.tranches.map {
                .init(name: $0.name, share: $0.share, recipients: $0.recipients.shuffled(using: &random))
            }
            let permuted = try Allocator.allocate(try AllocationRule(shuffled), inputs: example.inputs)
            #expect(try Self.encoded(permuted) == Self.encoded(allocation), "seed \(seed): order matters")
        }
        #expect(computed > Self.cases / 2)
    }

    /// The production allocator (integers over shared denominators) gives exactly what the literal rational
    /// transcription of the design gives: every amount and every derivation value.
    @Test func equalsTheReferenceTranscriptionOfTheDesign() throws {
        var compared = 0
        for seed in UInt64(1)...UInt64(Self.cases) {
            let example = Self.makeCase(seed: seed)
            let rule = try AllocationRule(example.document)
            let fast = Result { () throws(AllocationError) in try Allocator.allocate(rule, inputs: example.inputs) }
            let reference = Result { () throws(AllocationError) in
                try ReferenceAllocator.allocate(rule, inputs: example.inputs)
            }
            switch (fast, reference) {
            case (.success(let fast), .success(let reference)):
                #expect(fast == reference, "seed \(seed)")
                compared += 1
            case (.failure, .failure):
                break
            default:
                Issue.record("seed \(seed): \(fast) but the reference gives \(reference)")
            }
        }
        #expect(compared > Self.cases / 2)
    }

    /// For each seeded case: one recipient, its allocation before, and after its score was raised by up to 30
    /// points (everything else fixed). Cases that cannot be allocated are skipped.
    static func raisedScores() throws -> [(seed: UInt64, before: Allocation.Recipient, after: Allocation.Recipient)] {
        var results: [(seed: UInt64, before: Allocation.Recipient, after: Allocation.Recipient)] = []
        for seed in UInt64(1)...UInt64(cases) {
            let example = makeCase(seed: seed)
            let rule = try AllocationRule(example.document)
            guard let before = try? Allocator.allocate(rule, inputs: example.inputs) else { continue }
            var random = SeededGenerator(seed: seed &+ 7)
            guard let target = before.allocations.randomElement(using: &random) else { continue }
            let old = Rational(decimalFraction: example.inputs.scores[target.recipient] ?? "0")
            let raised = min(old + Rational(Int.random(in: 1...3000, using: &random)) / Rational(100), .hundred)
            var scores = example.inputs.scores
            scores[target.recipient] = raised.decimalString(scale: 2)
            let inputs = AllocationInputs(
                availableFen: example.inputs.availableFen, poolOverride: nil,
                jurisdictions: example.inputs.jurisdictions,
                scores: scores)
            guard let after = try? Allocator.allocate(rule, inputs: inputs),
                let raisedTarget = after.allocations.first(where: { $0.recipient == target.recipient })
            else { continue }
            results.append((seed, target, raisedTarget))
        }
        return results
    }

    /// Raising one recipient's score, everything else fixed, never lowers its exact amount (before rounding) …
    @Test func raisingAScoreNeverLowersTheExactAmount() throws {
        for (seed, before, after) in try Self.raisedScores() {
            let (old, new) = (before.derivation.exactAmount.rational, after.derivation.exactAmount.rational)
            #expect(new >= old, "seed \(seed): \(before.recipient) \(old) → \(new)")
        }
    }

    /// … nor its amount in fen. Largest-remainder rounding could in principle take one fen away (the population
    /// paradox of Hamilton's method); this checks it does not happen in these cases.
    @Test func raisingAScoreNeverLowersTheAmount() throws {
        let lowered = try Self.raisedScores().filter { $0.after.amount < $0.before.amount }
        #expect(lowered.isEmpty, "\(lowered.map { "seed \($0.seed): \($0.before.amount) → \($0.after.amount)" })")
    }
}

infix operator |> : AdditionPrecedence
func |> <A, B>(value: A, transform: (A) -> B) -> B { transform(value) }

extension Rational {
    /// Parses the `"p/q"` or decimal strings a derivation carries (of any length, unlike request input).
    init(decimalFraction text: String) {
        let parts = text.split(separator: "/")
        if parts.count == 2, let numerator = BigInt(String(parts[0])), let denominator = BigInt(String(parts[1])) {
            self = Rational(numerator, denominator)
        } else if let value = Rational(decimal: text) {
            self = value
        } else {
            preconditionFailure("not a fraction or decimal: \(text)")
        }
    }
}
