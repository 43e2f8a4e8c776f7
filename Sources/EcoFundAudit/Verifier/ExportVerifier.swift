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
///
/// Each file has a check of its own (`…Check`), read in an order where what a check needs from earlier files (the
/// signed events, the journal, the recomputed allocations) is already known.
public struct ExportVerifier {
    public struct Report: Sendable {
        public var failures: [String] = []
        public var notes: [String] = []
        public var verified: Bool { failures.isEmpty }

        mutating func fail(_ message: String) { failures.append(message) }
    }

    let trustedKey: Curve25519.Signing.PublicKey?
    let older: Checkpoint?

    public init(trustedKey: Curve25519.Signing.PublicKey? = nil, older: Checkpoint? = nil) {
        self.trustedKey = trustedKey
        self.older = older
    }

    public func verify(archiveAt url: URL) -> Report {
        var report = Report()
        do {
            let archive = try Archive(url: url, accessMode: .read)
            if let manifest = try ManifestCheck.read(archive, &report) {
                var reading = ArchiveReading(archive: archive, manifest: manifest, report: report)
                try reading.verify(trustedKey: trustedKey, older: older)
                report = reading.report
            }
        } catch {
            report.fail("the archive cannot be read as a ZIP file: \(error)")
        }
        return report
    }
}

/// The archive as the checks read it: each listed file streamed once, hashed against the manifest on a second core
/// while its check reads it.
struct ArchiveReading {
    let archive: Archive
    let manifest: ExportManifest
    var report: ExportVerifier.Report
    private var read: Set<String> = []

    init(archive: Archive, manifest: ExportManifest, report: ExportVerifier.Report) {
        self.archive = archive
        self.manifest = manifest
        self.report = report
    }

    mutating func verify(trustedKey: Curve25519.Signing.PublicKey?, older: Checkpoint?) throws {
        var checkpoint = CheckpointCheck()
        try read(.checkpoint, &checkpoint)
        var events = EventsCheck(older: older)
        try read(.events, &events)
        let signed = events.findings
        var entries = CSVCheck(JournalEntriesCheck())
        try read(.journalEntries, &entries)
        var lines = CSVCheck(JournalLinesCheck(entries: entries.take().findings))
        try read(.journalLines, &lines)
        let journal = lines.take().findings
        var accounts = CSVCheck(AccountsCheck(journal: journal, complete: manifest.complete))
        try read(.accounts, &accounts)
        var trial = CSVCheck(TrialBalanceCheck(closing: accounts.rows.findings))
        try read(.trialBalance, &trial)
        var contributions = CSVCheck(ContributionsCheck(journal: journal, events: signed, manifest: manifest))
        try read(.contributions, &contributions)
        var runs = CSVCheck(RunsCheck(journal: journal, events: signed))
        try read(.runs, &runs)
        let recomputed = runs.rows.findings
        var allocations = CSVCheck(AllocationsCheck(recomputed: recomputed))
        try read(.allocations, &allocations)
        var payments = CSVCheck(PaymentsCheck(journal: journal, recomputed: recomputed, events: signed))
        try read(.payments, &payments)
        var clawbacks = CSVCheck(ClawbacksCheck(journal: journal, owed: runs.rows.clawbacks, events: signed))
        try read(.clawbacks, &clawbacks)
        var recoveries = CSVCheck(RecoveriesCheck(journal: journal, events: signed))
        try read(.recoveries, &recoveries)
        for file in manifest.files where !read.contains(file.name) {
            var unchecked = HashOnly()
            try read(file.name, &unchecked)
        }
        LogCheck(
            shipped: checkpoint.findings, events: signed, manifest: manifest, trustedKey: trustedKey, older: older
        ).run(&report)
    }

    mutating func read(_ file: ExportFormat.File, _ check: inout some FileCheck) throws {
        try read(file.name, &check)
    }

    /// Streams one file through `check` and compares its SHA-256 and size with the manifest's. A file the manifest
    /// does not list is not read (ManifestCheck has said so); one it lists but the archive lacks is reported.
    mutating func read(_ name: String, _ check: inout some FileCheck) throws {
        guard read.insert(name).inserted, let listed = manifest.files.first(where: { $0.name == name }) else { return }
        guard let entry = archive[name] else {
            report.fail("\(name) is listed in manifest.json but missing from the archive")
            return
        }
        var size: Int64 = 0
        let work = ChunkWork(hasher: SHA256())
        _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { data in
            size += Int64(data.count)
            work.chunk = data
            let hashing = DispatchWorkItem { work.hash() }
            DispatchQueue.global().async(execute: hashing)
            data.withUnsafeBytes { check.feed($0, &report) }
            hashing.wait()
        }
        check.finish(&report)
        let digest = Array(work.hasher.finalize()).hex
        if digest != listed.sha256 || size != listed.bytes {
            report.fail(
                "\(name) does not match manifest.json: SHA-256 \(digest.prefix(16))… (\(size) bytes), "
                    + "listed \(listed.sha256.prefix(16))… (\(listed.bytes) bytes): the file was changed")
        }
    }
}

/// A chunk and the hash it goes into, handed to a worker thread; the reading thread waits for it before the next.
private final class ChunkWork: @unchecked Sendable {
    var hasher: SHA256
    var chunk = Data()

    init(hasher: SHA256) { self.hasher = hasher }

    func hash() { hasher.update(data: chunk) }
}

/// One file of the export, read as it streams out of the archive.
protocol FileCheck {
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ report: inout ExportVerifier.Report)
    mutating func finish(_ report: inout ExportVerifier.Report)
}

/// A file that is hashed but whose content no check reads (the report, the scores, the reference data).
struct HashOnly: FileCheck {
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ report: inout ExportVerifier.Report) {}
    mutating func finish(_ report: inout ExportVerifier.Report) {}
}

/// `manifest.json`: it must be there, be an export's manifest of this format, and list every file exactly.
enum ManifestCheck {
    static func read(_ archive: Archive, _ report: inout ExportVerifier.Report) throws -> ExportManifest? {
        guard let entry = archive[ExportFormat.File.manifest.name] else {
            report.fail("manifest.json is missing from the archive: nothing says which files belong to the export")
            return nil
        }
        var bytes = Data()
        _ = try archive.extract(entry, skipCRC32: true) { bytes.append($0) }
        guard let manifest = try? JSONDecoder().decode(ExportManifest.self, from: bytes) else {
            report.fail("manifest.json is not a manifest of an EcoFund audit export")
            return nil
        }
        if manifest.format != ExportFormat.version {
            report.fail("manifest.json is format \(manifest.format); this verifier reads \(ExportFormat.version)")
        }
        let listed = Set(manifest.files.map(\.name))
        for file in ExportFormat.files where !listed.contains(file.name) {
            report.fail("manifest.json does not list \(file.name), which every export holds")
        }
        for entry in archive where entry.path != ExportFormat.File.manifest.name && !listed.contains(entry.path) {
            report.fail("\(entry.path) is in the archive but not in manifest.json")
        }
        return manifest
    }
}
