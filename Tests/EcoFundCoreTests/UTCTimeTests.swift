import EcoFundCore
import Foundation
import Testing

/// The one text form of an instant, and the UTC day of an instant, against known calendar facts.
@Suite struct UTCTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"),
        (951_868_799_999_999, "2000-02-29T23:59:59.999999Z"),
        (1_742_027_400_123_456, "2025-03-15T08:30:00.123456Z"),
        (4_133_980_800_000_001, "2101-01-01T00:00:00.000001Z"),
        (-750_000, "1969-12-31T23:59:59.250000Z"),
    ])
    func writesMicrosecondsInUTC(micros: Int64, text: String) {
        #expect(UTCTime.text(microsecondsSinceEpoch: micros) == text)
    }

    /// A Date holds about a tenth of a microsecond at today's magnitude, so these stay clear of the halfway point.
    @Test func aDateIsRoundedToTheNearestMicrosecond() {
        #expect(UTCTime.text(Date(timeIntervalSince1970: 1_742_027_400.123_456_1)) == "2025-03-15T08:30:00.123456Z")
        #expect(UTCTime.text(Date(timeIntervalSince1970: 1_742_027_400.123_456_9)) == "2025-03-15T08:30:00.123457Z")
    }

    @Test func theUTCDayOfAnInstant() {
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: 951_868_799)).description == "2000-02-29")
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: 951_868_800)).description == "2000-03-01")
        // 2025-03-15 23:30 in Beijing is still the 15th in UTC.
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: 1_742_052_600)).description == "2025-03-15")
    }
}

@Suite struct CalendarDayCountTests {
    /// `daysSinceEpoch` is the inverse of the civil-from-days conversion, across leap days and centuries.
    @Test func daysSinceEpochRoundTrips() throws {
        #expect(try CalendarDate(parsing: "2000-01-01", at: "").daysSinceEpoch == 10_957)
        #expect(try CalendarDate(parsing: "2024-02-29", at: "").daysSinceEpoch == 19_782)
        let start = try CalendarDate(parsing: "2000-01-01", at: "")
        let end = try CalendarDate(parsing: "2100-12-31", at: "")
        #expect(start.days(to: end) == 36_889)
        for days in stride(from: Int64(10_957), through: 47_846, by: 37) {
            let date = CalendarDate(utcDayOf: Date(timeIntervalSince1970: TimeInterval(days * 86_400)))
            #expect(date.daysSinceEpoch == days, "\(date)")
        }
    }
}
