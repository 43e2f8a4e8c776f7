import ArgumentParser
import Crypto
import EcoFundCore
import Foundation

/// `ecofund keygen`: a new Ed25519 key for signing checkpoints, written readable by its owner only.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new Ed25519 checkpoint-signing key (base64 of the raw key, mode 0600).")

    @Option(help: "Where to write the key. Refuses to overwrite an existing file.")
    var out: String

    func run() throws {
        guard !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) exists; keys are never overwritten (move it away to rotate)")
        }
        let key = Curve25519.Signing.PrivateKey()
        let text = key.rawRepresentation.base64EncodedString() + "\n"
        guard
            FileManager.default.createFile(
                atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw ValidationError("cannot write \(out)") }
        print(
            "wrote \(out); key id \(Checkpoint.keyId(key.publicKey)), public key \(key.publicKey.rawRepresentation.base64EncodedString())"
        )
    }
}

/// Reads the signing key named by `ECOFUND_SIGNING_KEY`, refusing a file that others can read.
enum SigningKeyFile {
    static func load(_ path: String) throws -> Data {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw ValidationError(
                "the signing key \(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), (try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)) != nil
        else { throw ValidationError("\(path) does not hold an Ed25519 key written by `ecofund keygen`") }
        return raw
    }
}
