import EcoFundCore

/// Which contributions to list, and the page, checked as a caller sends them.
public struct ContributionFilter: Sendable, Hashable {
    /// Contributions per page: 50 unless the caller asks for up to 500.
    public static let page = PageLimit(itemsDefault: 50, itemsMax: 500)

    public let contributor: String?
    /// Earliest value date, inclusive.
    public let from: CalendarDate?
    /// Latest value date, inclusive.
    public let to: CalendarDate?
    /// Continue after this entry id (from the previous page's cursor).
    public let afterEntryID: Int64?
    public let limit: Int

    /// - Parameters:
    ///   - cursor: the `nextCursor` of the previous page, as handed out.
    ///   - limit: items per page; ``page`` decides the default and the maximum.
    public init(
        contributor: String? = nil, from: CalendarDate? = nil, to: CalendarDate? = nil, cursor: String? = nil,
        limit: Int? = nil
    ) throws(ValidationError) {
        if let contributor { try Jurisdiction.validateCode(contributor, at: "contributor") }
        self.contributor = contributor
        self.from = from
        self.to = to
        self.afterEntryID = try cursor.map { (text) throws(ValidationError) in try Cursor.decode(text) }
        self.limit = try Self.page.items(limit)
    }
}
