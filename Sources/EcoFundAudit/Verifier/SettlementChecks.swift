import EcoFundCore

/// What a settlement's a_r must be: per recipient, the grants of the advance runs it names, as this export holds
/// them (the runs recomputed from their own snapshots). Runs outside the export's range cannot be summed here.
struct SettlementFacts {
    struct Run {
        let rule: String
        let kind: AllocationRule.Kind
        let fiscalYear: Int?
        let posted: Bool
    }

    private var runs: [String: Run] = [:]
    /// Settlement run → its rule's `settles` and its snapshot's advances.
    private var claims: [String: (settles: String, fiscalYear: Int?, advances: [String: AllocationInputs.Advance])] =
        [:]

    mutating func add(id: String, document: RuleDocument, posted: Bool, inputs: AllocationInputs) {
        let kind = AllocationRule.Kind(rawValue: document.kind ?? "allocation") ?? .allocation
        runs[id] = Run(rule: document.code, kind: kind, fiscalYear: document.fiscalYear, posted: posted)
        if kind == .settlement, let settles = document.settles {
            claims[id] = (settles, document.fiscalYear, inputs.advances ?? [:])
        }
    }

    /// Each settlement's a_r equals what the advance runs it names granted, and each of them is a posted run of the
    /// advance rule it settles, for its fiscal year.
    func check(amounts: Recomputed, _ report: inout ExportVerifier.Report) {
        for (id, claim) in claims.sorted(by: { $0.key < $1.key }) {
            for (recipient, advance) in claim.advances.sorted(by: { $0.key < $1.key }) {
                var summed: Int64 = 0
                var complete = true
                for run in advance.runs.map({ $0.lowercased() }) {
                    guard let facts = runs[run] else {
                        complete = false
                        continue
                    }
                    if facts.rule != claim.settles || facts.kind != .advance || facts.fiscalYear != claim.fiscalYear
                        || !facts.posted
                    {
                        report.fail(
                            "settlement run \(id) counts run \(run) as an advance to \(recipient), but it is not a "
                                + "posted advance run of \(claim.settles) for \(claim.fiscalYear.map(String.init) ?? "?")"
                        )
                    }
                    summed += amounts[run]?[recipient] ?? 0
                }
                if complete, summed != advance.amount.fen {
                    report.fail(
                        "settlement run \(id) takes \(advance.amount.decimalString) as advanced to \(recipient), but "
                            + "the advance runs it names granted \(Money(fen: summed).decimalString)")
                }
            }
        }
    }
}

/// `clawbacks.csv`: every clawback is −s_r of a posted settlement recomputed from its snapshot, booked by a clawback
/// entry of that amount and signed in the log; and every −s_r has its row.
struct ClawbacksCheck: RowCheck {
    static let file = ExportFormat.File.clawbacks
    static let required = ["run_id", "recipient", "amount", "entry_id"]
    private var journal: Journal
    private let owed: Recomputed
    private let events: SignedEvents
    private var seen: Set<String> = []
    private var columns: [Int] = []

    init(journal: Journal, owed: Recomputed, events: SignedEvents) {
        self.journal = journal
        self.owed = owed
        self.events = events
    }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let run = row.string(columns[0]).lowercased()
        let recipient = row.string(columns[1])
        let what = "the clawback of run \(run) from \(recipient)"
        guard let amountFen = row.amount(columns[2], "amount", at: place, &report),
            let entryID = row.integer(columns[3], "entry_id", at: place, &report)
        else { return }
        seen.insert("\(run)/\(recipient)")
        let recomputed = owed[run]?[recipient]
        if recomputed != amountFen {
            report.fail(
                "\(what) is \(Money(fen: amountFen).decimalString); recomputing the settlement from its snapshot "
                    + "claws back \(recomputed.map { Money(fen: $0).decimalString } ?? "nothing")")
        }
        Booked.check(
            what, amountFen: amountFen, entryID: entryID, kind: .clawback,
            event: events.clawbacks["\(run)/\(recipient)"],
            journal: &journal, &report)
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        for (run, recipients) in owed.sorted(by: { $0.key < $1.key }) {
            for (recipient, fen) in recipients.sorted(by: { $0.key < $1.key })
            where !seen.contains("\(run)/\(recipient)") {
                report.fail(
                    "posted settlement run \(run) claws back \(Money(fen: fen).decimalString) from \(recipient), "
                        + "but clawbacks.csv has no such clawback")
            }
        }
    }
}

/// `recoveries.csv`: every recovery is booked by a recovery entry of its amount and signed in the log.
struct RecoveriesCheck: RowCheck {
    static let file = ExportFormat.File.recoveries
    static let required = ["id", "recipient", "amount", "entry_id"]
    private var journal: Journal
    private let events: SignedEvents
    private var columns: [Int] = []

    init(journal: Journal, events: SignedEvents) {
        self.journal = journal
        self.events = events
    }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let id = row.string(columns[0]).lowercased()
        let what = "recovery \(id) from \(row.string(columns[1]))"
        guard let amountFen = row.amount(columns[2], "amount", at: place, &report),
            let entryID = row.integer(columns[3], "entry_id", at: place, &report)
        else { return }
        let event = events.recoveries[id]
        Booked.check(
            what, amountFen: amountFen, entryID: entryID, kind: .recovery, event: event, journal: &journal, &report)
        if let event, event["recipient"]?.text != row.string(columns[1]) {
            report.fail(
                "\(what) differs from the signed event that recorded it, which names \(event["recipient"]?.text ?? "?")"
            )
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {}
}
