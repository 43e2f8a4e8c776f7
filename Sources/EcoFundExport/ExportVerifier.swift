import Crypto
import EcoFundCore
import Foundation
import ZIPFoundation

/// `ecofund verify`: checks an audit export with nothing but the archive (and, if given, a public key and an older
/// checkpoint the auditor kept). No database, no network. Every check that fails adds a line that says what does
/// not match and where; an empty list means the books are complete, unaltered and add up.
///
/// What it proves: the files are the ones the manifest lists, byte for byte; the events are exactly the log the
/// checkpoint signs, in order; that log extends any older checkpoint; every journal entry balances; the accounts
/// and trial balance follow from the lines; every contribution, payment and run agrees with the signed events that
/// recorded it; and every allocation is what its rule gives on its snapshotted inputs.
public struct ExportVerifier {
    public struct Report: Sendable {
        public var failures: [String] = []
        public var notes: [String] = []
        public var verified: Bool { failures.isEmpty }
    }

    let trustedKey: Curve25519.Signing.PublicKey?
    let older: Checkpoint?

    public init(trustedKey: Curve25519.Signing.PublicKey? = nil, older: Checkpoint? = nil) {
        self.trustedKey = trustedKey
        self.older = older
    }

    public func verify(archiveAt url: URL) -> Report {
        var state = State(older: older)
        do {
            let archive = try Archive(url: url, accessMode: .read)
            try state.run(archive)
        } catch {
            state.fail("the archive cannot be read as a ZIP file: \(error)")
        }
        state.finish(trustedKey: trustedKey)
        return state.report
    }
}

/// A chunk and the hash it goes into, handed to a worker thread; the reading thread waits for it before the next.
private final class ChunkWork: @unchecked Sendable {
    var hasher: SHA256
    var chunk = Data()

    init(hasher: SHA256) { self.hasher = hasher }

    func hash() { hasher.update(data: chunk) }
}

/// The kind of a journal entry, kept in a byte per entry.
enum EntryKind: UInt8, CustomStringConvertible {
    case contribution, reversal, disbursement, payment, unknown

    init(_ row: borrowing CSVRow, _ field: Int) {
        if row.equals(field, "contribution") {
            self = .contribution
        } else if row.equals(field, "reversal") {
            self = .reversal
        } else if row.equals(field, "disbursement") {
            self = .disbursement
        } else if row.equals(field, "payment") {
            self = .payment
        } else {
            self = .unknown
        }
    }

    var description: String { self == .unknown ? "unknown" : "\(self)" }
}

/// Debit and credit totals per account, found by the account's bytes without making a string per line.
struct AccountTally {
    private(set) var names: [String] = []
    private var keys: [[UInt8]] = []
    private(set) var debits: [Int64] = []
    private(set) var credits: [Int64] = []
    private var last = 0

    /// The debit and credit totals of the lines of `account` (zero for an account no line names).
    func totals(_ account: String) -> (debits: Int64, credits: Int64) {
        guard let index = names.firstIndex(of: account) else { return (0, 0) }
        return (debits[index], credits[index])
    }

    mutating func add(_ row: borrowing CSVRow, _ field: Int, amount: Int64, debit: Bool) {
        let index = find(row, field)
        if debit { debits[index] += amount } else { credits[index] += amount }
    }

    private mutating func find(_ row: borrowing CSVRow, _ field: Int) -> Int {
        // Lines alternate between a few accounts: try the last one and its neighbours first, then all.
        for offset in [0, 1, -1] {
            let candidate = last + offset
            if candidate >= 0, candidate < keys.count, row.equals(field, keys[candidate]) {
                last = candidate
                return candidate
            }
        }
        if let index = keys.firstIndex(where: { row.equals(field, $0) }) {
            last = index
            return index
        }
        keys.append(row.bytes(field))
        names.append(row.string(field))
        debits.append(0)
        credits.append(0)
        last = keys.count - 1
        return last
    }
}

/// Everything read so far, and what is compared at the end.
struct State {
    var report = ExportVerifier.Report()
    let older: Checkpoint?
    var manifest: ExportManifest?
    var checkpoint: ExportCheckpoint?

    // events.jsonl
    var leaves = MerkleTree.Accumulator()
    var olderRoot: Digest32?
    var contributionEvents: [String: JSONValue] = [:]
    var reversalEvents: [String: JSONValue] = [:]
    var paymentEvents: [String: JSONValue] = [:]
    var runEvents: [String: JSONValue] = [:]

    // journal_entries.csv and journal_lines.csv: entries sorted by id, with their debit totals from the lines (-1: none).
    var entryIDs: [Int64] = []
    var entryKinds: [EntryKind] = []
    var entryTotals: [Int64] = []
    /// The accounts of the lines read so far, by their bytes (lines repeat few accounts millions of times).
    var lineAccounts = AccountTally()
    var closing: [String: (type: String, balance: Int64)] = [:]

    // allocations.csv, keyed by run then recipient; runs recomputed
    var allocationRows: [String: [String: Int64]] = [:]
    var recomputed: [String: [String: Int64]] = [:]

    init(older: Checkpoint?) { self.older = older }

    mutating func fail(_ message: String) { report.failures.append(message) }

