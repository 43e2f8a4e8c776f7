import Foundation

/// The one text form of an instant this system writes: UTC, RFC 3339 with microseconds, `2025-03-15T08:30:00.123456Z`.
///
/// PostgreSQL keeps instants to the microsecond, and the database writes the same form with the SQL function
/// `utc_text(timestamptz)` (Schema/007); a test holds the two to the same text.
public enum UTCTime {
    /// The instant as text, rounded to the nearest microsecond.
    public static func text(_ date: Date) -> String {
        text(microsecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// Microseconds since 1970-01-01T00:00:00Z as text.
    public static func text(microsecondsSinceEpoch micros: Int64) -> String {
        let (seconds, fraction) = floorDivision(micros, 1_000_000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let day = CivilDay(daysSinceEpoch: days)
        return "\(pad(day.year, 4))-\(pad(day.month, 2))-\(pad(day.day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }

    static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// A proleptic Gregorian day from a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`): exact integer
/// arithmetic, no calendar object, no time zone database.
struct CivilDay {
    let year: Int64
    let month: Int64
    let day: Int64

    init(daysSinceEpoch days: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}

extension CalendarDate {
    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`), the inverse of ``CivilDay``.
    public var daysSinceEpoch: Int64 {
        let year = Int64(month <= 2 ? self.year - 1 : self.year)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day `days` after 1970-01-01; nil outside ``yearRange`` (a cursor or figure no date of the fund has).
    public init?(daysSinceEpoch days: Int64) {
        let civil = CivilDay(daysSinceEpoch: days)
        guard Self.yearRange.contains(Int(civil.year)) else { return nil }
        self.init(unchecked: Int(civil.year), Int(civil.month), Int(civil.day))
    }

    /// The day after, or before (`by: -1`).
    public func adding(days: Int64) -> CalendarDate? { CalendarDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Calendar days from `self` to `later` (negative when `later` is earlier).
    public func days(to later: CalendarDate) -> Int64 { later.daysSinceEpoch - daysSinceEpoch }
}
