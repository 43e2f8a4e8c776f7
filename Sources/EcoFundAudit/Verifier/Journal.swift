import EcoFundCore

/// The kind of a journal entry, kept in a byte per entry.
enum EntryKind: UInt8, CustomStringConvertible {
    case contribution, reversal, disbursement, payment, clawback, recovery, unknown

    init(_ row: borrowing CSVRow, _ field: Int) {
        if row.equals(field, "contribution") {
            self = .contribution
        } else if row.equals(field, "reversal") {
            self = .reversal
        } else if row.equals(field, "disbursement") {
            self = .disbursement
        } else if row.equals(field, "payment") {
            self = .payment
        } else if row.equals(field, "clawback") {
            self = .clawback
        } else if row.equals(field, "recovery") {
            self = .recovery
        } else {
            self = .unknown
        }
    }

    var description: String { self == .unknown ? "unknown" : "\(self)" }
}

/// The journal as the export holds it: entries sorted by id with their kinds, each entry's debit total from its
/// lines (-1 for an entry without lines), and every account's debit and credit totals.
struct Journal {
    private(set) var ids: [Int64] = []
    private(set) var kinds: [EntryKind] = []
    var debitTotalsFen: [Int64] = []
    var accounts = AccountTally()
    /// Where the last entry was found: lines come in entry order, so the next one is usually right after it.
    private var cursor = 0

    mutating func append(id: Int64, kind: EntryKind) {
        ids.append(id)
        kinds.append(kind)
        debitTotalsFen.append(-1)
    }

    mutating func index(_ id: Int64) -> Int? {
        if cursor < ids.count, ids[cursor] == id { return cursor }
        if cursor + 1 < ids.count, ids[cursor + 1] == id {
            cursor += 1
            return cursor
        }
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        guard low < ids.count, ids[low] == id else { return nil }
        cursor = low
        return low
    }

    /// The debit total of an exported entry of `kind`, or nil (with a failure) when it is not there.
    mutating func total(_ id: Int64, kind: EntryKind, for what: String, _ report: inout ExportVerifier.Report)
        -> Int64?
    {
        guard let index = index(id) else {
            report.fail("\(what) names journal entry \(id), which is not in journal_entries.csv")
            return nil
        }
        if kinds[index] != kind {
            report.fail("\(what) names journal entry \(id), a \(kinds[index]) entry, not a \(kind)")
        }
        return debitTotalsFen[index]
    }
}

/// Debit and credit totals per account, found by the account's bytes without making a string per line.
struct AccountTally {
    private(set) var names: [String] = []
    private var keys: [[UInt8]] = []
    private var debitsFen: [Int64] = []
    private var creditsFen: [Int64] = []
    private var last = 0

    /// The debit and credit totals of the lines of `account` (zero for an account no line names).
    func totals(_ account: String) -> (debitsFen: Int64, creditsFen: Int64) {
        guard let index = names.firstIndex(of: account) else { return (0, 0) }
        return (debitsFen[index], creditsFen[index])
    }

    mutating func add(_ row: borrowing CSVRow, _ field: Int, amountFen: Int64, debit: Bool) {
        let index = find(row, field)
        if debit { debitsFen[index] += amountFen } else { creditsFen[index] += amountFen }
    }

    private mutating func find(_ row: borrowing CSVRow, _ field: Int) -> Int {
        // Lines alternate between a few accounts: try the last one and its neighbours first, then all.
        for offset in [0, 1, -1] {
            let candidate = last + offset
            if candidate >= 0, candidate < keys.count, row.equals(field, keys[candidate]) {
                last = candidate
                return candidate
            }
        }
        if let index = keys.firstIndex(where: { row.equals(field, $0) }) {
            last = index
            return index
        }
        keys.append(row.bytes(field))
        names.append(row.string(field))
        debitsFen.append(0)
        creditsFen.append(0)
        last = keys.count - 1
        return last
    }
}
