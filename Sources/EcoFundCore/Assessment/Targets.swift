import Foundation

/// A month of monitoring, `2025-07`: the months a reading may be entered for lie in the period's year.
public struct Month: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    /// Parses `YYYY-MM`.
    public init(_ text: String, at pointer: String) throws(ValidationError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 7, parts.count == 2, parts[0].count == 4, parts[1].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), parts[0].allSatisfy(\.isASCII),
            parts[1].allSatisfy(\.isASCII), (1...12).contains(month), year >= 1
        else {
            throw ValidationError(
                .invalidValue, at: pointer, "must be a month such as \"2025-07\", not \(text.debugDescription)")
        }
        self.year = year
        self.month = month
    }

    /// Refuses a month outside the period's year: readings monitor the year a period assesses.
    public func check(inPeriod period: String, at pointer: String) throws(ValidationError) {
        guard let year = Self.year(ofPeriod: period) else {
            throw ValidationError(
                .invalidValue, at: pointer,
                "period \(period) is not a calendar year, so it has no months to monitor")
        }
        guard self.year == year else {
            throw ValidationError(
                .invalidValue, at: pointer,
                "\(self) is outside period \(period): readings are for \(year)-01 to \(year)-12")
        }
    }

    /// The calendar year a period code names (`2025`), or nil for a period that is not one year.
    public static func year(ofPeriod code: String) -> Int? {
        guard code.utf8.count == 4, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(code)
    }

    public var description: String {
        let padded = month < 10 ? "0\(month)" : "\(month)"
        return "\(year)-\(padded)"
    }

    public static func < (lhs: Month, rhs: Month) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}

/// A responsibility target (责任目标): the value an indicator must reach in a period, and whether missing it
/// costs money (`binding`).
public struct Target: Hashable, Sendable, Codable {
    public let indicator: String
    /// The target value as entered, a decimal string.
    public let value: String
    public let binding: Bool

    public init(indicator: String, value: String, binding: Bool) {
        self.indicator = indicator
        self.value = value
        self.binding = binding
    }

    /// Whether `actual` meets the target: at least it when higher is better, at most it when lower is.
    public func isMet(by actual: Rational, direction: IndicatorScheme.Direction) -> Bool {
        guard let target = Rational(decimal: value) else { preconditionFailure("a stored target is a decimal") }
        switch direction {
        case .higherIsBetter: return !(actual < target)
        case .lowerIsBetter: return !(target < actual)
        }
    }

    /// Checks targets as sent against the period's scheme: each names one of its indicators once, with a decimal.
    public static func validate(_ targets: [Target], scheme: IndicatorScheme) throws(ValidationError) {
        guard !targets.isEmpty else {
            throw ValidationError(.missingField, at: "/targets", "must set at least one indicator's target")
        }
        try validateIndicators(targets.map { ($0.indicator, $0.value) }, scheme: scheme, list: "targets")
    }

    /// Each entry names one of the scheme's indicators, once, with a decimal string of at most 30 characters.
    public static func validateIndicators(
        _ entries: [(indicator: String, value: String)], scheme: IndicatorScheme, list: String
    ) throws(ValidationError) {
        let known = Set(scheme.indicators.map(\.code))
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            let at = "/\(list)/\(index)"
            guard known.contains(entry.indicator) else {
                throw ValidationError(
                    .unknownReference, at: "\(at)/indicator",
                    "\(entry.indicator) is not an indicator of scheme \(scheme.code) v\(scheme.version)")
            }
            guard seen.insert(entry.indicator).inserted else {
                throw ValidationError(.invalidValue, at: "\(at)/indicator", "\(entry.indicator) is given twice")
            }
            guard entry.value.utf8.count <= 30 else {
                throw ValidationError(.invalidValue, at: "\(at)/value", "must be at most 30 characters")
            }
            _ = try parseDecimal(entry.value, at: "\(at)/value", "the value of \(entry.indicator)")
        }
    }
}

/// One revision of a jurisdiction's targets in a period.
public struct TargetSet: Hashable, Sendable, Codable {
    public let period: String
    public let jurisdiction: String
    public let revision: Int
    /// In the scheme's order.
    public let targets: [Target]
    public let reason: String?
    public let recordedBy: String
    public let recordedAt: Date

    public init(
        period: String, jurisdiction: String, revision: Int, targets: [Target], reason: String?, recordedBy: String,
        recordedAt: Date
    ) {
        self.period = period
        self.jurisdiction = jurisdiction
        self.revision = revision
        self.targets = targets
        self.reason = reason
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }

