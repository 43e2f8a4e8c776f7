/// A day in the proleptic Gregorian calendar, written `YYYY-MM-DD` (ISO 8601), with no time zone.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The earliest and latest years the fund accepts: a date outside them is a typing error.
    public static let yearRange = 2000...2100

    /// Parses `YYYY-MM-DD`, refusing days that do not exist (`2025-02-30`) and years outside ``yearRange``.
    public init(parsing text: String, at pointer: String) throws(ValidationError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else {
            throw ValidationError(.invalidDate, at: pointer, "must be a date written YYYY-MM-DD")
        }
        guard Self.yearRange.contains(year), (1...12).contains(month),
            (1...Self.daysIn(month: month, year: year)).contains(day)
        else {
            throw ValidationError(.invalidDate, at: pointer, "is not a day of the calendar between 2000 and 2100")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The number of days in a month of a year, leap years included.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
