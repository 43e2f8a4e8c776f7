import EcoFundCore
import Foundation

/// `report.html`: the export's books for people — the fund statement of the range with per-capita figures,
/// contributions against commitments, disbursements by recipient, and a chart of money in and out by jurisdiction.
/// One self-contained page (inline CSS and SVG, no scripts), laid out to print on A4.
///
/// It is a summary of the CSV files beside it and is built from their rows (``ExportReportBuilder``), so it says
/// nothing the files do not.
public struct ExportReport: Sendable {
    /// Money in and out of one jurisdiction in the range.
    struct Flow: Sendable {
        let code: String
        let name: String
        let nameZh: String
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
        let paidFen: Int64
    }

    let range: DateRange
    let checkpoint: Checkpoint
    let flows: [Flow]
    let pledges: [Pledge]
    let runs: [Run]
    let cashOpeningFen: Int64
    let cashClosingFen: Int64
    let payableClosingFen: Int64

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
