import ArgumentParser
import Crypto
import EcoFundCore
import EcoFundExport
import EcoFundStore
import Foundation

/// `ecofund export`: the audit ZIP of GET /v1/audit/export, written straight from the database to a file.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the audit export (ZIP) of a range of value dates to a file.",
        discussion: """
            Reads DATABASE_URL in one REPEATABLE READ snapshot. The public key that goes into checkpoint.json is
            taken from ECOFUND_SIGNING_KEY when it is set, else from --public-key.
            """)

    @Option(help: "First value date (YYYY-MM-DD). Defaults to the beginning of the books.")
    var from: String?
    @Option(help: "Last value date (YYYY-MM-DD). Defaults to the end of the books.")
    var to: String?
    @Option(help: "The ZIP file to write. It appears only once complete.")
    var out: String
    @Option(help: "The service's public key (base64, or a file holding it) when ECOFUND_SIGNING_KEY is not set.")
    var publicKey: String?

    func run() async throws {
        let environment = Environment()
        let range = try ExportRange(from: from, to: to)
        var key: Curve25519.Signing.PublicKey?
        if let path = environment.values["ECOFUND_SIGNING_KEY"], !path.isEmpty {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: try SigningKeyFile.load(path)).publicKey
        } else if let publicKey {
            key = try PublicKeyArgument.read(publicKey)
        }
        let partial = out + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil) else {
            throw ValidationError("cannot write \(partial)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        do {
            let exporter = try await AuditExporter.open(
                try environment.databaseURL(), from: range.from, to: range.to, publicKey: key)
            try await exporter.write { chunk in try handle.write(contentsOf: chunk) }
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.moveItem(atPath: partial, toPath: out)
            FileHandle.standardError.write(
                Data(
                    "wrote \(out): value dates \(range.from) to \(range.to), \(exporter.checkpoint.treeSize) events up to root \(exporter.checkpoint.rootHash.prefix(16))…\n"
                        .utf8))
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}

/// `ecofund verify`: checks an export offline and prints each failure; exits 1 if there is any.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify an audit export without a database or network; exit 1 on any failure.",
        discussion: """
            Checks the manifest hashes, rebuilds the Merkle root from events.jsonl, checks the checkpoint's
            signature (against --public-key if given), checks that the log extends an older checkpoint
            (--checkpoint), recomputes the balances and trial balance from the journal lines, reconciles
            contributions, runs and payments with the signed events, and recomputes every allocation from its
            snapshotted inputs.
            """)

    @Argument(help: "The export ZIP.")
    var file: String
    @Option(help: "The fund's public key you trust: base64, or a file holding it (or GET /v1/audit/public-key's JSON).")
    var publicKey: String?
    @Option(help: "A checkpoint kept from earlier (checkpoint.json of an older export, or GET /v1/audit/checkpoint).")
    var checkpoint: String?

    func run() throws {
        guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let key = try publicKey.map { try PublicKeyArgument.read($0) }
        var older: Checkpoint?
        if let checkpoint {
            guard let data = FileManager.default.contents(atPath: checkpoint),
                let decoded = try? JSONDecoder().decode(Checkpoint.self, from: data)
            else {
                throw ValidationError(
                    "\(checkpoint) is not a checkpoint (treeSize, rootHash, issuedAt, keyId, signature)")
            }
            older = decoded
        }
        let report = ExportVerifier(trustedKey: key, older: older).verify(archiveAt: URL(fileURLWithPath: file))
        for note in report.notes { print("note: \(note)") }
        for failure in report.failures { print("FAIL: \(failure)") }
        if report.verified {
            print("verified: \(file)")
        } else {
            print("\(report.failures.count) check(s) failed: \(file) cannot be trusted as it is")
            throw ExitCode(1)
        }
    }
}

/// The value-date range of an export; both ends default to the whole span of the books.
struct ExportRange {
    let from: CalendarDate
    let to: CalendarDate

    init(from: String?, to: String?) throws {
        do {
            self.from = try CalendarDate(parsing: from ?? "\(CalendarDate.yearRange.lowerBound)-01-01", at: "from")
            self.to = try CalendarDate(parsing: to ?? "\(CalendarDate.yearRange.upperBound)-12-31", at: "to")
        } catch {
            throw ValidationError("\(error)")
        }
        guard self.from <= self.to else { throw ValidationError("--from must not be after --to") }
    }
}

/// A public key given on the command line: base64 of the raw Ed25519 key, or a file holding that or the JSON of
/// GET /v1/audit/public-key.
enum PublicKeyArgument {
    static func read(_ argument: String) throws -> Curve25519.Signing.PublicKey {
        var text = argument
        if FileManager.default.fileExists(atPath: argument), let data = FileManager.default.contents(atPath: argument) {
            text = String(decoding: data, as: UTF8.self)
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let key = object["publicKey"] as? String
            {
                text = key
            }
        }
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { throw ValidationError("\(argument) is not an Ed25519 public key (base64 of 32 bytes)") }
        return key
    }
}
