import EcoFundCore

/// Which journal entries to list, and the page, checked as a caller sends them: an account they touch, their kind,
/// a range of value dates; newest entry first.
public struct JournalFilter: Sendable, Hashable {
    /// Entries per page: 50 unless the caller asks for up to 500.
    public static let page = PageLimit(itemsDefault: 50, itemsMax: 500)

    public let account: AccountCode?
    public let kind: JournalEntry.Kind?
    /// Earliest value date, inclusive.
    public let from: CalendarDate?
    /// Latest value date, inclusive.
    public let to: CalendarDate?
    /// Continue after this entry id (from the previous page's cursor).
    public let afterEntryID: Int64?
    public let limit: Int

    public init(
        account: String? = nil, kind: String? = nil, from: CalendarDate? = nil, to: CalendarDate? = nil,
        cursor: String? = nil, limit: Int? = nil
    ) throws(ValidationError) {
        self.account = try account.map { (text) throws(ValidationError) in
            guard let account = AccountCode(text) else {
                throw ValidationError(
                    .invalidValue, at: "account",
                    "must be an account code such as fund:cash, contributions:beijing or payable:chengde")
            }
            return account
        }
        self.kind = try kind.map { (text) throws(ValidationError) in
            guard let kind = JournalEntry.Kind(rawValue: text) else {
                let kinds = JournalEntry.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError(.invalidValue, at: "kind", "must be one of \(kinds)")
            }
            return kind
        }
        if let from, let to, to < from {
            throw ValidationError(.invalidValue, at: "to", "must not be before from")
        }
        self.from = from
        self.to = to
        self.afterEntryID = try cursor.map { (text) throws(ValidationError) in try Cursor.decode(text) }
        self.limit = try Self.page.items(limit)
    }
}

/// A journal entry with the audit events its transaction wrote.
public struct JournalRecord: Hashable, Sendable {
    public let entry: PostedEntry
    public let events: [RecordedEvent]
}

/// One account's lines over a range of value dates, in value-date then posting order, each with the balance after it;
/// the balance before the range and at its end.
public struct AccountLedger: Sendable {
    public struct Line: Hashable, Sendable {
        public let entryID: Int64
        public let lineNo: Int
        public let valueDate: CalendarDate
        public let kind: JournalEntry.Kind
        public let memo: String
        public let side: JournalEntry.Side
        public let amount: Money
        /// The account's balance (on its normal side) after this line.
        public let balance: Money
    }

    /// Lines per page: 100 unless the caller asks for up to 500.
    public static let page = PageLimit(itemsDefault: 100, itemsMax: 500)

    public let account: AccountCode
    public let from: CalendarDate
    public let to: CalendarDate
    /// The balance at the end of the day before `from`.
    public let opening: Money
    /// The balance at the end of `to`.
    public let closing: Money
    public let lines: [Line]
    public let nextCursor: String?
}
