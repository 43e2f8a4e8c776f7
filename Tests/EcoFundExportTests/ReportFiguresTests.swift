import EcoFundCore
import Testing

@testable import EcoFundAudit

/// The small figures of report.html: Beijing time from stored UTC, whole people, and chart axes that end at a round
/// number just above the largest bar.
@Suite struct ReportFiguresTests {
    @Test func instantsReadInBeijingTime() {
        #expect(ExportReport.beijing("2026-12-02T06:08:12.804616Z") == "2026-12-02 14:08")
        #expect(ExportReport.beijing("2025-12-31T16:30:00Z") == "2026-01-01 00:30", "past midnight in Beijing")
        #expect(ExportReport.beijing("not a time") == "not a time")
    }

    @Test func populationsAreWholePeople() {
        #expect(ExportReport.people("21893000.00") == "21,893,000")
        #expect(ExportReport.people("3355000") == "3,355,000")
        #expect(ExportReport.people("") == "")
    }

    @Test func axesEndAtARoundNumberAboveTheLargestBar() {
        let unit: Int64 = 1_000_000  // 10,000 yuan in fen
        #expect(ExportReport.roundAxis(23_110_057_81, unit: unit) == 4_000, "¥23.1 M → 40 M")
        #expect(ExportReport.roundAxis(210_000_000_00, unit: unit) == 40_000, "¥210 M → 400 M")
        #expect(ExportReport.roundAxis(1, unit: unit) == 4)
        for fen: Int64 in [1, 399_999_999, 400_000_000, 800_000_001, 123_456_789_012] {
            let end = ExportReport.roundAxis(fen, unit: unit)
            #expect(end * unit >= fen && end % 4 == 0, "\(fen)")
        }
    }

    @Test func everyTextExistsInBothLanguages() {
        for (key, entry) in ReportTexts.table {
            #expect(!entry.zh.isEmpty && !entry.en.isEmpty, "\(key)")
            func names(_ text: String) -> Set<String> {
                Set(
                    text.split(separator: "{", omittingEmptySubsequences: false).dropFirst().compactMap {
                        $0.split(separator: "}").first.map(String.init)
                    })
            }
            #expect(names(entry.zh) == names(entry.en), "\(key) fills the same {names} in both")
        }
    }
}
