import Crypto
import EcoFundAudit
import EcoFundCore
import EcoFundStore
import Foundation

/// Writes the audit export of DESIGN.md "Tamper evidence" from one ``ExportSnapshot``: a ZIP of the CSV files of
/// ``ExportFormat``, the event log, the checkpoint it ends at, a report for people and a manifest of SHA-256 hashes.
///
/// The snapshot is opened first (``AuditLog/openExport(_:by:)``), so that what can be refused is refused before a byte
/// is sent; then ``write(to:)`` streams the archive to the sink in chunks of about 256 KiB, in constant memory
/// whatever the size of the books, and closes the snapshot.
public final class AuditExporter: Sendable {
    public let snapshot: ExportSnapshot
    /// Base64 of the raw public key that goes into `checkpoint.json`, or empty.
    let publicKey: String
    let exportedAt: Date
    /// The language of `report.html` (the CSV files are the same in both).
    let language: ReportLanguage

    /// - Parameters:
    ///   - publicKey: the key that goes into `checkpoint.json`; defaults to the snapshot's (the server's).
    ///   - language: `report.html`'s, Chinese unless asked otherwise.
    public init(
        _ snapshot: ExportSnapshot, publicKey: Curve25519.Signing.PublicKey? = nil, language: ReportLanguage = .zh,
        now: Date = Date()
    ) {
        self.snapshot = snapshot
        self.language = language
        self.publicKey = (publicKey ?? snapshot.publicKey)?.rawRepresentation.base64EncodedString() ?? ""
        self.exportedAt = now
    }

    public var checkpoint: Checkpoint { snapshot.checkpoint }

    /// The file name an export of this range should be saved as.
    public var fileName: String { "ecofund-audit-\(snapshot.range.from)-\(snapshot.range.to).zip" }

    /// Streams the archive to `sink` and ends the snapshot, whether or not it succeeds.
    public func write(to sink: @escaping ([UInt8]) async throws -> Void) async throws {
        do {
            try await writeArchive(to: sink)
            await snapshot.close()
        } catch {
            await snapshot.close()
            throw error
        }
    }

    private func writeArchive(to sink: @escaping ([UInt8]) async throws -> Void) async throws {
        let zip = ZipStreamWriter(modified: exportedAt, sink: sink)
        var files: [ExportManifest.File] = []
        var report = ExportReportBuilder()
        for file in ExportFormat.files {
            files.append(
                try await writeFile(file.name, into: zip) { emit in
                    try await write(file, report: &report, emit)
                })
        }
        let manifest = ExportManifest(
            exportedAt: UTCTime.text(exportedAt), from: snapshot.range.from.description,
            to: snapshot.range.to.description, complete: snapshot.isComplete, treeSize: checkpoint.treeSize,
            files: files)
        _ = try await writeFile(ExportFormat.File.manifest.name, into: zip) { emit in
            try await emit(Array(try Self.json.encode(manifest)) + [UInt8(ascii: "\n")])
        }
        try await zip.finish()
    }

    /// The content of one file. CSV files are what their table's COPY writes, after the byte order mark; the report
    /// is built from them as they pass.
    private func write(
        _ file: ExportFormat.File, report: inout ExportReportBuilder, _ emit: ([UInt8]) async throws -> Void
    ) async throws {
        switch file {
        case .jurisdictions, .journalEntries, .journalLines, .accounts, .trialBalance, .contributions, .commitments,
            .runs, .runTransitions, .allocations, .payments, .scores, .clawbacks, .recoveries, .targets, .readings:
            report.feed(file, ExportFormat.byteOrderMark)
            try await emit(ExportFormat.byteOrderMark)
            try await snapshot.copy(Self.table(file)) { chunk in
                report.feed(file, chunk)
                try await emit(chunk)
            }
        case .events:
            // Every event up to the checkpoint, in log order, one RFC 8785 line each: the very bytes whose hashes
            // are the leaves.
            try await snapshot.events { events in
                var out: [UInt8] = []
                for event in events {
                    out += event.canonicalBytes
                    out.append(UInt8(ascii: "\n"))
                }
                try await emit(out)
            }
        case .checkpoint:
            let shipped = ExportCheckpoint(checkpoint, publicKey: publicKey)
            try await emit(Array(try Self.json.encode(shipped)) + [UInt8(ascii: "\n")])
        case .report:
            let page = report.report(range: snapshot.range, checkpoint: checkpoint, language: language)
            try await emit(Array(page.html(exportedAt: UTCTime.text(exportedAt)).utf8))
        case .manifest:
            preconditionFailure("the manifest is written last, over the others")
        }
    }

    /// The snapshot table of a CSV file.
    public static func table(_ file: ExportFormat.File) -> ExportTable {
        switch file {
        case .jurisdictions: .jurisdictions
        case .journalEntries: .journalEntries
        case .journalLines: .journalLines
        case .accounts: .accounts
        case .trialBalance: .trialBalance
        case .contributions: .contributions
        case .commitments: .commitments
        case .runs: .runs
        case .runTransitions: .runTransitions
        case .allocations: .allocations
        case .payments: .payments
        case .scores: .scores
        case .clawbacks: .clawbacks
        case .recoveries: .recoveries
        case .targets: .targets
        case .readings: .readings
        case .events, .checkpoint, .report, .manifest: preconditionFailure("\(file.name) is not a table")
        }
    }

    /// Writes one file of the archive, hashing it on the way.
    private func writeFile(
        _ name: String, into zip: ZipStreamWriter,
        _ body: (_ emit: ([UInt8]) async throws -> Void) async throws -> Void
    ) async throws -> ExportManifest.File {
        try Task.checkCancellation()
        try await zip.openFile(name)
        var hasher = SHA256()
        var bytes: Int64 = 0
        try await body { chunk in
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
            try await zip.write(chunk)
        }
        try await zip.closeFile()
        return ExportManifest.File(name: name, bytes: bytes, sha256: Array(hasher.finalize()).hex)
    }

    static let json: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }()
}
