import EcoFundCore

/// An account's closing balance on its normal side, as accounts.csv gives it and the lines confirm.
struct Closing {
    let kind: AccountCode.Kind
    let balanceFen: Int64
}

/// `accounts.csv`: each account's movements are its lines' totals, opening plus movements is closing, and for an
/// export of every date the database's stored balance is what the lines add up to (DESIGN.md invariant 4).
struct AccountsCheck: RowCheck {
    static let file = ExportFormat.File.accounts
    static let required = ["account", "type", "opening", "debits", "credits", "closing", "stored_balance"]
    private(set) var findings: [String: Closing] = [:]
    private let journal: Journal
    private let complete: Bool
    private var columns: [Int] = []
    private var seen: Set<String> = []

    init(journal: Journal, complete: Bool) {
        self.journal = journal
        self.complete = complete
    }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let account = row.string(columns[0])
        seen.insert(account)
        guard let kind = AccountCode.Kind(rawValue: row.string(columns[1])) else {
            report.fail("\(place): account \(account) has type \"\(row.string(columns[1]))\", which no account has")
            return
        }
        guard let openingFen = row.amount(columns[2], "opening", at: place, &report),
            let debitsFen = row.amount(columns[3], "debits", at: place, &report),
            let creditsFen = row.amount(columns[4], "credits", at: place, &report),
            let closingFen = row.amount(columns[5], "closing", at: place, &report),
            let storedFen = row.amount(columns[6], "stored_balance", at: place, &report)
        else { return }
        let lines = journal.accounts.totals(account)
        if debitsFen != lines.debitsFen || creditsFen != lines.creditsFen {
            report.fail(
                "account \(account): accounts.csv shows debits \(Money(fen: debitsFen).decimalString) and credits "
                    + "\(Money(fen: creditsFen).decimalString), the lines add up to "
                    + "\(Money(fen: lines.debitsFen).decimalString) and \(Money(fen: lines.creditsFen).decimalString)")
        }
        let movementFen =
            kind.isDebitNormal ? lines.debitsFen - lines.creditsFen : lines.creditsFen - lines.debitsFen
        if openingFen + movementFen != closingFen {
            report.fail(
                "account \(account): opening \(Money(fen: openingFen).decimalString) and the lines give "
                    + "\(Money(fen: openingFen + movementFen).decimalString), but the closing balance is "
                    + "\(Money(fen: closingFen).decimalString)")
        }
        findings[account] = Closing(kind: kind, balanceFen: closingFen)
        guard complete else { return }
        if openingFen != 0 {
            report.fail(
                "account \(account) opens at \(Money(fen: openingFen).decimalString) in an export of every entry")
        }
        if storedFen != openingFen + movementFen {
            report.fail(
                "account \(account): the database's stored balance is \(Money(fen: storedFen).decimalString), but its "
                    + "lines add up to \(Money(fen: openingFen + movementFen).decimalString): a journal line or the balance "
                    + "was altered outside the service")
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        for account in journal.accounts.names.sorted() where !seen.contains(account) {
            report.fail("account \(account) has lines but is missing from accounts.csv")
        }
    }
}

/// `trial_balance.csv`: the columns balance, and every row is its account's closing balance.
struct TrialBalanceCheck: RowCheck {
    static let file = ExportFormat.File.trialBalance
    static let required = ["account", "type", "debit", "credit"]
    private let closing: [String: Closing]
    private var columns: [Int] = []
    private var debitsFen: Int64 = 0
    private var creditsFen: Int64 = 0

    init(closing: [String: Closing]) { self.closing = closing }

    mutating func header(_ table: CSVTable) { columns = table.indexes(Self.required) }

    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report) {
        let account = row.string(columns[0])
        guard let debitFen = row.amount(columns[2], "debit", at: place, &report),
            let creditFen = row.amount(columns[3], "credit", at: place, &report)
        else { return }
        debitsFen += debitFen
        creditsFen += creditFen
        guard let expected = closing[account] else {
            report.fail("the trial balance names account \(account), which accounts.csv does not")
            return
        }
        let signedFen = expected.kind.isDebitNormal ? debitFen - creditFen : creditFen - debitFen
        if signedFen != expected.balanceFen {
            report.fail(
                "the trial balance shows account \(account) at \(Money(fen: signedFen).decimalString), its lines at "
                    + "\(Money(fen: expected.balanceFen).decimalString)")
        }
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        if debitsFen != creditsFen {
            report.fail(
                "the trial balance does not balance: debits \(Money(fen: debitsFen).decimalString), "
                    + "credits \(Money(fen: creditsFen).decimalString)")
        }
    }
}
