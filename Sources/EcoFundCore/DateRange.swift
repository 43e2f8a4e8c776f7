/// An inclusive range of value dates, such as the range an audit export covers. Either end defaults to the widest
/// the books accept (``CalendarDate/yearRange``).
public struct DateRange: Hashable, Sendable, CustomStringConvertible {
    public let from: CalendarDate
    public let to: CalendarDate

    /// Every value date the books accept.
    public static let everyDate = DateRange(
        unchecked: CalendarDate(unchecked: CalendarDate.yearRange.lowerBound, 1, 1),
        CalendarDate(unchecked: CalendarDate.yearRange.upperBound, 12, 31))

    public init(from: CalendarDate?, to: CalendarDate?) throws(ValidationError) {
        let from = from ?? Self.everyDate.from
        let to = to ?? Self.everyDate.to
        guard from <= to else { throw ValidationError(.invalidValue, at: "from", "must not be after `to` (\(to))") }
        self.init(unchecked: from, to)
    }

    /// Parses the two ends as a query or a form sends them (`from`, `to`; either may be absent).
    public init(parsingFrom from: String?, to: String?) throws(ValidationError) {
        try self.init(
            from: from.map { (text) throws(ValidationError) in try CalendarDate(parsing: text, at: "from") },
            to: to.map { (text) throws(ValidationError) in try CalendarDate(parsing: text, at: "to") })
    }

    private init(unchecked from: CalendarDate, _ to: CalendarDate) {
        self.from = from
        self.to = to
    }

    public func contains(_ date: CalendarDate) -> Bool { from <= date && date <= to }

    /// Whether the range is every date the books accept.
    public var isEveryDate: Bool { self == Self.everyDate }

    public var description: String { "\(from) to \(to)" }
}
