import Crypto
import EcoFundCore
import Foundation

/// What the signed event log says, for the checks of the files that must agree with it.
struct SignedEvents {
    var leaves = MerkleTree.Accumulator()
    /// The root of the first `older.treeSize` events, when an older checkpoint was given.
    var olderRoot: Digest32?
    var contributions: [String: JSONValue] = [:]
    var reversals: [String: JSONValue] = [:]
    /// By `run/recipient`.
    var payments: [String: JSONValue] = [:]
    /// The last event of each run, by run id.
    var runs: [String: JSONValue] = [:]
    /// By `run/recipient`.
    var clawbacks: [String: JSONValue] = [:]
    /// By recovery id.
    var recoveries: [String: JSONValue] = [:]
}

/// `events.jsonl`: one canonical (RFC 8785) event per line; every line becomes a leaf.
struct EventsCheck: FileCheck {
    private(set) var findings = SignedEvents()
    private let older: Checkpoint?
    private var pending: [UInt8] = []
    private var lineNumber = 0

    init(older: Checkpoint?) { self.older = older }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ report: inout ExportVerifier.Report) {
        var start = 0
        for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
            if pending.isEmpty {
                event(Array(bytes[start..<index]), &report)
            } else {
                pending += bytes[start..<index]
                event(pending, &report)
                pending.removeAll(keepingCapacity: true)
            }
            start = index + 1
        }
        pending += bytes[start..<bytes.count]
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        guard !pending.isEmpty else { return }
        report.fail("events.jsonl does not end with a line break: its last event was cut")
        event(pending, &report)
    }

    private mutating func event(_ line: [UInt8], _ report: inout ExportVerifier.Report) {
        lineNumber += 1
        guard !line.isEmpty else {
            report.fail("events.jsonl line \(lineNumber) is empty")
            return
        }
        findings.leaves.append(leafHash: MerkleTree.leafHash(line))
        if let older, Int64(findings.leaves.count) == older.treeSize { findings.olderRoot = findings.leaves.root }
        guard let value = try? JSONValue(parsing: line) else {
            report.fail("events.jsonl line \(lineNumber) is not JSON")
            return
        }
        if value.canonicalBytes != line {
            report.fail("events.jsonl line \(lineNumber) is not in canonical (RFC 8785) form")
        }
        guard let type = value["type"]?.text, let payload = value["payload"] else { return }
        switch type {
        case "contribution.recorded":
            if let id = payload["id"]?.text { findings.contributions[id.lowercased()] = payload }
        case "contribution.reversed":
            if let id = payload["contributionID"]?.text { findings.reversals[id.lowercased()] = payload }
        case "disbursement.payment.confirmed":
            if let run = payload["run"]?.text, let recipient = payload["recipient"]?.text {
                findings.payments["\(run.lowercased())/\(recipient)"] = payload
            }
        case "disbursement.clawback.posted":
            if let run = payload["run"]?.text, let recipient = payload["recipient"]?.text {
                findings.clawbacks["\(run.lowercased())/\(recipient)"] = payload
            }
        case "recovery.recorded":
            if let id = payload["id"]?.text { findings.recoveries[id.lowercased()] = payload }
        case _ where type.hasPrefix("disbursement.run."):
            if let id = payload["id"]?.text { findings.runs[id.lowercased()] = payload }
        default: break
        }
    }
}

/// `checkpoint.json`, kept whole (it is a few hundred bytes).
struct CheckpointCheck: FileCheck {
    private var bytes: [UInt8] = []
    private(set) var findings: ExportCheckpoint?

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ report: inout ExportVerifier.Report) {
        self.bytes += bytes
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        findings = try? JSONDecoder().decode(ExportCheckpoint.self, from: Data(bytes))
        if findings == nil { report.fail("checkpoint.json cannot be read") }
    }
}

/// The log as a whole: the checkpoint is signed by the trusted key (or the one inside, with a note), covers exactly
/// the events, whose root it signs, and extends the older checkpoint the auditor kept.
struct LogCheck {
    let shipped: ExportCheckpoint?
    let events: SignedEvents
    let manifest: ExportManifest
    let trustedKey: Curve25519.Signing.PublicKey?
    let older: Checkpoint?

    func run(_ report: inout ExportVerifier.Report) {
        guard let shipped, let key = key(shipped, &report) else { return }
        let checkpoint = shipped.checkpoint
        if !checkpoint.isSigned(by: key) {
            report.fail(
                "checkpoint.json is not signed by the public key \(Checkpoint.keyId(key)) (it names key \(checkpoint.keyId)): "
                    + "the checkpoint was made or altered by someone else")
        }
        if manifest.treeSize != checkpoint.treeSize {
            report.fail("manifest.json says \(manifest.treeSize) events, checkpoint.json \(checkpoint.treeSize)")
        }
        let count = events.leaves.count
        if Int64(count) != checkpoint.treeSize {
            report.fail(
                "events.jsonl holds \(count) events; the checkpoint covers \(checkpoint.treeSize): events were added or removed"
            )
        }
        let root = events.leaves.root.hex
        if root != checkpoint.rootHash {
            report.fail(
                "the events of events.jsonl hash to the root \(root.prefix(16))…, not the checkpoint's "
                    + "\(checkpoint.rootHash.prefix(16))…: an event was added, removed, reordered or edited")
        }
        if let older { extends(older, key: key, &report) }
    }

    private func key(_ shipped: ExportCheckpoint, _ report: inout ExportVerifier.Report)
        -> Curve25519.Signing.PublicKey?
    {
        if let trustedKey { return trustedKey }
        guard let raw = Data(base64Encoded: shipped.publicKey),
            let embedded = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            report.fail("checkpoint.json carries no usable public key and none was given with --public-key")
            return nil
        }
        report.notes.append(
            "the signature was checked against the public key inside the export (key id \(Checkpoint.keyId(embedded))); "
                + "pass --public-key with the key you obtained from the fund to check it against a key you trust")
        return embedded
    }

    private func extends(_ older: Checkpoint, key: Curve25519.Signing.PublicKey, _ report: inout ExportVerifier.Report)
    {
        if !older.isSigned(by: key) {
            report.fail("the older checkpoint is not signed by the public key \(Checkpoint.keyId(key))")
        }
        let count = events.leaves.count
        if older.treeSize > Int64(count) {
            report.fail(
                "the older checkpoint covers \(older.treeSize) events; this log has only \(count): history was cut")
        } else if older.treeSize == 0
            ? (older.rootHash != MerkleTree.emptyRoot.hex) : (events.olderRoot?.hex != older.rootHash)
        {
            report.fail(
                "history was rewritten: the first \(older.treeSize) events no longer hash to the root of the older "
                    + "checkpoint issued \(older.issuedAt)")
        }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
