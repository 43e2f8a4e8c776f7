import Foundation

/// A day in the proleptic Gregorian calendar, written `YYYY-MM-DD` (ISO 8601), with no time zone.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The earliest and latest years the fund accepts: a date outside them is a typing error. Fiscal years too.
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
        self.init(unchecked: year, month, day)
    }

    /// For dates built from parts known to be valid.
    init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day an instant falls on in UTC, the fund's calendar.
    public init(utcDayOf date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let day = CivilDay(daysSinceEpoch: UTCTime.floorDivision(seconds, 86_400).quotient)
        self.init(unchecked: Int(day.year), Int(day.month), Int(day.day))
    }

    /// Today in UTC. The system clock outside ``yearRange`` is a broken machine, not a date to book.
    @Sendable public static func todayUTC() -> CalendarDate {
        let today = CalendarDate(utcDayOf: Date())
        precondition(yearRange.contains(today.year), "the system clock is outside the years the fund accepts: \(today)")
        return today
    }

    /// Checks a fiscal year (a calendar year within ``yearRange``).
    public static func validateFiscalYear(_ year: Int, at pointer: String) throws(ValidationError) {
        guard yearRange.contains(year) else {
            throw ValidationError(
                .invalidValue, at: pointer,
                "must be a year between \(yearRange.lowerBound) and \(yearRange.upperBound)")
        }
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
        "\(UTCTime.pad(year, 4))-\(UTCTime.pad(month, 2))-\(UTCTime.pad(day, 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

extension CalendarDate: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try CalendarDate(parsing: text, at: "")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
