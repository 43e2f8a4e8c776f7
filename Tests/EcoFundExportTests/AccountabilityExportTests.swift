import EcoFundAudit
import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// The demo's accountability cycle in the export: the settlement's clawback and Handan's recovery in their files,
/// recomputed and checked offline; and a superuser's change to either caught though the books still balance.
@Suite struct AccountabilityExportTests {
    typealias Export = ExportTests

    @Test func theDemoCycleIsExportedAndVerifies() async throws {
        try await Export.withDemoBooks { database in
            let url = try await Export.export(database)
            let report = Export.verify(url)
            #expect(report.failures == [])
            let files = try Export.files(url)
            let clawbacks = String(decoding: try #require(files[ExportFormat.File.clawbacks.name]), as: UTF8.self)
            let recoveries = String(decoding: try #require(files[ExportFormat.File.recoveries.name]), as: UTF8.self)
            #expect(clawbacks.split(separator: "\r\n").count == 2 && clawbacks.contains(",handan,"))
            #expect(recoveries.contains("HANDAN-FIN-2026-0420-007"))
            let targets = String(decoding: try #require(files[ExportFormat.File.targets.name]), as: UTF8.self)
            #expect(targets.split(separator: "\r\n").count == 12, "a header and Hebei's eleven cities")
            let page = String(decoding: try #require(files[ExportFormat.File.report.name]), as: UTF8.self)
            #expect(page.contains("其中清算收回") && page.contains("应收未收回款"))
        }
    }

    @Test func aClawbackChangedWithItsEntryIsCaught() async throws {
        try await Export.withDemoBooks { database in
            // 100 yuan more clawed back from Handan, its entry and both balances changed to match: the books balance,
            // but the settlement recomputed from its snapshot and the signed event say otherwise.
            try await Export.asSuperuser(
                database, "UPDATE clawbacks SET amount_fen = amount_fen + 10000",
                "UPDATE journal_lines SET amount_fen = amount_fen + 10000 WHERE entry_id = (SELECT entry_id FROM clawbacks)",
                """
                UPDATE account_balances SET balance_fen = balance_fen + 10000, debit_fen = debit_fen + 10000
                 WHERE account_code = 'receivable:handan'
                """,
                """
                UPDATE account_balances SET balance_fen = balance_fen - 10000, credit_fen = credit_fen + 10000
                 WHERE account_code = 'disbursements:handan'
                """)
            let report = Export.verify(try await Export.export(database))
            Export.expectFailure(
                report, "recomputing the settlement from its snapshot claws back",
                "differs from the signed event")
            #expect(!report.failures.contains { $0.contains("does not balance") })
        }
    }

    @Test func aRecoveryChangedWithItsEntryIsCaught() async throws {
        try await Export.withDemoBooks { database in
            try await Export.asSuperuser(
                database, "UPDATE recoveries SET amount_fen = amount_fen + 10000",
                "UPDATE journal_lines SET amount_fen = amount_fen + 10000 WHERE entry_id = (SELECT entry_id FROM recoveries)",
                """
                UPDATE account_balances SET balance_fen = balance_fen + 10000, debit_fen = debit_fen + 10000
                 WHERE account_code = 'fund:cash'
                """,
                """
                UPDATE account_balances SET balance_fen = balance_fen - 10000, credit_fen = credit_fen + 10000
                 WHERE account_code = 'receivable:handan'
                """)
            let report = Export.verify(try await Export.export(database))
            Export.expectFailure(report, "differs from the signed event that recorded it")
            #expect(!report.failures.contains { $0.contains("does not balance") })
        }
    }

    /// A clawback row removed by a superuser: the settlement recomputed from its snapshot still claws back, so the
    /// missing row is said (the check at the end of clawbacks.csv, which no other test reaches).
    @Test func aClawbackRowRemovedIsCaught() async throws {
        try await Export.withDemoBooks { database in
            try await Export.asSuperuser(database, "DELETE FROM clawbacks")
            Export.expectFailure(Export.verify(try await Export.export(database)), "has no such clawback")
        }
    }
}
