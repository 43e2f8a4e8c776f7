import Crypto
import EcoFundCore
import Foundation

/// Offline checks of an exported event log against a signed checkpoint: no database, no network.
///
/// This is the log half of `ecofund verify`; the ZIP reader and the ledger and allocation checks come with the
/// export.
public enum LogVerifier {
    /// One thing that does not match, said so that a person can find it.
    public struct Failure: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Checks `events.jsonl` (one RFC 8785 event per line) against `checkpoint`, signed by `publicKey`, and, when
    /// given, an `older` checkpoint kept from an earlier export. Returns every failure; empty means verified.
    public static func verify(
        eventsJSONL: [UInt8], checkpoint: Checkpoint, publicKey: Curve25519.Signing.PublicKey, older: Checkpoint? = nil
    ) -> [Failure] {
        var failures: [Failure] = []
        if !checkpoint.isSigned(by: publicKey) {
            failures.append(Failure("checkpoint.json is not signed by the public key \(Checkpoint.keyId(publicKey))"))
        }
        var leaves: [Digest32] = []
        for (number, line) in eventsJSONL.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated() where !line.isEmpty
        {
            let bytes = Array(line)
            do {
                let value = try JSONValue(parsing: bytes)
                if value.canonicalBytes != bytes {
                    failures.append(Failure("events.jsonl line \(number + 1) is not in canonical (RFC 8785) form"))
                }
            } catch {
                failures.append(Failure("events.jsonl line \(number + 1) is not JSON: \(error)"))
            }
            leaves.append(MerkleTree.leafHash(bytes))
        }
        if Int64(leaves.count) != checkpoint.treeSize {
            failures.append(
                Failure("events.jsonl holds \(leaves.count) events; the checkpoint covers \(checkpoint.treeSize)"))
        }
        let root = MerkleTree.root(leaves[...]).hex
        if root != checkpoint.rootHash {
            failures.append(
                Failure(
                    "the events hash to root \(root.prefix(16))…, not the checkpoint's \(checkpoint.rootHash.prefix(16))…: "
                        + "an event was added, removed, reordered or edited"))
        }
        if let older {
            if !older.isSigned(by: publicKey) {
                failures.append(
                    Failure("the older checkpoint is not signed by the public key \(Checkpoint.keyId(publicKey))"))
            }
            if older.treeSize > Int64(leaves.count) {
                failures.append(
                    Failure("the older checkpoint covers \(older.treeSize) events; this log has only \(leaves.count)"))
            } else if MerkleTree.root(leaves[0..<Int(older.treeSize)]).hex != older.rootHash {
                failures.append(
                    Failure(
                        "history was rewritten: the first \(older.treeSize) events no longer hash to the root of the "
                            + "older checkpoint issued \(older.issuedAt)"))
            }
        }
        return failures
    }
}
