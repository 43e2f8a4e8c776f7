import EcoFundCore
import Foundation

/// Reads one file of the export as it streams out of the archive and records what it says in the verifier's state.
struct FileHandler {
    let name: String
    private var csv = CSVReader()
    private var table: CSVTable
    private var pending: [UInt8] = []
    private var lineNumber = 0
    // journal_lines.csv: the entry being summed.
    private var entry: (id: Int64, debit: Int64, credit: Int64, lines: Int)?
    private var lastEntryID = Int64.min
    private var trialDebits: Int64 = 0
    private var trialCredits: Int64 = 0
    private var seenContributions: Set<String> = []
    private var accountsSeen: Set<String> = []
    private var failed = false
    /// Positions of the required columns of this file, in the order of ``required``.
    private var hot: [Int] = []

    init(name: String) {
        self.name = name
        table = CSVTable(name: name)
    }

    var isCSV: Bool { name.hasSuffix(".csv") }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, into state: inout State) {
        guard !failed else { return }
        if isCSV {
            var reader = csv
            reader.feed(bytes) { row, number in self.row(row, number: number, into: &state) }
            csv = reader
        } else if name == ExportFormat.events {
            var start = 0
            for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
                if pending.isEmpty {
                    event(Array(bytes[start..<index]), into: &state)
                } else {
                    pending += bytes[start..<index]
                    event(pending, into: &state)
                    pending.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            pending += bytes[start..<bytes.count]
        } else if name == ExportFormat.checkpoint {
            pending += bytes
        }
    }

    mutating func finish(into state: inout State) {
        if isCSV {
            var reader = csv
            reader.finish { row, number in self.row(row, number: number, into: &state) }
            csv = reader
            if !csv.hadByteOrderMark, csv.rowsRead > 0 {
                state.fail("\(name) does not start with the UTF-8 byte order mark")
            }
            if !table.hasHeader, !failed { state.fail("\(name) is empty: it has not even its header row") }
        }
        switch name {
        case ExportFormat.events:
            if !pending.isEmpty {
                state.fail("events.jsonl does not end with a line break: its last event was cut")
                event(pending, into: &state)
            }
        case ExportFormat.checkpoint:
            if let shipped = try? JSONDecoder().decode(ExportCheckpoint.self, from: Data(pending)) {
                state.checkpoint = shipped
            }
        case ExportFormat.journalLines:
            closeEntry(into: &state)
            for (index, id) in state.entryIDs.enumerated() where state.entryTotals[index] < 0 {
                state.fail("journal entry \(id) has no lines in journal_lines.csv")
            }
        case ExportFormat.trialBalance:
            if trialDebits != trialCredits {
                state.fail(
                    "the trial balance does not balance: debits \(Money(fen: trialDebits).decimalString), "
                        + "credits \(Money(fen: trialCredits).decimalString)")
            }
        case ExportFormat.accounts:
            for account in state.lineAccounts.names.sorted() where !accountsSeen.contains(account) {
                state.fail("account \(account) has lines but is missing from accounts.csv")
            }
        case ExportFormat.contributions:
            if let manifest = state.manifest {
                for (id, event) in state.contributionEvents.sorted(by: { $0.key < $1.key })
                where !seenContributions.contains(id) {
                    let date = event["valueDate"]?.text ?? ""
                    if date >= manifest.from, date <= manifest.to {
                        state.fail("contribution \(id) is in the signed event log but missing from contributions.csv")
                    }
                }
            }
        default: break
        }
    }

    // MARK: events.jsonl

    private mutating func event(_ line: [UInt8], into state: inout State) {
        lineNumber += 1
        guard !line.isEmpty else {
            state.fail("events.jsonl line \(lineNumber) is empty")
            return
        }
        state.leaves.append(leafHash: MerkleTree.leafHash(line))
        if let older = state.older, Int64(state.leaves.count) == older.treeSize { state.olderRoot = state.leaves.root }
        guard let value = try? JSONValue(parsing: line) else {
            state.fail("events.jsonl line \(lineNumber) is not JSON")
            return
        }
        if value.canonicalBytes != line {
            state.fail("events.jsonl line \(lineNumber) is not in canonical (RFC 8785) form")
        }
        guard let type = value["type"]?.text, let payload = value["payload"] else { return }
        switch type {
        case "contribution.recorded":
            if let id = payload["id"]?.text { state.contributionEvents[id.lowercased()] = payload }
        case "contribution.reversed":
            if let id = payload["contributionID"]?.text { state.reversalEvents[id.lowercased()] = payload }
        case "disbursement.payment.confirmed":
            if let run = payload["run"]?.text, let recipient = payload["recipient"]?.text {
                state.paymentEvents["\(run.lowercased())/\(recipient)"] = payload
            }
        case _ where type.hasPrefix("disbursement.run."):
            if let id = payload["id"]?.text { state.runEvents[id.lowercased()] = payload }
        default: break
        }
    }

    // MARK: CSV rows

    private static let required: [String: [String]] = [
        ExportFormat.journalEntries: ["entry_id", "kind", "value_date"],
        ExportFormat.journalLines: ["entry_id", "line_no", "account", "side", "amount"],
        ExportFormat.accounts: ["account", "type", "opening", "debits", "credits", "closing", "stored_balance"],
        ExportFormat.trialBalance: ["account", "type", "debit", "credit"],
        ExportFormat.contributions: ["id", "contributor", "amount", "value_date", "entry_id", "reversal_entry_id"],
        ExportFormat.runs: [
            "id", "status", "pool", "allocated", "posted_entry_id", "rule_document", "snapshot", "allocation",
        ],
        ExportFormat.allocations: ["run_id", "recipient", "amount"],
        ExportFormat.payments: ["run_id", "recipient", "amount", "entry_id"],
    ]

    private mutating func row(_ row: borrowing CSVRow, number: Int, into state: inout State) {
        guard !failed else { return }
        guard table.hasHeader else {
            let missing = table.readHeader(row, required: Self.required[name] ?? [])
            hot = (Self.required[name] ?? []).map { table.index($0) }
            if !missing.isEmpty {
                state.fail("\(name) lacks the columns \(missing.joined(separator: ", "))")
                failed = true
            }
            return
        }
        let at = RowPlace(file: name, number: number)
        switch name {
        case ExportFormat.journalEntries: entryRow(row, at: at, into: &state)
        case ExportFormat.journalLines: lineRow(row, at: at, into: &state)
        case ExportFormat.accounts: accountRow(row, at: at, into: &state)
        case ExportFormat.trialBalance: trialRow(row, at: at, into: &state)
        case ExportFormat.contributions: contributionRow(row, at: at, into: &state)
        case ExportFormat.runs: runRow(row, at: at, into: &state)
        case ExportFormat.allocations:
            let run = row.string(table.index("run_id")).lowercased()
            if let amount = amount(row, "amount", at: at, into: &state) {
                state.allocationRows[run, default: [:]][row.string(table.index("recipient"))] = amount
            }
        case ExportFormat.payments: paymentRow(row, at: at, into: &state)
        default: break
        }
    }

    private func amount(_ row: borrowing CSVRow, _ column: String, at: RowPlace, into state: inout State) -> Int64? {
        amount(row, column, index: table.index(column), at: at, into: &state)
    }

    private func amount(_ row: borrowing CSVRow, _ column: String, index: Int, at: RowPlace, into state: inout State)
        -> Int64?
    {
        guard let fen = row.fen(index) else {
            state.fail("\(at): \(column) \"\(row.string(index))\" is not an amount")
            return nil
        }
        return fen
    }

    private func integer(_ row: borrowing CSVRow, _ column: String, at: RowPlace, into state: inout State) -> Int64? {
        integer(row, column, index: table.index(column), at: at, into: &state)
    }

    private func integer(_ row: borrowing CSVRow, _ column: String, index: Int, at: RowPlace, into state: inout State)
        -> Int64?
    {
        guard let value = row.int64(index) else {
            state.fail("\(at): \(column) \"\(row.string(index))\" is not a whole number")
            return nil
        }
        return value
    }

    private mutating func entryRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        guard let id = integer(row, "entry_id", index: hot[0], at: at, into: &state) else { return }
        guard id > lastEntryID else {
            state.fail("\(at): entry \(id) is out of order or repeated")
            return
        }
        lastEntryID = id
        state.entryIDs.append(id)
        state.entryKinds.append(EntryKind(row, hot[1]))
        state.entryTotals.append(-1)
    }

    private mutating func lineRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        guard let id = integer(row, "entry_id", index: hot[0], at: at, into: &state),
            let amount = amount(row, "amount", index: hot[4], at: at, into: &state)
        else { return }
        if amount <= 0 { state.fail("\(at): a line amount must be positive, not \(Money(fen: amount).decimalString)") }
        if entry?.id != id {
            closeEntry(into: &state)
            entry = (id, 0, 0, 0)
        }
        if row.equals(hot[3], "debit") {
            entry!.debit += amount
            state.lineAccounts.add(row, hot[2], amount: amount, debit: true)
        } else if row.equals(hot[3], "credit") {
            entry!.credit += amount
            state.lineAccounts.add(row, hot[2], amount: amount, debit: false)
        } else {
            state.fail("\(at): side must be debit or credit")
        }
        entry!.lines += 1
    }

    private mutating func closeEntry(into state: inout State) {
        guard let entry else { return }
        self.entry = nil
        if entry.debit != entry.credit {
            state.fail(
                "journal entry \(entry.id) does not balance: debits \(Money(fen: entry.debit).decimalString), "
                    + "credits \(Money(fen: entry.credit).decimalString)")
        }
        if entry.lines < 2 {
            state.fail("journal entry \(entry.id) has \(entry.lines) line; an entry needs two or more")
        }
        guard let index = state.entryIndex(entry.id) else {
            state.fail("journal_lines.csv has lines of entry \(entry.id), which journal_entries.csv does not hold")
            return
        }
        if state.entryTotals[index] >= 0 {
            state.fail("the lines of journal entry \(entry.id) are not together in journal_lines.csv")
        }
        state.entryTotals[index] = entry.debit
    }

    private static func normalDebit(_ type: String) -> Bool { type == "asset" || type == "expense" }

    private mutating func accountRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        let account = row.string(table.index("account"))
        let type = row.string(table.index("type"))
        accountsSeen.insert(account)
        guard let opening = amount(row, "opening", at: at, into: &state),
            let debits = amount(row, "debits", at: at, into: &state),
            let credits = amount(row, "credits", at: at, into: &state),
            let closing = amount(row, "closing", at: at, into: &state),
            let stored = amount(row, "stored_balance", at: at, into: &state)
        else { return }
        let (linesDebits, linesCredits) = state.lineAccounts.totals(account)
        if debits != linesDebits || credits != linesCredits {
            state.fail(
                "account \(account): accounts.csv shows debits \(Money(fen: debits).decimalString) and credits "
                    + "\(Money(fen: credits).decimalString), the lines add up to \(Money(fen: linesDebits).decimalString) "
                    + "and \(Money(fen: linesCredits).decimalString)")
        }
        let movement = Self.normalDebit(type) ? linesDebits - linesCredits : linesCredits - linesDebits
        if opening + movement != closing {
            state.fail(
                "account \(account): opening \(Money(fen: opening).decimalString) and the lines give "
                    + "\(Money(fen: opening + movement).decimalString), but the closing balance is \(Money(fen: closing).decimalString)"
            )
        }
        state.closing[account] = (type, closing)
        if state.manifest?.complete == true {
            if opening != 0 {
                state.fail(
                    "account \(account) opens at \(Money(fen: opening).decimalString) in an export of every entry")
            }
            if stored != opening + movement {
                state.fail(
                    "account \(account): the database's stored balance is \(Money(fen: stored).decimalString), but its "
                        + "lines add up to \(Money(fen: opening + movement).decimalString): a journal line or the balance "
                        + "was altered outside the service")
            }
        }
    }

    private mutating func trialRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        let account = row.string(table.index("account"))
        guard let debit = amount(row, "debit", at: at, into: &state),
            let credit = amount(row, "credit", at: at, into: &state)
        else { return }
        trialDebits += debit
        trialCredits += credit
        guard let (type, closing) = state.closing[account] else {
            state.fail("the trial balance names account \(account), which accounts.csv does not")
            return
        }
        let signed = Self.normalDebit(type) ? debit - credit : credit - debit
        if signed != closing {
            state.fail(
                "the trial balance shows account \(account) at \(Money(fen: signed).decimalString), its lines at "
                    + "\(Money(fen: closing).decimalString)")
        }
    }

    /// The debit total of an exported entry of `kind`, or nil (with a failure) when it is not there.
    private func entryTotal(_ id: Int64, kind: EntryKind, for what: String, into state: inout State) -> Int64? {
        guard let index = state.entryIndex(id) else {
            state.fail("\(what) names journal entry \(id), which is not in journal_entries.csv")
            return nil
        }
        if state.entryKinds[index] != kind {
            state.fail("\(what) names journal entry \(id), a \(state.entryKinds[index]) entry, not a \(kind)")
        }
        return state.entryTotals[index]
    }

    private mutating func contributionRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        let id = row.string(table.index("id")).lowercased()
        seenContributions.insert(id)
        guard let amount = amount(row, "amount", at: at, into: &state),
            let entryID = integer(row, "entry_id", at: at, into: &state)
        else { return }
        let what = "contribution \(id)"
        if let total = entryTotal(entryID, kind: .contribution, for: what, into: &state), total != amount {
            state.fail(
                "\(what) of \(Money(fen: amount).decimalString) is booked by entry \(entryID) for "
                    + "\(Money(fen: total).decimalString)")
        }
        if let event = state.contributionEvents[id] {
            let signed = (
                event["amount"]?.text, event["contributor"]?.text, event["entryID"]?.integer, event["valueDate"]?.text
            )
            if signed.0 != Money(fen: amount).decimalString || signed.1 != row.string(table.index("contributor"))
                || signed.2 != entryID || signed.3 != row.string(table.index("value_date"))
            {
                state.fail(
                    "\(what) in contributions.csv (\(row.string(table.index("contributor"))), \(Money(fen: amount).decimalString), "
                        + "\(row.string(table.index("value_date"))), entry \(entryID)) differs from the signed event that recorded it "
                        + "(\(signed.1 ?? "?"), \(signed.0 ?? "?"), \(signed.3 ?? "?"), entry \(signed.2.map(String.init) ?? "?"))"
                )
            }
        } else {
            state.fail("\(what) is not in the signed event log: no contribution.recorded event names it")
        }
        let reversal = row.string(table.index("reversal_entry_id"))
        if !reversal.isEmpty {
            guard let reversalID = Int64(reversal) else {
                state.fail("\(at): reversal_entry_id \"\(reversal)\" is not a whole number")
                return
            }
            if state.reversalEvents[id]?["entryID"]?.integer != reversalID {
                state.fail("the reversal of \(what) by entry \(reversalID) is not in the signed event log")
            }
            if state.entryIndex(reversalID) != nil,
                let total = entryTotal(reversalID, kind: .reversal, for: "the reversal of \(what)", into: &state),
                total != amount
            {
                state.fail(
                    "the reversal of \(what) moves \(Money(fen: total).decimalString), not \(Money(fen: amount).decimalString)"
                )
            }
        } else if state.reversalEvents[id] != nil {
            state.fail("\(what) was reversed in the signed event log, but contributions.csv shows no reversal")
        }
    }

    private mutating func runRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        let id = row.string(table.index("id")).lowercased()
        let what = "disbursement run \(id)"
        guard let pool = amount(row, "pool", at: at, into: &state),
            let allocated = amount(row, "allocated", at: at, into: &state)
        else { return }
        let decoder = JSONDecoder()
        let document: RuleDocument
        let snapshot: RunSnapshot
        let stored: Allocation
        do {
            document = try decoder.decode(RuleDocument.self, from: Data(row.string(table.index("rule_document")).utf8))
            snapshot = try decoder.decode(RunSnapshot.self, from: Data(row.string(table.index("snapshot")).utf8))
            stored = try decoder.decode(Allocation.self, from: Data(row.string(table.index("allocation")).utf8))
        } catch {
            state.fail("\(what): its rule, snapshot or allocation cannot be read: \(error)")
            return
        }
        do {
            let rule = try AllocationRule(document)
            let again = try Allocator.allocate(rule, inputs: snapshot.inputs)
            state.recomputed[id] = Dictionary(
                again.allocations.map { ($0.recipient, $0.amount.fen) }, uniquingKeysWith: { $0 + $1 })
            if again != stored {
                let differing = zip(again.allocations, stored.allocations).filter { $0.0 != $0.1 }.map(\.0.recipient)
                state.fail(
                    "\(what): recomputing \(document.code) on its snapshotted inputs gives \(Self.amounts(again)), but "
                        + "the stored allocation is \(Self.amounts(stored))"
                        + (differing.isEmpty ? "" : " (recipients that differ: \(differing.joined(separator: ", ")))"))
            }
            if again.pool.fen != pool || again.allocated.fen != allocated {
                state.fail(
                    "\(what): pool \(Money(fen: pool).decimalString) and allocated \(Money(fen: allocated).decimalString) "
                        + "in the CSV, \(again.pool.decimalString) and \(again.allocated.decimalString) recomputed")
            }
        } catch {
            state.fail("\(what): its rule cannot be applied to its snapshot: \(error)")
        }
        let posted = row.string(table.index("posted_entry_id"))
        if let entryID = Int64(posted), state.entryIndex(entryID) != nil,
            let total = entryTotal(entryID, kind: .disbursement, for: what, into: &state), total != allocated,
            allocated > 0
        {
            state.fail(
                "\(what) allocated \(Money(fen: allocated).decimalString), but its posting moves \(Money(fen: total).decimalString)"
            )
        }
        if let event = state.runEvents[id] {
            let status = row.string(table.index("status"))
            if event["status"]?.text != status || event["allocated"]?.text != Money(fen: allocated).decimalString {
                state.fail(
                    "\(what) is \(status) with \(Money(fen: allocated).decimalString) allocated in disbursement_runs.csv, "
                        + "but the signed event log last shows it \(event["status"]?.text ?? "?") with "
                        + "\(event["allocated"]?.text ?? "?")")
            }
        } else {
            state.fail("\(what) is not in the signed event log")
        }
    }

    private mutating func paymentRow(_ row: borrowing CSVRow, at: RowPlace, into state: inout State) {
        let run = row.string(table.index("run_id")).lowercased()
        let recipient = row.string(table.index("recipient"))
        let what = "the payment of run \(run) to \(recipient)"
        guard let amount = amount(row, "amount", at: at, into: &state),
            let entryID = integer(row, "entry_id", at: at, into: &state)
        else { return }
        if let total = entryTotal(entryID, kind: .payment, for: what, into: &state), total != amount {
            state.fail(
                "\(what) is \(Money(fen: amount).decimalString), but its entry \(entryID) moves \(Money(fen: total).decimalString)"
            )
        }
        if let allocated = state.recomputed[run]?[recipient], allocated != amount {
            state.fail(
                "\(what) is \(Money(fen: amount).decimalString); the rule allocates \(Money(fen: allocated).decimalString)"
            )
        }
        if let event = state.paymentEvents["\(run)/\(recipient)"] {
            if event["amount"]?.text != Money(fen: amount).decimalString || event["entryID"]?.integer != entryID {
                state.fail(
                    "\(what) (\(Money(fen: amount).decimalString), entry \(entryID)) differs from the signed event "
                        + "(\(event["amount"]?.text ?? "?"), entry \(event["entryID"]?.integer.map(String.init) ?? "?"))"
                )
            }
        } else {
            state.fail("\(what) is not in the signed event log")
        }
    }

    private static func amounts(_ allocation: Allocation) -> String {
        allocation.allocations.map { "\($0.recipient) \($0.amount.decimalString)" }.joined(separator: ", ")
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}

/// Where a row is, for messages: made into text only when something fails.
struct RowPlace: CustomStringConvertible {
    let file: String
    let number: Int
    var description: String { "\(file) row \(number)" }
}
