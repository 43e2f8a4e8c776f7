import EcoFundAudit
import EcoFundCore
import EcoFundExport
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// CSV cells that a spreadsheet would run as formulas (OWASP's CSV injection): references `=1+2`, `+86`, `-5`,
/// `@SUM(A1)` are stored and signed as entered, exported with a leading `'`, and verified once the verifier drops it;
/// a reference edited in the CSV (manifest forged to match) still fails against the signed event. The database's
/// `csv_text()` and the format's rule are one rule.
@Suite struct SpreadsheetSafetyTests {
    static let references = ["=1+2", "+86", "-5", "@SUM(A1)", "'quoted", "BJ-2025-001"]

    @Test func formulaLikeReferencesRoundTripAsText() async throws {
        try await ExportTests.withDemoBooks { database in
            let finance = try await database.principal(.finance, jurisdiction: "beijing")
            try await database.withApp { app in
                let ledger = LedgerService(database: app)
                for (index, reference) in Self.references.enumerated() {
                    let request = try ContributionRequest(
                        contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2025-09-0\(index + 1)",
                        reference: reference, memo: index == 0 ? "=HYPERLINK(\"http://x\")" : nil)
                    let recorded = try await ledger.recordContribution(
                        request, by: finance, idempotencyKey: try IdempotencyKey("csv-\(index)"))
                    #expect(recorded.value.reference == reference, "stored as entered")
                }
            }
            try await ExportTests.seal(database)
            let url = try await ExportTests.export(database)
            let report = ExportTests.verify(url)
            #expect(report.verified, "\(report.failures)")
            let csv = String(decoding: try ExportTests.files(url)["contributions.csv"]!, as: UTF8.self)
            for reference in Self.references {
                let written = ExportFormat.neutralised(reference)
                #expect(csv.contains(",\(written),"), "\(reference) → \(written)")
                #expect(ExportFormat.original(written) == reference)
            }
            #expect(csv.contains(",'=1+2,") && csv.contains(",'+86,") && csv.contains(",'-5,"))
            #expect(csv.contains(",'@SUM(A1),") && csv.contains(",''quoted,"), "a leading ' is escaped too")
            #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "a memo too, quoted as RFC 4180 says")
            #expect(csv.contains(",北京市,"), "the contributor's Chinese name beside its code")
            #expect(!csv.contains(",'1.00,") && csv.contains(",1.00,"), "amounts stay plain numbers")

            // A forger edits one reference in the CSV and fixes the manifest: the signed event still says otherwise.
            let forged = try ExportTests.rewrite(url) { files in
                ExportTests.replace(&files, "contributions.csv", ",'+86,", ",'+87,")
                try ExportTests.updateManifest(&files, for: "contributions.csv")
            }
            ExportTests.expectFailure(
                ExportTests.verify(forged), "has reference \"+87\" in contributions.csv", "says \"+86\"")
        }
    }

    @Test func theDatabasesRuleIsTheFormats() async throws {
        try await TestDatabase.with { database in
            let samples = Self.references + ["\tTAB", "", "=", "'", "''", "a=b", " =1", "\r\n", "－5", "中=文", "-"]
            let written = try await database.withApp { app in
                try await app.read { connection in
                    var out: [String] = []
                    for sample in samples {
                        for try await text in try await connection.query(
                            "SELECT csv_text(\(sample))", logger: app.logger
                        ).decode(String.self) { out.append(text) }
                    }
                    return out
                }
            }
            #expect(written == samples.map(ExportFormat.neutralised))
            #expect(samples.allSatisfy { ExportFormat.original(ExportFormat.neutralised($0)) == $0 })
        }
    }
}
