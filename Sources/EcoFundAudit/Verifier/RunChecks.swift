import EcoFundCore
import Foundation

/// Each run's allocation recomputed from its rule and snapshot: recipient → amount in fen, by run id.
typealias Recomputed = [String: [String: Int64]]

/// A row that names its journal entry and the signed event that recorded it (a payment, a clawback, a recovery):
/// the entry, of its kind, moves the row's amount, and the event has the same amount and entry.
enum Booked {
    static func check(
        _ what: String, amountFen: Int64, entryID: Int64, kind: EntryKind, event: JSONValue?, journal: inout Journal,
        _ report: inout ExportVerifier.Report
    ) {
        let amount = Money(fen: amountFen).decimalString
        if let totalFen = journal.total(entryID, kind: kind, for: what, &report), totalFen != amountFen {
            report.fail("\(what) is \(amount), but its entry \(entryID) moves \(Money(fen: totalFen).decimalString)")
        }
        guard let event else {
            report.fail("\(what) is not in the signed event log")
            return
        }
        if event["amount"]?.text != amount || event["entryID"]?.integer != entryID {
            report.fail(
                "\(what) (\(amount), entry \(entryID)) differs from the signed event that recorded it "
                    + "(\(event["amount"]?.text ?? "?"), entry \(event["entryID"]?.integer.map(String.init) ?? "?"))")
        }
    }
}

/// `disbursement_runs.csv`: every allocation is what its rule gives on its snapshotted inputs, its posting moves
/// what it allocated, and its status is the one the signed log last recorded.
struct RunsCheck: RowCheck {
    static let file = ExportFormat.File.runs
    static let required = [
        "id", "status", "pool", "allocated", "posted_entry_id", "rule_document", "snapshot", "allocation",
    ]
    private(set) var findings: Recomputed = [:]
    /// −s_r recomputed for each posted (or paid) settlement's recipients that owe, by run id.
    private(set) var clawbacks: Recomputed = [:]
    private var settlements = SettlementFacts()
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
        let what = "disbursement run \(id)"
        guard let poolFen = row.amount(columns[2], "pool", at: place, &report),
            let allocatedFen = row.amount(columns[3], "allocated", at: place, &report)
        else { return }
        recompute(row, id: id, status: row.string(columns[1]), poolFen: poolFen, allocatedFen: allocatedFen, &report)
        if let entryID = Int64(row.string(columns[4])), journal.index(entryID) != nil,
            let totalFen = journal.total(entryID, kind: .disbursement, for: what, &report), totalFen != allocatedFen,
            allocatedFen > 0
        {
            report.fail(
                "\(what) allocated \(Money(fen: allocatedFen).decimalString), but its posting moves "
                    + "\(Money(fen: totalFen).decimalString)")
        }
        guard let event = events.runs[id] else {
            report.fail("\(what) is not in the signed event log")
            return
        }
        let status = row.string(columns[1])
        if event["status"]?.text != status || event["allocated"]?.text != Money(fen: allocatedFen).decimalString {
            report.fail(
                "\(what) is \(status) with \(Money(fen: allocatedFen).decimalString) allocated in disbursement_runs.csv, "
                    + "but the signed event log last shows it \(event["status"]?.text ?? "?") with "
                    + "\(event["allocated"]?.text ?? "?")")
        }
    }

    private mutating func recompute(
        _ row: borrowing CSVRow, id: String, status: String, poolFen: Int64, allocatedFen: Int64,
        _ report: inout ExportVerifier.Report
    ) {
        let what = "disbursement run \(id)"
        let decoder = JSONDecoder()
        let document: RuleDocument
        let snapshot: RunSnapshot
        let stored: Allocation
        do {
            document = try decoder.decode(RuleDocument.self, from: Data(row.string(columns[5]).utf8))
            snapshot = try decoder.decode(RunSnapshot.self, from: Data(row.string(columns[6]).utf8))
            stored = try decoder.decode(Allocation.self, from: Data(row.string(columns[7]).utf8))
        } catch {
            report.fail("\(what): its rule, snapshot or allocation cannot be read: \(error)")
            return
        }
        do {
            let again = try Allocator.allocate(try AllocationRule(document), inputs: snapshot.inputs)
            findings[id] = Dictionary(
                again.allocations.map { ($0.recipient, $0.amount.fen) }, uniquingKeysWith: { $0 + $1 })
            let posted = status == "posted" || status == "paid"
            if posted,
                case let owed = again.allocations.compactMap({ recipient in
                    recipient.clawback.map { (recipient.recipient, $0.fen) }
                }), !owed.isEmpty
            {
                clawbacks[id] = Dictionary(owed, uniquingKeysWith: { $0 + $1 })
            }
            settlements.add(id: id, document: document, posted: posted, inputs: snapshot.inputs)
            if again != stored {
                let differing = zip(again.allocations, stored.allocations).filter { $0.0 != $0.1 }.map(\.0.recipient)
                report.fail(
                    "\(what): recomputing \(document.code) on its snapshotted inputs gives \(Self.amounts(again)), but "
                        + "the stored allocation is \(Self.amounts(stored))"
                        + (differing.isEmpty ? "" : " (recipients that differ: \(differing.joined(separator: ", ")))"))
            }
            if again.pool.fen != poolFen || again.allocated.fen != allocatedFen {
                report.fail(
                    "\(what): pool \(Money(fen: poolFen).decimalString) and allocated "
                        + "\(Money(fen: allocatedFen).decimalString) in the CSV, \(again.pool.decimalString) and "
                        + "\(again.allocated.decimalString) recomputed")
            }
        } catch {
            report.fail("\(what): its rule cannot be applied to its snapshot: \(error)")
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        settlements.check(amounts: findings, &report)
    }

    static func amounts(_ allocation: Allocation) -> String {
        allocation.allocations.map { "\($0.recipient) \($0.amount.decimalString)" }.joined(separator: ", ")
    }
}

