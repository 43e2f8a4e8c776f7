import ArgumentParser
import Crypto
import EcoFundAudit
import EcoFundCore
import EcoFundExport
import EcoFundStore
import Foundation

/// Micro-benchmarks of pure code, run by `Scripts/bench.sh` on a release build. Not a test: it measures.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure pure computations (used by Scripts/bench.sh).",
        subcommands: [Allocate.self, ExportSQL.self, SealRound.self])

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
                    maxShareOfTranche: "0.01", missingScore: nil), recipientsPerTrancheMax: recipients)
            let inputs = AllocationInputs(
                availableFen: 123_456_789_012_345, poolOverride: nil, jurisdictions: references, scores: scores)
            let clock = ContinuousClock()
            // The baseline: what a run's JSON cost before it was written by hand (the same bytes, as a test holds).
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var allocating: [Duration] = []
            var writing: [Duration] = []
            var encoding: [Duration] = []
            for index in 0...repeats {
                let started = clock.now
                let allocation = try Allocator.allocate(rule, inputs: inputs)
                let allocated = clock.now
                let text = allocation.jsonText
                let written = clock.now
                let bytes = try encoder.encode(allocation)
                let encoded = clock.now
                precondition(allocation.allocations.count == recipients && Array(text.utf8) == Array(bytes))
                if index > 0 {
                    allocating.append(allocated - started)
                    writing.append(written - allocated)
                    encoding.append(encoded - written)
                }
            }
            print("allocate recipients=\(recipients) factors=5 repeats=\(repeats) \(Self.summary(allocating))")
            print("encode-derivations recipients=\(recipients) repeats=\(repeats) \(Self.summary(writing))")
            print(
                "encode-derivations-jsonencoder recipients=\(recipients) repeats=\(repeats) \(Self.summary(encoding))")
        }

        static func summary(_ timings: [Duration]) -> String {
            let sorted = timings.sorted()
            return "median_ms=\(milliseconds(sorted[sorted.count / 2])) min_ms=\(milliseconds(sorted[0])) "
                + "max_ms=\(milliseconds(sorted[sorted.count - 1]))"
        }

        static func milliseconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
            return "\(micros / 1000).\(String(format: "%03d", micros % 1000))"
        }
    }

    /// The baseline of the export benchmark: a psql script that copies the very queries of every CSV file of the
    /// export with psql's `\copy`, so that the comparison is of the same rows from the same SQL.
    struct ExportSQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-sql", abstract: "Print a psql script that \\copies every CSV query of the export.")

        @Option(help: "Directory the CSV files are written to.")
        var directory: String

        func run() {
            let files = ExportFormat.files.filter(\.isCSV).map { (table: AuditExporter.table($0), name: $0.name) }
            print(ExportBaseline.psqlScript(directory: directory, files: files))
        }
    }

    /// Idle sealer rounds against `DATABASE_URL` (nothing new to seal): what a quiet server's sealer costs the
    /// database twice a second, whatever came before. Run with no other sealer about, or its rounds are refused.
    struct SealRound: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal-round", abstract: "Time idle sealer rounds; print the median (ECOFUND_SIGNING_KEY).")

        @Option(help: "Timed rounds (after one that seals whatever is pending).")
        var rounds = 21

        func run() async throws {
            let environment = Environment()
            guard let path = environment.values["ECOFUND_SIGNING_KEY"] else {
                throw ValidationError("ECOFUND_SIGNING_KEY must name the checkpoint-signing key")
            }
            let keyBytes = try SigningKeyFile.load(path)
            let rounds = self.rounds
            let timings = try await Database.withPool(
                try environment.databaseURL(), connectionsMax: 1, logger: environment.logger()
            ) { database in
                let sealer = Sealer(
                    database: database, key: try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes))
                return try await database.client.withConnection { connection in
                    let clock = ContinuousClock()
                    var timings: [Duration] = []
                    while try await sealer.sealRound(on: connection) > 0 {}
                    for _ in 0..<rounds {
                        let started = clock.now
                        let sealed = try await sealer.sealRound(on: connection)
                        timings.append(clock.now - started)
                        precondition(sealed == 0, "a round sealed \(sealed) events: the database is not idle")
                    }
                    return timings
                }
            }
            print("seal-round idle rounds=\(rounds) \(Allocate.summary(timings))")
        }
    }
}
