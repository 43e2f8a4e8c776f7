import ArgumentParser
import Crypto
import EcoFundAudit
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
    @Option(help: "The language of report.html: zh (the default) or en.")
    var lang: String = "zh"
    @Option(help: "The ZIP file to write. It appears only once complete.")
    var out: String
    @Option(help: "The service's public key (base64, or a file holding it) when ECOFUND_SIGNING_KEY is not set.")
    var publicKey: String?

    /// Whoever runs the command holds the database's credentials: they export as an auditor would.
    static let operatorPrincipal = Principal(
        userID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), subject: "cli", role: .auditor,
        jurisdiction: nil)

    func run() async throws {
        let environment = Environment()
        guard let language = ReportLanguage(rawValue: lang) else {
            throw ValidationError("--lang must be zh or en, not \(lang)")
        }
        let range: DateRange
        do {
            range = try DateRange(parsingFrom: from, to: to)
        } catch {
            throw ValidationError("\(error)")
        }
        var key: Curve25519.Signing.PublicKey?
        if let path = environment.values["ECOFUND_SIGNING_KEY"], !path.isEmpty {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: try SigningKeyFile.load(path)).publicKey
        } else if let publicKey {
            key = try PublicKeyArgument.read(publicKey)
        }
        let url = try environment.databaseURL()
        let keyBytes = key?.rawRepresentation
        try await Database.withPool(url, connectionsMax: 1, logger: environment.logger()) { database in
            let key = try keyBytes.map { try Curve25519.Signing.PublicKey(rawRepresentation: $0) }
            let log = AuditLog(database: database, exportDatabaseURL: url, publicKey: key)
            let snapshot = try await log.openExport(range, by: Self.operatorPrincipal)
            try await write(AuditExporter(snapshot, language: language))
        }
    }

    /// Writes the archive to `out.partial`, then moves it to `out`: a failed export leaves no file that looks whole.
    private func write(_ exporter: AuditExporter) async throws {
        let partial = out + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil) else {
            await exporter.snapshot.close()
            throw ValidationError("cannot write \(partial)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        do {
            try await exporter.write { chunk in try handle.write(contentsOf: chunk) }
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.moveItem(atPath: partial, toPath: out)
            let checkpoint = exporter.checkpoint
            FileHandle.standardError.write(
                Data(
                    "wrote \(out): value dates \(exporter.snapshot.range), \(checkpoint.treeSize) events up to root \(checkpoint.rootHash.prefix(16))…\n"
                        .utf8))
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}
