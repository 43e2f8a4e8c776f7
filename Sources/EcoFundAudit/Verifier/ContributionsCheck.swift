import EcoFundCore

/// `contributions.csv`: each contribution is booked by its entry for its amount, agrees with the signed event that
/// recorded it — the bank reference too, as typed once the CSV's spreadsheet escape is undone — (and its reversal with
/// the event that reversed it), and no signed contribution of the range is missing.
struct ContributionsCheck: RowCheck {
    static let file = ExportFormat.File.contributions
    static let required = ["id", "contributor", "amount", "value_date", "entry_id", "reversal_entry_id", "reference"]
    private var journal: Journal
    private let events: SignedEvents
    private let manifest: ExportManifest
    private var columns: [Int] = []
    private var seen: Set<String> = []

    init(journal: Journal, events: SignedEvents, manifest: ExportManifest) {
        self.journal = journal
        self.events = events
        self.manifest = manifest
    }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let id = row.string(columns[0]).lowercased()
        seen.insert(id)
        guard let amountFen = row.amount(columns[2], "amount", at: place, &report),
            let entryID = row.integer(columns[4], "entry_id", at: place, &report)
        else { return }
        let what = "contribution \(id)"
        if let totalFen = journal.total(entryID, kind: .contribution, for: what, &report), totalFen != amountFen {
            report.fail(
                "\(what) of \(Money(fen: amountFen).decimalString) is booked by entry \(entryID) for "
                    + "\(Money(fen: totalFen).decimalString)")
        }
        let stored = (
            contributor: row.string(columns[1]), valueDate: row.string(columns[3]),
            reference: ExportFormat.original(row.string(columns[6]))
        )
        if let event = events.contributions[id] {
            let signed = (
                amount: event["amount"]?.text, contributor: event["contributor"]?.text,
                entryID: event["entryID"]?.integer, valueDate: event["valueDate"]?.text,
                reference: event["reference"]?.text
            )
            if signed.amount != Money(fen: amountFen).decimalString || signed.contributor != stored.contributor
                || signed.entryID != entryID || signed.valueDate != stored.valueDate
            {
                report.fail(
                    "\(what) in contributions.csv (\(stored.contributor), \(Money(fen: amountFen).decimalString), "
                        + "\(stored.valueDate), entry \(entryID)) differs from the signed event that recorded it "
                        + "(\(signed.contributor ?? "?"), \(signed.amount ?? "?"), \(signed.valueDate ?? "?"), "
                        + "entry \(signed.entryID.map(String.init) ?? "?"))")
            }
            if signed.reference != stored.reference {
                report.fail(
                    "\(what) has reference \"\(stored.reference)\" in contributions.csv, but the signed event that "
                        + "recorded it says \"\(signed.reference ?? "?")\"")
            }
        } else {
            report.fail("\(what) is not in the signed event log: no contribution.recorded event names it")
        }
        checkReversal(row.string(columns[5]), of: id, amountFen: amountFen, at: place, &report)
    }

    private mutating func checkReversal(
        _ reversal: String, of id: String, amountFen: Int64, at place: RowPlace, _ report: inout ExportVerifier.Report
    ) {
        let what = "contribution \(id)"
        guard !reversal.isEmpty else {
            if events.reversals[id] != nil {
                report.fail("\(what) was reversed in the signed event log, but contributions.csv shows no reversal")
            }
            return
        }
        guard let reversalID = Int64(reversal) else {
            report.fail("\(place): reversal_entry_id \"\(reversal)\" is not a whole number")
            return
        }
        if events.reversals[id]?["entryID"]?.integer != reversalID {
            report.fail("the reversal of \(what) by entry \(reversalID) is not in the signed event log")
        }
        if journal.index(reversalID) != nil,
            let totalFen = journal.total(reversalID, kind: .reversal, for: "the reversal of \(what)", &report),
            totalFen != amountFen
        {
            report.fail(
                "the reversal of \(what) moves \(Money(fen: totalFen).decimalString), not \(Money(fen: amountFen).decimalString)"
            )
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        for (id, event) in events.contributions.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            let date = event["valueDate"]?.text ?? ""
            if date >= manifest.from, date <= manifest.to {
                report.fail("contribution \(id) is in the signed event log but missing from contributions.csv")
            }
        }
    }
}
