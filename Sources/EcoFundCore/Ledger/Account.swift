/// An account of the fund's chart of accounts. Codes are stable API identifiers.
public enum AccountCode: Hashable, Sendable, CustomStringConvertible {
    /// The fund's bank account (asset).
    case fundCash
    /// Money received from a contributor (revenue).
    case contributions(String)
    /// Money granted to a recipient (expense).
    case disbursements(String)
    /// Granted to a recipient, not yet paid (liability).
    case payable(String)
    /// Clawed back from a recipient by a settlement, not yet recovered (asset).
    case receivable(String)

    /// The kind of account, which decides its normal side.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case asset, liability, revenue, expense

        /// Whether a debit increases the balance (assets and expenses) or a credit does.
        public var isDebitNormal: Bool {
            switch self {
            case .asset, .expense: true
            case .liability, .revenue: false
            }
        }
    }

    /// Parses `fund:cash`, `contributions:beijing`, `disbursements:chengde`, `payable:chengde` or
    /// `receivable:chengde`.
    public init?(_ text: String) {
        if text == "fund:cash" {
            self = .fundCash
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, (try? Jurisdiction.validateCode(parts[1], at: "")) != nil else { return nil }
        switch parts[0] {
        case "contributions": self = .contributions(parts[1])
        case "disbursements": self = .disbursements(parts[1])
        case "payable": self = .payable(parts[1])
        case "receivable": self = .receivable(parts[1])
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .fundCash: "fund:cash"
        case .contributions(let jurisdiction): "contributions:\(jurisdiction)"
        case .disbursements(let jurisdiction): "disbursements:\(jurisdiction)"
        case .payable(let jurisdiction): "payable:\(jurisdiction)"
        case .receivable(let jurisdiction): "receivable:\(jurisdiction)"
        }
    }

    public var kind: Kind {
        switch self {
        case .fundCash: .asset
        case .contributions: .revenue
        case .disbursements: .expense
        case .payable: .liability
        case .receivable: .asset
        }
    }

    /// The jurisdiction the account belongs to; nil for the fund's own cash.
    public var jurisdiction: String? {
        switch self {
        case .fundCash: nil
        case .contributions(let code), .disbursements(let code), .payable(let code), .receivable(let code): code
        }
    }

    /// Whether the balance may never go below zero (DESIGN.md invariant 3).
    public var isNonNegative: Bool {
        switch self {
        case .fundCash, .payable, .receivable: true
        case .contributions, .disbursements: false
        }
    }
}

/// An account's balance on its normal side, with the debit and credit totals behind it.
public struct AccountBalance: Hashable, Sendable, Codable {
    public let code: String
    public let kind: AccountCode.Kind
    public let balance: Money
    public let debits: Money
    public let credits: Money

    public init(code: String, kind: AccountCode.Kind, debits: Money, credits: Money) {
        self.code = code
        self.kind = kind
        self.debits = debits
        self.credits = credits
        self.balance = kind.isDebitNormal ? debits - credits : credits - debits
    }
}

/// The trial balance: every account's balance in the debit or credit column; the columns are equal when the
/// books are sound.
public struct TrialBalance: Hashable, Sendable, Codable {
    public struct Row: Hashable, Sendable, Codable {
        public let code: String
        public let kind: AccountCode.Kind
        /// The net balance when it sits on the debit side, else zero.
        public let debit: Money
        /// The net balance when it sits on the credit side, else zero.
        public let credit: Money
    }

    public let asOf: CalendarDate?
    public let rows: [Row]
    public let totalDebit: Money
    public let totalCredit: Money
    public var isBalanced: Bool { totalDebit == totalCredit }

    /// Builds the trial balance from account totals; rows come out ordered by code.
    public init(asOf: CalendarDate?, balances: [AccountBalance]) {
        self.asOf = asOf
        let rows = balances.sorted { $0.code < $1.code }.map { balance in
            let net = balance.debits - balance.credits
            return Row(
                code: balance.code, kind: balance.kind,
                debit: net.fen > 0 ? net : .zero, credit: net.fen < 0 ? .zero - net : .zero)
        }
        self.rows = rows
        self.totalDebit = rows.reduce(Money.zero) { $0 + $1.debit }
        self.totalCredit = rows.reduce(Money.zero) { $0 + $1.credit }
    }
}