    public var etag: String { "\"\(period)/\(jurisdiction)/targets/r\(revision)\"" }
}

/// One revision of a jurisdiction's interim readings for a month (动态监控).
public struct ReadingSet: Hashable, Sendable, Codable {
    public struct Value: Hashable, Sendable, Codable {
        public let indicator: String
        public let value: String

        public init(indicator: String, value: String) {
            self.indicator = indicator
            self.value = value
        }
    }

    public let period: String
    public let jurisdiction: String
    public let month: String
    public let revision: Int
    public let values: [Value]
    public let reason: String?
    public let recordedBy: String
    public let recordedAt: Date

    public init(
        period: String, jurisdiction: String, month: String, revision: Int, values: [Value], reason: String?,
        recordedBy: String, recordedAt: Date
    ) {
        self.period = period
        self.jurisdiction = jurisdiction
        self.month = month
        self.revision = revision
        self.values = values
        self.reason = reason
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }

    public var etag: String { "\"\(period)/\(jurisdiction)/readings/\(month)/r\(revision)\"" }
}

/// The early-warning list: per jurisdiction and indicator with a target, the latest reading against it.
public struct MonitorRow: Hashable, Sendable, Codable {
    public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
        case met, missed, noReading
    }

    public let jurisdiction: String
    public let indicator: String
    public let target: String
    public let binding: Bool
    public let direction: IndicatorScheme.Direction
    /// The latest month with a reading of this indicator, and that reading.
    public let month: String?
    public let reading: String?
    public let status: Status

    public init(
        jurisdiction: String, indicator: String, target: String, binding: Bool, direction: IndicatorScheme.Direction,
        month: String?, reading: String?, status: Status
    ) {
        self.jurisdiction = jurisdiction
        self.indicator = indicator
        self.target = target
        self.binding = binding
        self.direction = direction
        self.month = month
        self.reading = reading
        self.status = status
    }

    /// Rows for every target, jurisdictions by code and indicators in the scheme's order.
    ///
    /// - Parameter readings: the current revision of every month's readings of the period.
    public static func monitor(scheme: IndicatorScheme, targets: [TargetSet], readings: [ReadingSet]) -> [MonitorRow] {
        var latest: [String: [String: (month: String, value: String)]] = [:]
        for set in readings.sorted(by: { $0.month < $1.month }) {
            for value in set.values {
                latest[set.jurisdiction, default: [:]][value.indicator] = (set.month, value.value)
            }
        }
        let directions = Dictionary(uniqueKeysWithValues: scheme.indicators.map { ($0.code, $0.direction) })
        let order = Dictionary(uniqueKeysWithValues: scheme.indicators.enumerated().map { ($1.code, $0) })
        var rows: [MonitorRow] = []
        for set in targets.sorted(by: { $0.jurisdiction < $1.jurisdiction }) {
            for target in set.targets.sorted(by: { order[$0.indicator, default: 0] < order[$1.indicator, default: 0] })
            {
                guard let direction = directions[target.indicator] else { continue }
                let reading = latest[set.jurisdiction]?[target.indicator]
                let status: Status
                if let reading, let value = Rational(decimal: reading.value) {
                    status = target.isMet(by: value, direction: direction) ? .met : .missed
                } else {
                    status = .noReading
                }
                rows.append(
                    MonitorRow(
                        jurisdiction: set.jurisdiction, indicator: target.indicator, target: target.value,
                        binding: target.binding, direction: direction, month: reading?.month,
                        reading: reading?.value, status: status))
            }
        }
        return rows
    }
}

/// The binding targets each jurisdiction missed by its finalized values: what a rule's `missedBindingTarget`
/// multiplies by. Jurisdictions with none are left out; codes are in the scheme's order.
public func missedBindingTargets(scheme: IndicatorScheme, targets: [TargetSet], finalValues: [String: [String: String]])
    -> [String: [String]]
{
    var missed: [String: [String]] = [:]
    for set in targets {
        for indicator in scheme.indicators {
            guard let target = set.targets.first(where: { $0.indicator == indicator.code }), target.binding,
                let text = finalValues[set.jurisdiction]?[indicator.code], let value = Rational(decimal: text),
                !target.isMet(by: value, direction: indicator.direction)
            else { continue }
            missed[set.jurisdiction, default: []].append(indicator.code)
        }
    }
    return missed
}
