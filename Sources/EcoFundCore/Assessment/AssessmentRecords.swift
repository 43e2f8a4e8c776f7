import Foundation

/// A stored indicator scheme, as it is shown and replayed: decimals as strings.
public struct SchemeRecord: Hashable, Sendable, Codable {
    public struct Indicator: Hashable, Sendable, Codable {
        public let code: String
        public let name: String
        public let nameZh: String
        public let weight: String
        public let direction: IndicatorScheme.Direction
        public let floor: String
        public let ceiling: String
        public let unit: String

        public init(
            code: String, name: String, nameZh: String, weight: String, direction: IndicatorScheme.Direction,
            floor: String, ceiling: String, unit: String
        ) {
            self.code = code
            self.name = name
            self.nameZh = nameZh
            self.weight = weight
            self.direction = direction
            self.floor = floor
            self.ceiling = ceiling
            self.unit = unit
        }
    }

    public let code: String
    public let version: Int
    public let name: String
    public let indicators: [Indicator]
    public let createdBy: String
    public let createdAt: Date

    /// A record read back from storage; ``scheme()`` checks it with the rules that admitted it.
    public init(code: String, version: Int, name: String, indicators: [Indicator], createdBy: String, createdAt: Date) {
        self.code = code
        self.version = version
        self.name = name
        self.indicators = indicators
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    public init(scheme: IndicatorScheme, texts: [IndicatorTexts], createdBy: String, createdAt: Date) {
        self.code = scheme.code
        self.version = scheme.version
        self.name = scheme.name
        self.indicators = zip(scheme.indicators, texts).map { indicator, text in
            Indicator(
                code: indicator.code, name: indicator.name, nameZh: indicator.nameZh, weight: text.weight,
                direction: indicator.direction, floor: text.floor, ceiling: text.ceiling, unit: indicator.unit)
        }
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// The scheme the record describes, for scoring.
    public func scheme() throws(ValidationError) -> IndicatorScheme {
        var indicators: [IndicatorScheme.Indicator] = []
        for (index, indicator) in self.indicators.enumerated() {
            let at = "/indicators/\(index)"
            indicators.append(
                IndicatorScheme.Indicator(
                    code: indicator.code, name: indicator.name, nameZh: indicator.nameZh,
                    weight: try parseDecimal(indicator.weight, at: "\(at)/weight", "weight"),
                    direction: indicator.direction,
                    floor: try parseDecimal(indicator.floor, at: "\(at)/floor", "floor"),
                    ceiling: try parseDecimal(indicator.ceiling, at: "\(at)/ceiling", "ceiling"), unit: indicator.unit))
        }
        return try IndicatorScheme(code: code, version: version, name: name, indicators: indicators)
    }
}

/// The decimal texts of an indicator as submitted: kept verbatim so what is shown is what was sent.
public struct IndicatorTexts: Hashable, Sendable, Codable {
    public let weight: String
    public let floor: String
    public let ceiling: String

    public init(weight: String, floor: String, ceiling: String) {
        self.weight = weight
        self.floor = floor
        self.ceiling = ceiling
    }
}

/// An assessment period as shown: its scheme, status, members and the history of its status.
public struct PeriodRecord: Hashable, Sendable, Codable {
    public struct Transition: Hashable, Sendable, Codable {
        public let revision: Int
        public let action: String
        public let reason: String?
        public let actor: String
        public let at: Date

        public init(revision: Int, action: String, reason: String?, actor: String, at: Date) {
            self.revision = revision
            self.action = action
            self.reason = reason
            self.actor = actor
            self.at = at
        }
    }

    public let code: String
    public let schemeCode: String
    public let schemeVersion: Int
    public let status: PeriodStatus
    /// Bumped by every finalize and reopen.
    public let revision: Int
    public let jurisdictions: [String]
    public let transitions: [Transition]

    public init(
        code: String, schemeCode: String, schemeVersion: Int, status: PeriodStatus, revision: Int,
        jurisdictions: [String], transitions: [Transition]
    ) {
        self.code = code
        self.schemeCode = schemeCode
        self.schemeVersion = schemeVersion
        self.status = status
        self.revision = revision
        self.jurisdictions = jurisdictions
        self.transitions = transitions
    }
}

/// One revision of a jurisdiction's score in a period, with its per-indicator scores recomputed from the values.
public struct ScoreRecord: Hashable, Sendable, Codable {
    public struct Line: Hashable, Sendable, Codable {
        public let code: String
        /// The raw value as entered.
        public let value: String
        /// The score rounded half-up to 2 decimals, for reading.
        public let score: String
        /// The exact score as a fraction, for recomputing the composite by hand.
        public let scoreExact: String
        public let weight: String
    }

    public let period: String
    public let jurisdiction: String
    public let revision: Int
    public let lines: [Line]
    /// Σ weight × exact score, rounded half-up to 2 decimals.
    public let composite: String
    /// The exact composite before rounding, as a fraction.
    public let compositeExact: String
    public let reason: String?
    public let recordedBy: String
    public let recordedAt: Date

    /// The entity tag of this revision, for `If-Match`.
    public var etag: String { "\"\(period)/\(jurisdiction)/r\(revision)\"" }

    public init(
        period: String, jurisdiction: String, revision: Int, scheme: SchemeRecord, card: ScoreCard,
        values: [String: String], reason: String?, recordedBy: String, recordedAt: Date
    ) {
        self.period = period
        self.jurisdiction = jurisdiction
        self.revision = revision
        self.lines = zip(scheme.indicators, card.lines).map { indicator, line in
            Line(
                code: line.code, value: values[line.code] ?? line.value.description,
                score: line.score.decimalString(scale: 2), scoreExact: line.score.description, weight: indicator.weight)
        }
        self.composite = card.composite.decimalString(scale: 2)
        self.compositeExact = card.compositeExact.description
        self.reason = reason
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}
