import EcoFundCore
import Foundation

/// `report.html`: the export's books for people — the fund statement of the range with per-capita figures,
/// Hebei's cities under Hebei, contributions against commitments, contributions and payments item by item with their
/// dates and bank references, who proposed and approved each run, the scores behind the allocations, and charts of
/// money in and out with an axis. In Chinese or English; times in Beijing time. One self-contained page (inline CSS
/// and SVG, no scripts), laid out to print on A4 with no table wider than the page.
///
/// It is a summary of the CSV files beside it and is built from their rows (``ExportReportBuilder``), so it says
/// nothing the files do not.
public struct ExportReport: Sendable {
    /// Money in and out of one jurisdiction in the range.
    struct Flow: Sendable {
        let code: String
        let name: String
        let nameZh: String
        let isProvince: Bool
        /// The province of a city; empty for a province.
        let parent: String
        let population: String
        let contributedFen: Int64
        let reversedFen: Int64
        let disbursedFen: Int64
        let paidFen: Int64

        var netInFen: Int64 { contributedFen - reversedFen }
        var contributedPerResident: String? { ExportReport.perResident(netInFen, population: population) }
        var disbursedPerResident: String? { ExportReport.perResident(disbursedFen, population: population) }
    }

    struct Pledge: Sendable {
        let contributor: String
        let fiscalYear: String
        let committedFen: Int64
        let fulfilledFen: Int64
    }

    struct Run: Sendable {
        let id: String
        let rule: String
        let status: String
        let valueDate: String
        let poolFen: Int64
        let allocatedFen: Int64
        var paidFen: Int64
        let proposedBy: String
        let proposedAt: String
        let approvedBy: String
        let approvedAt: String
    }

    /// A contribution as listed: the first ``itemsMax`` of the range, by entry.
    struct Contribution: Sendable {
        let contributor: String
        let amountFen: Int64
        let valueDate: String
        let reference: String
        let reversalReason: String?
    }

    struct Payment: Sendable {
        let run: String
        let recipient: String
        let amountFen: Int64
        let bankReference: String
        let confirmedBy: String
        let confirmedAt: String
    }

    /// A jurisdiction's latest score in a period.
    struct Score: Sendable {
        let period: String
        let jurisdiction: String
        let revision: String
        let composite: String
    }

    /// Items listed one by one at most, per list: the page stays a page, and every item is in its CSV file anyway.
    static let itemsMax = 300

    let range: DateRange
    let language: ReportLanguage
    let contributions: [Contribution]
    let contributionsTotal: Int
    let payments: [Payment]
    let paymentsTotal: Int
    let scores: [Score]
    let checkpoint: Checkpoint
    let flows: [Flow]
    let pledges: [Pledge]
    let runs: [Run]
    let cashOpeningFen: Int64
    let cashClosingFen: Int64
    let payableClosingFen: Int64
    /// What settlements clawed back in the range (debits of `receivable:*`), what recipients returned (their
    /// credits) and what they still owe at its end.
    let receivables: (clawedBackFen: Int64, recoveredFen: Int64, closingFen: Int64)

    /// A stored UTC instant (`2026-12-02T06:08:12.804616Z`) in Beijing time to the minute (`2026-12-02 14:08`); the
    /// text itself when it is not one.
    static func beijing(_ utc: String) -> String {
        let parts = utc.split(separator: "T")
        guard parts.count == 2, let date = try? CalendarDate(parsing: String(parts[0]), at: ""),
            parts[1].count >= 5, let hour = Int(parts[1].prefix(2)), let minute = Int(parts[1].dropFirst(3).prefix(2))
        else { return utc }
        let shifted = hour + 8
        let day = shifted >= 24 ? date.adding(days: 1) ?? date : date
        let hours = shifted % 24
        return "\(day) \(hours < 10 ? "0" : "")\(hours):\(minute < 10 ? "0" : "")\(minute)"
    }

    /// A population such as "21893000.00" as whole people with separators: 21,893,000.
    static func people(_ population: String) -> String {
        let whole = String(population.prefix { $0 != "." })
        guard !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit) else { return population }
        return Text.groupedDigits(whole)
    }

    /// Yuan per resident with two decimals, rounded half up, from fen and a population such as "21893000.00"; nil
    /// when the population is not a positive number.
    static func perResident(_ fen: Int64, population: String) -> String? {
        let parts = population.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]) else { return nil }
        let fraction =
            parts.count == 2 ? String(parts[1].prefix(2)).padding(toLength: 2, withPad: "0", startingAt: 0) : "00"
        guard let hundredths = Int64(fraction) else { return nil }
        let people = whole * 100 + hundredths  // in hundredths of a person
        guard people > 0 else { return nil }
        // yuan per person = (fen / 100) / (people / 100) = fen / people; in hundredths: fen × 100 / people.
        let (quotient, remainder) = people.dividingFullWidth(fen.multipliedFullWidth(by: 100))
        let rounded = remainder.magnitude * 2 >= people.magnitude ? quotient + (fen < 0 ? -1 : 1) : quotient
        return Money(fen: rounded).decimalString
    }
}
