import Crypto
import EcoFundAudit
import EcoFundCore
import EcoFundExport
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing
import ZIPFoundation

/// Exports of the demo books from a real PostgreSQL, checked by the offline verifier, and the tamper drills of
/// the auditors' issue: each alteration is caught, with a message that names what is wrong.
@Suite struct ExportTests {
    /// The service's signing key in these tests, and an attacker's.
    static let keyBytes = Data(repeating: 11, count: 32)
    static var key: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: keyBytes) }
    static var otherKey: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: Data(repeating: 12, count: 32)) }

    /// The demo books, sealed and signed, in a database of the test's own.
    static func withDemoBooks(_ body: @Sendable @escaping (TestDatabase) async throws -> Void) async throws {
        _ = try await TestDatabase.with { database in
            try await database.withOwner { try await DemoSeed.load(into: $0) }
            try await seal(database)
            try await body(database)
        }
    }

    static func seal(_ database: TestDatabase) async throws { try await database.sealEverything(keyBytes: keyBytes) }

    /// Writes the export of `database` to a new file and returns its URL.
    static func export(
        _ database: TestDatabase, from: String = "2000-01-01", to: String = "2100-12-31",
        language: ReportLanguage = .zh
    ) async throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID()).zip")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        try await database.withApp { app in
            let log = AuditLog(database: app, exportDatabaseURL: database.appURL, publicKey: key.publicKey)
            let snapshot = try await log.openExport(
                try DateRange(parsingFrom: from, to: to), by: try await Self.auditor(database))
            try await AuditExporter(snapshot, language: language).write { try handle.write(contentsOf: $0) }
        }
        try handle.close()
        return url
    }

    /// An auditor of the test's books, as the services know callers. Made once (its user and token are events,
    /// which are sealed before it is handed out, so that an export right after does not wait for them).
    static func auditor(_ database: TestDatabase) async throws -> Principal {
        let subject = "sun.auditor"
        let existing = try await database.withOwner { owner in
            try await owner.read { connection in
                for try await id in try await connection.query(
                    "SELECT id FROM users WHERE subject = \(subject)", logger: owner.logger
                ).decode(UUID.self) { return Optional(id) }
                return nil
            }
        }
        if let existing { return Principal(userID: existing, subject: subject, role: .auditor, jurisdiction: nil) }
        let principal = try await database.principal(.auditor, subject: subject)
        try await seal(database)
        return principal
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    static func verify(_ url: URL, key: Curve25519.Signing.PublicKey = key.publicKey, older: Checkpoint? = nil)
        -> ExportVerifier.Report
    {
        ExportVerifier(trustedKey: key, older: older).verify(archiveAt: url)
    }

    static func files(_ url: URL) throws -> [String: Data] {
        let archive = try Archive(url: url, accessMode: .read)
        var files: [String: Data] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            files[entry.path] = data
        }
        return files
    }

    /// A copy of the archive with its files changed by `change` (in the original order, new ones last).
    static func rewrite(_ url: URL, _ change: (inout [String: Data]) throws -> Void) throws -> URL {
        var files = try files(url)
        let order = try Archive(url: url, accessMode: .read).map(\.path)
        try change(&files)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tampered-\(UUID()).zip")
        let archive = try Archive(url: out, accessMode: .create)
        for name in order + files.keys.filter({ !order.contains($0) }).sorted() {
            guard let data = files[name] else { continue }
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return out
    }

    /// The manifest with the SHA-256 and size of `name` brought in line with its new content, as a careful forger
    /// would do.
    static func updateManifest(_ files: inout [String: Data], for name: String) throws {
        let manifest = try JSONDecoder().decode(ExportManifest.self, from: files[ExportFormat.File.manifest.name]!)
        let data = files[name]!
        let updated = ExportManifest(
            exportedAt: manifest.exportedAt, from: manifest.from, to: manifest.to, complete: manifest.complete,
            treeSize: manifest.treeSize,
            files: manifest.files.map {
                $0.name == name
                    ? .init(name: name, bytes: Int64(data.count), sha256: Array(SHA256.hash(data: data)).hex) : $0
            })
        files[ExportFormat.File.manifest.name] = try JSONEncoder().encode(updated)
    }

    static func replace(_ files: inout [String: Data], _ name: String, _ old: String, _ new: String) {
        let text = String(decoding: files[name]!, as: UTF8.self)
        precondition(text.contains(old), "\(name) does not contain \(old)")
        files[name] = Data(text.replacingOccurrences(of: old, with: new).utf8)
    }

    static func expectFailure(
        _ report: ExportVerifier.Report, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!report.verified, sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(
                report.failures.contains { $0.contains(fragment) }, "no failure says “\(fragment)”: \(report.failures)",
                sourceLocation: sourceLocation)
        }
    }

    static func asSuperuser(_ database: TestDatabase, _ statements: String...) async throws {
        try await database.withOwner { owner in
            try await owner.client.withConnection { connection in
                // What a superuser can do and the service cannot: switch the triggers off for the session.
                try await connection.query("SET session_replication_role = replica", logger: owner.logger)
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: owner.logger)
                }
                try await connection.query("SET session_replication_role = origin", logger: owner.logger)
            }
        }
    }

    @Test func aCleanExportOfTheDemoBooksVerifies() async throws {
        try await Self.withDemoBooks { database in
            let url = try await Self.export(database)
            let report = Self.verify(url)
            #expect(report.failures == [])
            #expect(report.verified)
            let files = try Self.files(url)
            #expect(Set(files.keys) == Set(ExportFormat.File.allCases.map(\.name)))
            // CSV for Excel: byte order mark, CR LF, a header row.
            let lines = try #require(files[ExportFormat.File.journalLines.name])
            #expect(Array(lines.prefix(3)) == ExportFormat.byteOrderMark)
            #expect(
                String(decoding: lines.dropFirst(3), as: UTF8.self).hasPrefix(
                    "entry_id,line_no,account,side,amount\r\n"))
            // events.jsonl holds exactly the bytes the log hashed: each line's leaf hash is the stored one.
            let events = try #require(files[ExportFormat.File.events.name]).split(separator: UInt8(ascii: "\n")).map {
                Array($0)
            }
            let auditor = try await Self.auditor(database)
            let stored = try await database.withApp { app in
                try await AuditLog(database: app).entries(after: nil, limit: 1000, by: auditor).entries
            }
            #expect(events.count == stored.count && !events.isEmpty)
            for (line, entry) in zip(events, stored) {
                #expect(MerkleTree.leafHash(line) == entry.leafHash)
                #expect(String(decoding: line, as: UTF8.self) == entry.canonical)
            }
            // The report, in Chinese unless asked: the fund statement, Hebei's cities under Hebei, the charts with an
            // axis, itemised payments with their bank references, who proposed and approved the run, in Beijing time.
            let page = String(decoding: try #require(files[ExportFormat.File.report.name]), as: UTF8.self)
            #expect(page.contains("<html lang=\"zh-CN\">") && page.contains("<h2>基金收支表</h2>"))
            #expect(page.contains("河北省合计") && page.contains("<svg") && page.contains("万元"))
            #expect(page.contains("PBOC-20251220-100") && page.contains("demo-approver"))
            #expect(page.contains("21,893,000") && !page.contains("21893000.00"), "populations as whole people")
            #expect(
                page.range(of: #"\d{4}-\d{2}-\d{2}T\d{2}:"#, options: .regularExpression) == nil,
                "every instant in Beijing time, none as stored UTC")
            let english = String(
                decoding: try #require(
                    try Self.files(try await Self.export(database, language: .en))[ExportFormat.File.report.name]),
                as: UTF8.self)
            #expect(english.contains("<html lang=\"en\">") && english.contains("<h2>Fund statement</h2>"))
            #expect(
                english.contains("Hebei total") && english.contains("Zhangjiakou") && english.contains("per resident"))
            let runs = String(decoding: try #require(files[ExportFormat.File.runs.name]), as: UTF8.self)
            #expect(runs.contains("jjj-annual"))
        }
    }

    @Test func aRangeExportsOnlyItsValueDatesAndStillVerifies() async throws {
        try await Self.withDemoBooks { database in
            let url = try await Self.export(database, from: "2025-03-20", to: "2025-12-31")
            #expect(Self.verify(url).failures == [])
            let files = try Self.files(url)
            let manifest = try JSONDecoder().decode(
                ExportManifest.self, from: try #require(files[ExportFormat.File.manifest.name]))
            #expect(!manifest.complete)
            let contributions = String(
                decoding: try #require(files[ExportFormat.File.contributions.name]), as: UTF8.self)
            #expect(!contributions.contains("2025-03-15"))
        }
    }

    @Test func aChangedLineAmountIsCaught() async throws {
        try await Self.withDemoBooks { database in
            let url = try await Self.export(database)
            let line = try #require(
                String(decoding: try Self.files(url)[ExportFormat.File.journalLines.name]!, as: UTF8.self)
                    .components(separatedBy: "\r\n").first { $0.hasPrefix("1,1,") })
            let amount = String(try #require(line.split(separator: ",").last))
            let forged = line.replacingOccurrences(of: amount, with: "1" + amount)
            // As is: the manifest gives it away, and the entry no longer balances.
            let plain = try Self.rewrite(url) { Self.replace(&$0, ExportFormat.File.journalLines.name, line, forged) }
            Self.expectFailure(
                Self.verify(plain), "journal_lines.csv does not match manifest.json", "journal entry 1 does not balance"
            )
            // With the manifest brought in line: the ledger still does not add up.
            let careful = try Self.rewrite(url) {
                Self.replace(&$0, ExportFormat.File.journalLines.name, line, forged)
                try Self.updateManifest(&$0, for: ExportFormat.File.journalLines.name)
            }
            let report = Self.verify(careful)
            Self.expectFailure(report, "journal entry 1 does not balance", "account fund:cash")
            #expect(!report.failures.contains { $0.contains("manifest") })
        }
    }

    @Test func anEventRemovedReorderedOrEditedIsCaught() async throws {
        try await Self.withDemoBooks { database in
            let url = try await Self.export(database)
            func lines(_ files: [String: Data]) -> [Substring] {
                String(decoding: files[ExportFormat.File.events.name]!, as: UTF8.self).split(separator: "\n")
            }
            func write(_ lines: [Substring], into files: inout [String: Data]) throws {
                files[ExportFormat.File.events.name] = Data((lines.joined(separator: "\n") + "\n").utf8)
                try Self.updateManifest(&files, for: ExportFormat.File.events.name)
            }
            let removed = try Self.rewrite(url) { files in
                var events = lines(files)
                events.remove(at: 3)
                try write(events, into: &files)
            }
            Self.expectFailure(Self.verify(removed), "events.jsonl holds", "hash to the root")
            let reordered = try Self.rewrite(url) { files in
                var events = lines(files)
                events.swapAt(3, 4)
                try write(events, into: &files)
            }
            Self.expectFailure(Self.verify(reordered), "an event was added, removed, reordered or edited")
            // An edited event, still canonical JSON: the bank reference of the first contribution.
            let edited = try Self.rewrite(url) { files in
                var events = lines(files)
                let index = try #require(events.firstIndex { $0.contains("\"type\":\"contribution.recorded\"") })
                events[index] = Substring(events[index].replacingOccurrences(of: "BOC-", with: "BOX-"))
                try write(events, into: &files)
            }
            Self.expectFailure(Self.verify(edited), "an event was added, removed, reordered or edited")
            // Not even a byte of whitespace: the line is no longer canonical, and no longer hashes the same.
            let spaced = try Self.rewrite(url) { files in
                var events = lines(files)
                events[0] = Substring(events[0].replacingOccurrences(of: "\",\"", with: "\", \""))
                try write(events, into: &files)
            }
            Self.expectFailure(Self.verify(spaced), "events.jsonl line 1 is not in canonical (RFC 8785) form")
        }
    }

    @Test func aDroppedFileIsCaught() async throws {
        try await Self.withDemoBooks { database in
            let url = try await Self.export(database)
            let dropped = try Self.rewrite(url) { $0[ExportFormat.File.payments.name] = nil }
            Self.expectFailure(
                Self.verify(dropped), "payments.csv is listed in manifest.json but missing from the archive")
            let unlisted = try Self.rewrite(url) { files in
                files[ExportFormat.File.payments.name] = nil
                let manifest = try JSONDecoder().decode(
                    ExportManifest.self, from: files[ExportFormat.File.manifest.name]!)
                files[ExportFormat.File.manifest.name] = try JSONEncoder().encode(
                    ExportManifest(
                        exportedAt: manifest.exportedAt, from: manifest.from, to: manifest.to,
                        complete: manifest.complete, treeSize: manifest.treeSize,
                        files: manifest.files.filter { $0.name != ExportFormat.File.payments.name }))
            }
            Self.expectFailure(Self.verify(unlisted), "manifest.json does not list payments.csv")
            let noManifest = try Self.rewrite(url) { $0[ExportFormat.File.manifest.name] = nil }
            Self.expectFailure(Self.verify(noManifest), "manifest.json is missing")
        }
    }

    @Test func aCheckpointSignedByAnotherKeyIsCaught() async throws {
        try await Self.withDemoBooks { database in
            let url = try await Self.export(database)
            let forged = try Self.rewrite(url) { files in
                let shipped = try JSONDecoder().decode(
                    ExportCheckpoint.self, from: files[ExportFormat.File.checkpoint.name]!)
                let resigned = try Checkpoint.sign(
                    treeSize: shipped.treeSize, root: [UInt8](hex: shipped.rootHash)!, issuedAt: shipped.issuedAt,
                    key: Self.otherKey)
                files[ExportFormat.File.checkpoint.name] = try JSONEncoder().encode(
                    ExportCheckpoint(
                        resigned, publicKey: Self.otherKey.publicKey.rawRepresentation.base64EncodedString()))
                try Self.updateManifest(&files, for: ExportFormat.File.checkpoint.name)
            }
            Self.expectFailure(Self.verify(forged), "checkpoint.json is not signed by the public key")
            // Without a trusted key the verifier can only use the one inside, and says so.
            let untrusted = ExportVerifier().verify(archiveAt: forged)
            #expect(untrusted.notes.contains { $0.contains("--public-key") })
        }
    }

    /// The drill auditors keep checkpoints for: someone with the database and the signing key rebuilds the log with
    /// an altered early event. The new export is consistent in itself and signed; only an older checkpoint shows it.
    @Test func aRewrittenHistoryIsCaughtByAnOlderCheckpoint() async throws {
        try await Self.withDemoBooks { database in
            let first = try await Self.export(database)
            let older = try JSONDecoder().decode(
                ExportCheckpoint.self, from: try #require(try Self.files(first)[ExportFormat.File.checkpoint.name])
            ).checkpoint
            #expect(Self.verify(first, older: older).failures == [])
            try await Self.asSuperuser(
                database,
                """
                UPDATE audit_events SET payload = jsonb_set(payload, '{reference}', '"FORGED-1"')
                 WHERE id = (SELECT min(id) FROM audit_events WHERE type = 'contribution.recorded')
                """,
                // The books made to agree with the forged event, as a careful forger would.
                """
                UPDATE contributions SET reference = 'FORGED-1'
                 WHERE id = (SELECT (payload->>'id')::uuid FROM audit_events
                              WHERE id = (SELECT min(id) FROM audit_events WHERE type = 'contribution.recorded'))
                """,
                "DELETE FROM audit_checkpoints", "DELETE FROM audit_log_nodes", "DELETE FROM audit_log")
            try await Self.seal(database)
            let second = try await Self.export(database)
            #expect(Self.verify(second).failures == [], "the rebuilt log is consistent in itself")
            Self.expectFailure(
                Self.verify(second, older: older), "history was rewritten: the first \(older.treeSize) events")
        }
    }

    /// A superuser with triggers disabled changes the books underneath the service; the export shows it.
    @Test func rowsAlteredBySuperuserAreCaught() async throws {
        let firstContribution = "(SELECT min(entry_id) FROM contributions)"
        try await Self.withDemoBooks { database in
            // A balanced change to both lines of the first contribution: the stored balances and the signed event
            // still say otherwise.
            try await Self.asSuperuser(
                database,
                "UPDATE journal_lines SET amount_fen = amount_fen + 100000 WHERE entry_id = \(firstContribution)")
            Self.expectFailure(
                Self.verify(try await Self.export(database)),
                "a journal line or the balance was altered outside the service", "is booked by entry")
        }
        try await Self.withDemoBooks { database in
            // The contribution, its lines and the balances all changed together: only the signed event remains.
            try await Self.asSuperuser(
                database,
                "UPDATE contributions SET amount_fen = amount_fen + 100000 WHERE entry_id = \(firstContribution)",
                "UPDATE journal_lines SET amount_fen = amount_fen + 100000 WHERE entry_id = \(firstContribution)",
                """
                UPDATE account_balances SET balance_fen = balance_fen + 100000, debit_fen = debit_fen + 100000
                 WHERE account_code = 'fund:cash'
                """,
                """
                UPDATE account_balances SET balance_fen = balance_fen + 100000, credit_fen = credit_fen + 100000
                 WHERE account_code = (SELECT 'contributions:' || contributor FROM contributions
                                        ORDER BY entry_id LIMIT 1)
                """)
            let report = Self.verify(try await Self.export(database))
            Self.expectFailure(report, "differs from the signed event that recorded it")
            #expect(!report.failures.contains { $0.contains("does not balance") })
        }
        try await Self.withDemoBooks { database in
            // One fen more to one recipient: the rule applied to the run's snapshot says otherwise.
            try await Self.asSuperuser(
                database,
                """
                UPDATE disbursement_allocations SET amount_fen = amount_fen + 1
                 WHERE (run_id, recipient) = (SELECT run_id, recipient FROM disbursement_allocations
                                               WHERE amount_fen > 0 ORDER BY recipient LIMIT 1)
                """)
            Self.expectFailure(
                Self.verify(try await Self.export(database)), "does not hold the amounts its rule gives")
        }
    }

    /// An export proves every row it holds with a sealed event, so it waits for the sealer, and without one it is
    /// refused as unavailable rather than written unproven.
    @Test func anExportWaitsForTheSealerAndRefusesWithoutIt() async throws {
        _ = try await TestDatabase.with { database in
            // Making the auditor writes events (a user, a token) that no sealer will seal.
            let auditor = try await database.principal(.auditor)
            let error = await #expect(throws: StoreError.self) {
                try await database.withApp { app in
                    let log = AuditLog(
                        database: app, exportDatabaseURL: database.appURL, exportSealWait: .milliseconds(300))
                    _ = try await log.openExport(
                        try DateRange(parsingFrom: "2025-01-01", to: "2025-12-31"), by: auditor)
                }
            }
            #expect(error?.code == .unavailable)
            #expect(error?.detail.contains("not sealed yet") == true)
        }
    }

    /// One transaction of more events than a sealer batch is sealed over several rounds, in order, and the log still
    /// hashes to its checkpoint.
    @Test func aTransactionLargerThanABatchIsSealedAcrossRounds() async throws {
        try await Self.withDemoBooks { database in
            let count = AuditLog.batchEventsMax * 2 + 123
            try await database.withOwner { owner in
                try await owner.client.withConnection { connection in
                    let rows = try await connection.query(
                        """
                        INSERT INTO audit_events (type, actor, payload)
                        SELECT 'bulk.event', 'test', jsonb_build_object('n', g) FROM generate_series(1, \(count)) g
                        """, logger: owner.logger)
                    for try await _ in rows {}
                }
            }
            try await Self.seal(database)
            let events = try await database.withApp { app in
                try await app.client.withConnection { connection in
                    var counts: [Int] = []
                    for try await (all, sealed) in try await connection.query(
                        "SELECT (SELECT count(*) FROM audit_events), (SELECT max(tree_size) FROM audit_checkpoints)",
                        logger: app.logger
                    ).decode((Int, Int).self) { counts = [all, sealed] }
                    return counts
                }
            }
            #expect(events.count == 2 && events[0] == events[1] && events[0] > count, "\(events)")
            let url = try await Self.export(database)
            #expect(Self.verify(url).failures == [])
            let manifest = try JSONDecoder().decode(
                ExportManifest.self, from: try #require(try Self.files(url)[ExportFormat.File.manifest.name]))
            #expect(manifest.treeSize > count)
        }
    }

    @Test func crc32MatchesTheCheckValue() {
        // The standard check value of CRC-32/ISO-HDLC over "123456789".
        #expect(Self.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Self.crc32([]) == 0)
    }

    @Test func csvFieldsWithQuotesCommasAndLineBreaksComeBackWhole() throws {
        let text = "\u{FEFF}a,b,c\r\n1,\"x, \"\"y\"\"\",\"line\r\nbreak\"\r\n2,,\"\"\r\n"
        #expect(
            CSVReader.rows(Array(text.utf8)) == [
                ["a", "b", "c"], ["1", "x, \"y\"", "line\r\nbreak"], ["2", "", ""],
            ])
    }

    @Test func notAZipIsAFailureNotACrash() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("not-\(UUID()).zip")
        try Data("these are not the books".utf8).write(to: url)
        Self.expectFailure(ExportVerifier().verify(archiveAt: url), "cannot be read as a ZIP file")
    }
}
