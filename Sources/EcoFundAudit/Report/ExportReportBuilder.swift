import EcoFundCore

/// Builds ``ExportReport`` from the CSV files it summarises, fed as the writer streams them: jurisdictions, accounts
/// (the balances of the range), commitments, runs and payments. Other files are not needed and not kept.
public struct ExportReportBuilder {
    private struct Figures {
        var openingFen: Int64 = 0
        var debitsFen: Int64 = 0
        var creditsFen: Int64 = 0
        var closingFen: Int64 = 0
    }

    private struct Place {
        let code: String
        let name: String
        let nameZh: String
        let isProvince: Bool
        let parent: String
        let population: String
    }

    private var readers: [ExportFormat.File: CSVReader] = [:]
    private var columns: [ExportFormat.File: [Int]] = [:]
    private var places: [Place] = []
    private var accounts: [String: Figures] = [:]
    private var pledges: [ExportReport.Pledge] = []
    private var runs: [ExportReport.Run] = []
    private var paidFen: [String: Int64] = [:]
    private var contributions: [ExportReport.Contribution] = []
    private var contributionsTotal = 0
    private var payments: [ExportReport.Payment] = []
    private var paymentsTotal = 0
    /// The latest revision of each (period, jurisdiction): scores.csv lists revisions in order.
    private var scores: [String: ExportReport.Score] = [:]

    public init() {}

    /// The columns each file must have for the report, in the order the row readers below use them.
    private static func wanted(_ file: ExportFormat.File) -> [String]? {
        switch file {
        case .jurisdictions: ["code", "name", "name_zh", "level", "parent", "population"]
        case .accounts: ["account", "opening", "debits", "credits", "closing"]
        case .commitments: ["contributor", "fiscal_year", "amount", "fulfilled"]
        case .runs:
            [
                "id", "rule", "rule_version", "status", "value_date", "pool", "allocated", "proposed_at", "proposed_by",
                "approved_by", "approved_at",
            ]
        case .payments: ["run_id", "amount", "recipient", "bank_reference", "confirmed_by", "confirmed_at"]
        case .contributions:
            ["contributor", "amount", "value_date", "reference", "reversal_entry_id", "reversal_reason"]
        case .scores: ["period", "jurisdiction", "revision", "composite"]
        case .journalEntries, .journalLines, .trialBalance, .runTransitions, .allocations, .events, .checkpoint,
            .report, .manifest, .clawbacks, .recoveries, .targets, .readings:
            nil
        }
    }

    /// The next bytes of `file`, from its first (the byte order mark) to its last.
    public mutating func feed(_ file: ExportFormat.File, _ bytes: [UInt8]) {
        guard let wanted = Self.wanted(file) else { return }
        var reader = readers[file] ?? CSVReader()
        bytes.withUnsafeBytes { buffer in
            reader.feed(buffer) { row, number in
                if number == 1 {
                    let names = row.strings
                    columns[file] = wanted.map { names.firstIndex(of: $0) ?? -1 }
                } else if let at = columns[file] {
                    take(file, row, at)
                }
            }
        }
        readers[file] = reader
    }

