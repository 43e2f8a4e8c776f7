import EcoFundCore

/// `journal_entries.csv`: entries in id order, each once.
struct JournalEntriesCheck: RowCheck {
    static let file = ExportFormat.File.journalEntries
    static let required = ["entry_id", "kind", "value_date"]
    private(set) var findings = Journal()
    private var entryID = -1
    private var kind = -1
    private var lastEntryID = Int64.min

    mutating func header(_ table: CSVTable) {
        entryID = table.index("entry_id")
        kind = table.index("kind")
    }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        guard let id = row.integer(entryID, "entry_id", at: place, &report) else { return }
        guard id > lastEntryID else {
            report.fail("\(place): entry \(id) is out of order or repeated")
            return
        }
        lastEntryID = id
        findings.append(id: id, kind: EntryKind(row, kind))
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {}
}

/// `journal_lines.csv`: every entry balances, has two or more lines, all together, of amounts above zero; the totals
/// per entry and per account are what later checks compare with.
struct JournalLinesCheck: RowCheck {
    static let file = ExportFormat.File.journalLines
    static let required = ["entry_id", "line_no", "account", "side", "amount"]
    private(set) var findings: Journal
    private var columns: [Int] = []
    /// The entry being summed.
    private var entry: (id: Int64, debitFen: Int64, creditFen: Int64, lines: Int)?

    init(entries: Journal) { findings = entries }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        guard let id = row.integer(columns[0], "entry_id", at: place, &report),
            let amountFen = row.amount(columns[4], "amount", at: place, &report)
        else { return }
        if amountFen <= 0 {
            report.fail("\(place): a line amount must be positive, not \(Money(fen: amountFen).decimalString)")
        }
        if entry?.id != id {
            closeEntry(&report)
            entry = (id, 0, 0, 0)
        }
        if row.equals(columns[3], "debit") {
            entry!.debitFen += amountFen
            findings.accounts.add(row, columns[2], amountFen: amountFen, debit: true)
        } else if row.equals(columns[3], "credit") {
            entry!.creditFen += amountFen
            findings.accounts.add(row, columns[2], amountFen: amountFen, debit: false)
        } else {
            report.fail("\(place): side must be debit or credit")
        }
        entry!.lines += 1
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        closeEntry(&report)
        for (index, id) in findings.ids.enumerated() where findings.debitTotalsFen[index] < 0 {
            report.fail("journal entry \(id) has no lines in journal_lines.csv")
        }
    }

    private mutating func closeEntry(_ report: inout ExportVerifier.Report) {
        guard let entry else { return }
        self.entry = nil
        if entry.debitFen != entry.creditFen {
            report.fail(
                "journal entry \(entry.id) does not balance: debits \(Money(fen: entry.debitFen).decimalString), "
                    + "credits \(Money(fen: entry.creditFen).decimalString)")
        }
        if entry.lines < 2 {
            report.fail("journal entry \(entry.id) has \(entry.lines) line; an entry needs two or more")
        }
        guard let index = findings.index(entry.id) else {
            report.fail("journal_lines.csv has lines of entry \(entry.id), which journal_entries.csv does not hold")
            return
        }
        if findings.debitTotalsFen[index] >= 0 {
            report.fail("the lines of journal entry \(entry.id) are not together in journal_lines.csv")
        }
        findings.debitTotalsFen[index] = entry.debitFen
    }
}
