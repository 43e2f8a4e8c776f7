import EcoFundCore
import Foundation

/// The layout of an audit export (DESIGN.md "Tamper evidence"), shared by the writer and the verifier.
public enum ExportFormat {
    public static let version = "ecofund-audit-export/1"

    public static let journalEntries = "journal_entries.csv"
    public static let journalLines = "journal_lines.csv"
    public static let accounts = "accounts.csv"
    public static let trialBalance = "trial_balance.csv"
    public static let jurisdictions = "jurisdictions.csv"
    public static let contributions = "contributions.csv"
    public static let commitments = "commitments.csv"
    public static let runs = "disbursement_runs.csv"
    public static let runTransitions = "disbursement_run_transitions.csv"
    public static let allocations = "allocations.csv"
    public static let payments = "payments.csv"
    public static let scores = "assessment_scores.csv"
    public static let events = "events.jsonl"
    public static let checkpoint = "checkpoint.json"
    public static let report = "report.html"
    public static let manifest = "manifest.json"

    /// Every file the manifest must list, in the order they are written.
    public static let files = [
        jurisdictions, journalEntries, journalLines, accounts, trialBalance, contributions, commitments, runs,
        runTransitions, allocations, payments, scores, events, checkpoint, report,
    ]

    /// What every CSV file starts with: the UTF-8 byte order mark, so that Excel reads Chinese names correctly.
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
}

/// `manifest.json`: what was exported, from which snapshot, and the SHA-256 of every other file.
public struct ExportManifest: Codable, Hashable, Sendable {
    public struct File: Codable, Hashable, Sendable {
        public let name: String
        public let bytes: Int64
        public let sha256: String

        public init(name: String, bytes: Int64, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public let format: String
    public let exportedAt: String
    /// The value-date range of the ledger files, inclusive.
    public let from: String
    public let to: String
    /// True when no journal entry falls outside the range: then every stored balance must equal the lines.
    public let complete: Bool
    public let treeSize: Int64
    public let files: [File]

    public init(
        exportedAt: String, from: String, to: String, complete: Bool, treeSize: Int64, files: [File]
    ) {
        self.format = ExportFormat.version
        self.exportedAt = exportedAt
        self.from = from
        self.to = to
        self.complete = complete
        self.treeSize = treeSize
        self.files = files
    }
}

/// `checkpoint.json`: the signed checkpoint the events end at, with the public key that signed it (base64 of the
/// raw 32 bytes). Whoever does not trust the key shipped inside the export passes their own to `ecofund verify`.
public struct ExportCheckpoint: Codable, Hashable, Sendable {
    public let treeSize: Int64
    public let rootHash: String
    public let issuedAt: String
    public let keyId: String
    public let signature: String
    public let publicKey: String

    public init(_ checkpoint: Checkpoint, publicKey: String) {
        treeSize = checkpoint.treeSize
        rootHash = checkpoint.rootHash
        issuedAt = checkpoint.issuedAt
        keyId = checkpoint.keyId
        signature = checkpoint.signature
        self.publicKey = publicKey
    }

    public var checkpoint: Checkpoint {
        Checkpoint(treeSize: treeSize, rootHash: rootHash, issuedAt: issuedAt, keyId: keyId, signature: signature)
    }
}

extension ExportFormat {
    /// CRC-32 of `bytes` as ZIP records it.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    /// Every row of a whole CSV file, parsed as the verifier parses it (the byte order mark dropped).
    public static func csvRows(_ bytes: [UInt8]) -> [[String]] {
        var reader = CSVReader()
        var rows: [[String]] = []
        bytes.withUnsafeBytes { reader.feed($0) { row, _ in rows.append(row.strings) } }
        reader.finish { row, _ in rows.append(row.strings) }
        return rows
    }
}