/// `allocations.csv`: per run, exactly the amounts its rule gives.
struct AllocationsCheck: RowCheck {
    static let file = ExportFormat.File.allocations
    static let required = ["run_id", "recipient", "amount"]
    private let recomputed: Recomputed
    private var rows: Recomputed = [:]
    private var columns: [Int] = []

    init(recomputed: Recomputed) { self.recomputed = recomputed }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let run = row.string(columns[0]).lowercased()
        if let amountFen = row.amount(columns[2], "amount", at: place, &report) {
            rows[run, default: [:]][row.string(columns[1])] = amountFen
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        for (run, amounts) in recomputed.sorted(by: { $0.key < $1.key }) where rows[run] != amounts {
            let listed = amounts.sorted { $0.key < $1.key }
                .map { "\($0.key) \(Money(fen: $0.value).decimalString)" }.joined(separator: ", ")
            report.fail(
                "allocations.csv for run \(run) does not hold the amounts its rule gives on its snapshot: \(listed)")
        }
    }
}

/// `payments.csv`: each payment is booked by its payment entry, pays what the rule allocated, and agrees with the
/// signed event that confirmed it.
struct PaymentsCheck: RowCheck {
    static let file = ExportFormat.File.payments
    static let required = ["run_id", "recipient", "amount", "entry_id", "offset"]
    private var journal: Journal
    private let recomputed: Recomputed
    private let events: SignedEvents
    private var columns: [Int] = []

    init(journal: Journal, recomputed: Recomputed, events: SignedEvents) {
        self.journal = journal
        self.recomputed = recomputed
        self.events = events
    }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let run = row.string(columns[0]).lowercased()
        let recipient = row.string(columns[1])
        let what = "the payment of run \(run) to \(recipient)"
        guard let amountFen = row.amount(columns[2], "amount", at: place, &report),
            let entryID = row.integer(columns[3], "entry_id", at: place, &report)
        else { return }
        if let allocatedFen = recomputed[run]?[recipient], allocatedFen != amountFen {
            report.fail(
                "\(what) is \(Money(fen: amountFen).decimalString); the rule allocates "
                    + Money(fen: allocatedFen).decimalString)
        }
        let event = events.payments["\(run)/\(recipient)"]
        Booked.check(
            what, amountFen: amountFen, entryID: entryID, kind: .payment, event: event, journal: &journal, &report)
        guard let event else { return }
        // An event without an offset records a payment the bank made in full.
        if let offsetFen = row.amount(columns[4], "offset", at: place, &report),
            (event["offset"]?.text ?? "0.00") != Money(fen: offsetFen).decimalString
        {
            report.fail(
                "\(what) keeps \(Money(fen: offsetFen).decimalString) back against its receivable, but the signed "
                    + "event says \(event["offset"]?.text ?? "0.00")")
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {}
}