    private mutating func take(_ file: ExportFormat.File, _ row: borrowing CSVRow, _ at: [Int]) {
        switch file {
        case .jurisdictions:
            places.append(
                Place(
                    code: row.string(at[0]), name: ExportFormat.original(row.string(at[1])),
                    nameZh: ExportFormat.original(row.string(at[2])),
                    isProvince: row.equals(at[3], "province"), parent: row.string(at[4]),
                    population: row.string(at[5])))
        case .accounts:
            accounts[row.string(at[0])] = Figures(
                openingFen: Self.fen(row, at[1]), debitsFen: Self.fen(row, at[2]), creditsFen: Self.fen(row, at[3]),
                closingFen: Self.fen(row, at[4]))
        case .commitments:
            pledges.append(
                .init(
                    contributor: row.string(at[0]), fiscalYear: row.string(at[1]), committedFen: Self.fen(row, at[2]),
                    fulfilledFen: Self.fen(row, at[3])))
        case .runs:
            runs.append(
                ExportReport.Run(
                    id: row.string(at[0]), rule: "\(row.string(at[1])) v\(row.string(at[2]))",
                    status: row.string(at[3]),
                    valueDate: row.string(at[4]), poolFen: Self.fen(row, at[5]), allocatedFen: Self.fen(row, at[6]),
                    paidFen: 0, proposedBy: row.string(at[8]), proposedAt: row.string(at[7]),
                    approvedBy: row.string(at[9]), approvedAt: row.string(at[10])))
        case .payments:
            paidFen[row.string(at[0]), default: 0] += Self.fen(row, at[1])
            paymentsTotal += 1
            if payments.count < ExportReport.itemsMax {
                payments.append(
                    .init(
                        run: row.string(at[0]), recipient: row.string(at[2]), amountFen: Self.fen(row, at[1]),
                        bankReference: ExportFormat.original(row.string(at[3])), confirmedBy: row.string(at[4]),
                        confirmedAt: row.string(at[5])))
            }
        case .contributions:
            contributionsTotal += 1
            if contributions.count < ExportReport.itemsMax {
                contributions.append(
                    .init(
                        contributor: row.string(at[0]), amountFen: Self.fen(row, at[1]), valueDate: row.string(at[2]),
                        reference: ExportFormat.original(row.string(at[3])),
                        reversalReason: row.isEmpty(at[4]) ? nil : ExportFormat.original(row.string(at[5]))))
            }
        case .scores:
            let score = ExportReport.Score(
                period: row.string(at[0]), jurisdiction: row.string(at[1]), revision: row.string(at[2]),
                composite: row.string(at[3]))
            scores["\(score.period)/\(score.jurisdiction)"] = score
        case .journalEntries, .journalLines, .trialBalance, .runTransitions, .allocations, .events, .checkpoint,
            .report, .manifest, .clawbacks, .recoveries, .targets, .readings:
            break
        }
    }

    /// An amount the writer's own query wrote (`fen_text`): one that does not read is a bug, not a zero.
    private static func fen(_ row: borrowing CSVRow, _ field: Int) -> Int64 {
        guard let fen = row.fen(field) else {
            preconditionFailure("the export wrote \"\(row.string(field))\" as an amount")
        }
        return fen
    }

    /// The report of the files fed so far.
    public func report(range: DateRange, checkpoint: Checkpoint, language: ReportLanguage = .zh) -> ExportReport {
        // Provinces first, then each province's cities, by code.
        let ordered = places.sorted {
            ($0.isProvince ? 0 : 1, $0.parent, $0.code) < ($1.isProvince ? 0 : 1, $1.parent, $1.code)
        }
        let flows = ordered.map { place in
            let contributions = accounts["contributions:\(place.code)"]
            return ExportReport.Flow(
                code: place.code, name: place.name, nameZh: place.nameZh, isProvince: place.isProvince,
                parent: place.parent, population: place.population,
                contributedFen: contributions?.creditsFen ?? 0, reversedFen: contributions?.debitsFen ?? 0,
                disbursedFen: accounts["disbursements:\(place.code)"]?.debitsFen ?? 0,
                paidFen: accounts["payable:\(place.code)"]?.debitsFen ?? 0)
        }
        let runs = self.runs.sorted { ($0.valueDate, $0.proposedAt) < ($1.valueDate, $1.proposedAt) }.map { run in
            var run = run
            run.paidFen = paidFen[run.id, default: 0]
            return run
        }
        let payable = accounts.filter { $0.key.hasPrefix("payable:") }.values.reduce(Int64(0)) { $0 + $1.closingFen }
        let cash = accounts[AccountCode.fundCash.description]
        let owed = accounts.filter { $0.key.hasPrefix("receivable:") }.values
        let receivables = (
            clawedBackFen: owed.reduce(Int64(0)) { $0 + $1.debitsFen },
            recoveredFen: owed.reduce(Int64(0)) { $0 + $1.creditsFen },
            closingFen: owed.reduce(Int64(0)) { $0 + $1.closingFen }
        )
        return ExportReport(
            range: range, language: language, contributions: contributions, contributionsTotal: contributionsTotal,
            payments: payments, paymentsTotal: paymentsTotal,
            scores: scores.values.sorted { ($0.period, $0.jurisdiction) < ($1.period, $1.jurisdiction) },
            checkpoint: checkpoint, flows: flows, pledges: pledges, runs: runs,
            cashOpeningFen: cash?.openingFen ?? 0, cashClosingFen: cash?.closingFen ?? 0, payableClosingFen: payable,
            receivables: receivables)
    }
}
