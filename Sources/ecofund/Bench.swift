import ArgumentParser
import EcoFundCore
import Foundation

/// Micro-benchmarks of pure code, run by `Scripts/bench.sh` on a release build. Not a test: it measures.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure pure computations (used by Scripts/bench.sh).", subcommands: [Allocate.self])

    struct Allocate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate a pool among N recipients in one tranche with five factors; print the median time.")

        @Option(help: "Recipients in the tranche.")
        var recipients = 10_000
        @Option(help: "Timed repetitions (after one warm-up).")
        var repeats = 11

        func run() throws {
            let names = (0..<recipients).map { "r\($0)" }
            var generator = SystemRandomNumberGenerator()
            var references: [String: AllocationInputs.Reference] = [:]
            var scores: [String: String] = [:]
            for name in names {
                references[name] = .init(
                    population: String(Int.random(in: 10_000...20_000_000, using: &generator)),
                    ecologicalArea:
                        "\(Int.random(in: 100...40_000, using: &generator)).\(Int.random(in: 10...99, using: &generator))",
                    envSpendingPerCapita: String(Int.random(in: 200...1500, using: &generator)))
                scores[name] =
                    "\(Int.random(in: 40...99, using: &generator)).\(Int.random(in: 10...99, using: &generator))"
            }
            let rule = try AllocationRule(
                RuleDocument(
                    code: "bench", title: "Bench", pool: .init(kind: "shareOfAvailable", share: "0.80"),
                    tranches: [.init(name: "all", share: "1", recipients: names)],
                    factors: [
                        .init(key: "population", weight: "0.2"), .init(key: "ecologicalArea", weight: "0.2"),
                        .init(key: "envSpendingPerCapita", weight: "0.1"), .init(key: "envSpendingGap", weight: "0.2"),
                        .init(key: "greenScore", weight: "0.3"),
                    ],
                    assessmentPeriod: "2025",
                    scoreBands: [
                        .init(minScore: "90", multiplier: "1.2"), .init(minScore: "60", multiplier: "1"),
                        .init(minScore: "0", multiplier: "0.8"),
                    ],
                    maxShareOfTranche: "0.01", missingScore: nil))
            let inputs = AllocationInputs(
                availableFen: 123_456_789_012_345, poolOverride: nil, jurisdictions: references, scores: scores)
            let clock = ContinuousClock()
            var timings: [Duration] = []
            for index in 0...repeats {
                let started = clock.now
                let allocation = try Allocator.allocate(rule, inputs: inputs)
                let elapsed = clock.now - started
                precondition(allocation.allocations.count == recipients)
                if index > 0 { timings.append(elapsed) }
            }
            timings.sort()
            let median = timings[timings.count / 2]
            print(
                "allocate recipients=\(recipients) factors=5 repeats=\(repeats) median_ms=\(Self.milliseconds(median)) min_ms=\(Self.milliseconds(timings[0])) max_ms=\(Self.milliseconds(timings[timings.count - 1]))"
            )
        }

        static func milliseconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
            return "\(micros / 1000).\(String(format: "%03d", micros % 1000))"
        }
    }
}
