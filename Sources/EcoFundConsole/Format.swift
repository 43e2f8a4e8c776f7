import EcoFundCore
import Foundation

/// How the console writes amounts, times and places for people: `¥30,000,000.00`, Beijing time, 北京市.
enum Format {
    /// Fen as yuan with thousands separators and two decimals: 3000000000 → `¥30,000,000.00`.
    static func money(fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)¥\(Text.groupedDigits(String(magnitude / 100))).\(cents < 10 ? "0" : "")\(cents)"
    }

    static func money(_ money: Money) -> String { self.money(fen: money.fen) }

    /// Beijing keeps UTC+8 all year (no summer time).
    static let beijing = TimeZone(secondsFromGMT: 8 * 3600)!

    /// An instant in Beijing time, to the minute: `2026-12-02 14:05`.
    static func time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = beijing
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
    }

    /// The date of an instant in Beijing, which is what "today" means to the fund's people.
    static func beijingDate(_ date: Date) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = beijing
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let text = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        guard let today = try? CalendarDate(parsing: text, at: "") else {
            preconditionFailure("the calendar gave no date for \(date)")
        }
        return today
    }

    /// An exact decimal as whole units with separators (people: 21,893,000).
    static func whole(_ value: ExactDecimal) -> String {
        (value.hundredths < 0 ? "-" : "") + Text.groupedDigits(String(value.hundredths.magnitude / 100))
    }

    /// A jurisdiction by its name in the page's language (北京市 / Beijing), its code when it is unknown.
    static func place(_ code: String, _ names: [String: Jurisdiction], _ language: Language) -> String {
        guard let jurisdiction = names[code] else { return code }
        return language == .zh ? jurisdiction.nameZh : jurisdiction.name
    }

    /// A stored UTC instant (RFC 3339, with or without fractional seconds, as events and checkpoints keep it) in
    /// Beijing time; the text itself when it is not one.
    static func time(utc text: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = parser.date(from: text) { return time(date) }
        parser.formatOptions = [.withInternetDateTime]
        return parser.date(from: text).map(time) ?? text
    }

    /// An account by what it is for: 基金现金, 北京市 · 缴款, 保定市 · 应付.
    static func account(_ account: AccountCode, _ names: [String: Jurisdiction], _ visit: Visit) -> String {
        switch account {
        case .fundCash: visit.text("account_fund_cash")
        case .contributions(let code):
            visit.text("account_contributions", ["place": place(code, names, visit.language)])
        case .disbursements(let code):
            visit.text("account_disbursements", ["place": place(code, names, visit.language)])
        case .payable(let code): visit.text("account_payable", ["place": place(code, names, visit.language)])
        case .receivable(let code):
            visit.text("account_receivable", ["place": place(code, names, visit.language)])
        }
    }
}
