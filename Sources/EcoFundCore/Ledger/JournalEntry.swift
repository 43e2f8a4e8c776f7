/// A balanced double-entry posting. Constructing one checks DESIGN.md invariant 1 (balanced, at least two
/// lines, every amount above zero); the database checks it again when the entry commits.
public struct JournalEntry: Hashable, Sendable {
    /// Which business event an entry records.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case contribution, reversal, disbursement, payment, clawback, recovery
    }

    public enum Side: String, Sendable, Codable {
        case debit, credit

        public var opposite: Side {
            switch self {
            case .debit: .credit
            case .credit: .debit
            }
        }
    }

    public struct Line: Hashable, Sendable {
        public let account: AccountCode
        public let side: Side
        public let amount: Money

        public init(_ side: Side, _ account: AccountCode, _ amount: Money) {
            self.account = account
            self.side = side
            self.amount = amount
        }
    }

    /// The most lines one entry may carry: a run pays at most this many recipients in one posting.
    public static let linesMax = 1000

    public let kind: Kind
    public let valueDate: CalendarDate
    public let memo: String
    public let lines: [Line]
    /// The entry this one reverses, for kind `reversal`.
    public let reverses: Int64?

    /// Builds an entry; an unbalanced one is a programmer error, since entries are built by the service.
    public init(kind: Kind, valueDate: CalendarDate, memo: String, lines: [Line], reverses: Int64? = nil) {
        precondition((2...Self.linesMax).contains(lines.count), "an entry needs 2...\(Self.linesMax) lines")
        precondition(lines.allSatisfy { $0.amount.fen > 0 }, "every line amount must be above zero")
        let debits = lines.filter { $0.side == .debit }.reduce(Money.zero) { $0 + $1.amount }
        let credits = lines.filter { $0.side == .credit }.reduce(Money.zero) { $0 + $1.amount }
        precondition(debits == credits, "entry does not balance: debits \(debits), credits \(credits)")
        precondition((kind == .reversal) == (reverses != nil), "only a reversal names the entry it reverses")
        self.kind = kind
        self.valueDate = valueDate
        self.memo = memo
        self.lines = lines
        self.reverses = reverses
    }

    /// A contribution received: Dr `fund:cash` / Cr `contributions:{contributor}`.
    public static func contribution(from contributor: String, amount: Money, valueDate: CalendarDate, memo: String)
        -> JournalEntry
    {
        JournalEntry(
            kind: .contribution, valueDate: valueDate, memo: memo,
            lines: [Line(.debit, .fundCash, amount), Line(.credit, .contributions(contributor), amount)])
    }

    /// The mirror image of `self`, naming `entryID` as the entry it reverses.
    public func reversal(of entryID: Int64, valueDate: CalendarDate, memo: String) -> JournalEntry {
        JournalEntry(
            kind: .reversal, valueDate: valueDate, memo: memo,
            lines: lines.map { Line($0.side.opposite, $0.account, $0.amount) }, reverses: entryID)
    }

    /// The change each line makes to its account's balance on the account's normal side.
    public var balanceChanges: [AccountCode: Money] {
        var changes: [AccountCode: Money] = [:]
        for line in lines {
            let increases = (line.side == .debit) == line.account.kind.isDebitNormal
            changes[line.account, default: .zero] =
                changes[line.account, default: .zero]
                + (increases ? line.amount : .zero - line.amount)
        }
        return changes
    }
}