    mutating func run(_ archive: Archive) throws {
        guard let manifestEntry = archive[ExportFormat.manifest] else {
            fail("manifest.json is missing from the archive: nothing says which files belong to the export")
            return
        }
        var manifestBytes = Data()
        _ = try archive.extract(manifestEntry, skipCRC32: true) { manifestBytes.append($0) }
        guard let manifest = try? JSONDecoder().decode(ExportManifest.self, from: manifestBytes) else {
            fail("manifest.json is not a manifest of an EcoFund audit export")
            return
        }
        self.manifest = manifest
        if manifest.format != ExportFormat.version {
            fail("manifest.json is format \(manifest.format); this verifier reads \(ExportFormat.version)")
        }
        let listed = Dictionary(manifest.files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in ExportFormat.files where listed[name] == nil {
            fail("manifest.json does not list \(name), which every export holds")
        }
        for entry in archive where entry.path != ExportFormat.manifest && listed[entry.path] == nil {
            fail("\(entry.path) is in the archive but not in manifest.json")
        }
        // The checkpoint and the events first: the ledger files are reconciled with the signed events as they stream.
        let order = [ExportFormat.checkpoint, ExportFormat.events] + ExportFormat.files
        let files = manifest.files.sorted {
            (order.firstIndex(of: $0.name) ?? order.count) < (order.firstIndex(of: $1.name) ?? order.count)
        }
        for file in files {
            guard let entry = archive[file.name] else {
                fail("\(file.name) is listed in manifest.json but missing from the archive")
                continue
            }
            var hasher = SHA256()
            var size: Int64 = 0
            var handler = FileHandler(name: file.name)
            // Hashing and reading are independent: each chunk is hashed on one core while it is read on another.
            let work = ChunkWork(hasher: hasher)
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { data in
                size += Int64(data.count)
                work.chunk = data
                let hashing = DispatchWorkItem { work.hash() }
                DispatchQueue.global().async(execute: hashing)
                data.withUnsafeBytes { handler.feed($0, into: &self) }
                hashing.wait()
            }
            hasher = work.hasher
            handler.finish(into: &self)
            let digest = Array(hasher.finalize()).hex
            if digest != file.sha256 || size != file.bytes {
                fail(
                    "\(file.name) does not match manifest.json: SHA-256 \(digest.prefix(16))… (\(size) bytes), "
                        + "listed \(file.sha256.prefix(16))… (\(file.bytes) bytes): the file was changed")
            }
        }
    }

    mutating func finish(trustedKey: Curve25519.Signing.PublicKey?) {
        guard let manifest else { return }
        guard let shipped = checkpoint else {
            if manifest.files.contains(where: { $0.name == ExportFormat.checkpoint }) {
                fail("checkpoint.json cannot be read")
            }
            return
        }
        finishLog(shipped, trustedKey: trustedKey, manifest: manifest)
        for (run, amounts) in recomputed where allocationRows[run] != amounts {
            fail(
                "allocations.csv for run \(run) does not hold the amounts its rule gives on its snapshot: \(Self.describe(amounts))"
            )
        }
    }

    mutating func finishLog(
        _ shipped: ExportCheckpoint, trustedKey: Curve25519.Signing.PublicKey?, manifest: ExportManifest
    ) {
        let checkpoint = shipped.checkpoint
        let key: Curve25519.Signing.PublicKey
        if let trustedKey {
            key = trustedKey
        } else if let raw = Data(base64Encoded: shipped.publicKey),
            let embedded = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        {
            key = embedded
            report.notes.append(
                "the signature was checked against the public key inside the export (key id \(Checkpoint.keyId(embedded))); "
                    + "pass --public-key with the key you obtained from the fund to check it against a key you trust")
        } else {
            fail("checkpoint.json carries no usable public key and none was given with --public-key")
            return
        }
        if !checkpoint.isSigned(by: key) {
            fail(
                "checkpoint.json is not signed by the public key \(Checkpoint.keyId(key)) (it names key \(checkpoint.keyId)): "
                    + "the checkpoint was made or altered by someone else")
        }
        if manifest.treeSize != checkpoint.treeSize {
            fail("manifest.json says \(manifest.treeSize) events, checkpoint.json \(checkpoint.treeSize)")
        }
        if Int64(leaves.count) != checkpoint.treeSize {
            fail(
                "events.jsonl holds \(leaves.count) events; the checkpoint covers \(checkpoint.treeSize): events were added or removed"
            )
        }
        let root = leaves.root.hex
        if root != checkpoint.rootHash {
            fail(
                "the events of events.jsonl hash to the root \(root.prefix(16))…, not the checkpoint's "
                    + "\(checkpoint.rootHash.prefix(16))…: an event was added, removed, reordered or edited")
        }
        if let older {
            if !older.isSigned(by: key) {
                fail("the older checkpoint is not signed by the public key \(Checkpoint.keyId(key))")
            }
            if older.treeSize > Int64(leaves.count) {
                fail(
                    "the older checkpoint covers \(older.treeSize) events; this log has only \(leaves.count): history was cut"
                )
            } else if older.treeSize == 0
                ? (older.rootHash != MerkleTree.emptyRoot.hex) : (olderRoot?.hex != older.rootHash)
            {
                fail(
                    "history was rewritten: the first \(older.treeSize) events no longer hash to the root of the older "
                        + "checkpoint issued \(older.issuedAt)")
            }
        }
    }

    static func describe(_ amounts: [String: Int64]) -> String {
        amounts.sorted { $0.key < $1.key }.map { "\($0.key) \(Money(fen: $0.value).decimalString)" }.joined(
            separator: ", ")
    }

    /// Where the last entry was found: lines come in entry order, so the next one is usually right after it.
    var entryCursor = 0

    mutating func entryIndex(_ id: Int64) -> Int? {
        if entryCursor < entryIDs.count, entryIDs[entryCursor] == id { return entryCursor }
        if entryCursor + 1 < entryIDs.count, entryIDs[entryCursor + 1] == id {
            entryCursor += 1
            return entryCursor
        }
        var low = 0
        var high = entryIDs.count
        while low < high {
            let middle = (low + high) / 2
            if entryIDs[middle] < id { low = middle + 1 } else { high = middle }
        }
        guard low < entryIDs.count, entryIDs[low] == id else { return nil }
        entryCursor = low
        return low
    }
}
