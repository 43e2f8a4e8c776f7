import ArgumentParser
import Crypto
import EcoFundAudit
import EcoFundCore
import Foundation

/// `ecofund verify`: checks an export offline and prints each failure; exits 1 if there is any. Its code reaches
/// EcoFundAudit, Core and Crypto only: no database driver (Scripts/lib/package-graph.py checks that).
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
