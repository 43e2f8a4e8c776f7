/// A versioned list of indicators with weights that sum to exactly 1. Immutable: a change is a new version.
public struct IndicatorScheme: Hashable, Sendable {
    /// Whether a higher raw value is a better performance (forest coverage) or a worse one (PM2.5).
    public enum Direction: String, Hashable, Sendable, CaseIterable, Codable {
        case higherIsBetter, lowerIsBetter
    }

    public struct Indicator: Hashable, Sendable {
        public let code: String
        public let name: String
        public let nameZh: String
        /// Share of the composite, in (0, 1].
        public let weight: Rational
        public let direction: Direction
        /// The raw value scoring 0 (or 100 when lower is better).
        public let floor: Rational
        /// The raw value scoring 100 (or 0 when lower is better).
        public let ceiling: Rational
        /// The unit of raw values, for people: `%`, `µg/m³`.
        public let unit: String

        public init(
            code: String, name: String, nameZh: String, weight: Rational, direction: Direction, floor: Rational,
            ceiling: Rational, unit: String
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

    /// The most indicators one scheme may list.
    public static let indicatorsMax = 30

    public let code: String
    /// 1 for the first scheme under a code; each later one is the next number.
    public let version: Int
    public let name: String
    public let indicators: [Indicator]

    /// Checks a scheme as submitted; each failure names its JSON pointer (`/indicators/2/weight`).
    public init(code: String, version: Int, name: String, indicators: [Indicator]) throws(ValidationError) {
        try Jurisdiction.validateCode(code, at: "/code")
        try Text.validate(name, at: "/name", lengthMax: 200)
        guard (1...Self.indicatorsMax).contains(indicators.count) else {
            throw ValidationError(.invalidValue, at: "/indicators", "must list 1 to \(Self.indicatorsMax) indicators")
        }
        var seen: Set<String> = []
        for (index, indicator) in indicators.enumerated() {
            let at = "/indicators/\(index)"
            try Self.validateIndicatorCode(indicator.code, at: "\(at)/code")
            guard seen.insert(indicator.code).inserted else {
                throw ValidationError(.invalidValue, at: "\(at)/code", "\(indicator.code) is listed twice")
            }
            try Text.validate(indicator.name, at: "\(at)/name", lengthMax: 200)
            try Text.validate(indicator.nameZh, at: "\(at)/nameZh", lengthMax: 200)
            try Text.validate(indicator.unit, at: "\(at)/unit", lengthMax: 40, allowEmpty: true)
            guard indicator.weight > .zero, indicator.weight <= .one else {
                throw ValidationError(.invalidValue, at: "\(at)/weight", "must be above 0 and at most 1")
            }
            guard indicator.floor < indicator.ceiling else {
                throw ValidationError(.invalidValue, at: "\(at)/ceiling", "must be above the floor \(indicator.floor)")
            }
        }
        let total = indicators.reduce(Rational.zero) { $0 + $1.weight }
        guard total == .one else {
            throw ValidationError(
                .invalidValue, at: "/indicators",
                "weights must sum to exactly 1; they sum to \(total.decimalString(scale: 6))")
        }
        self.code = code
        self.version = version
        self.name = name
        self.indicators = indicators
    }

    /// Indicator codes are lower camel case ASCII, such as `pm25` or `forestCoverage`.
    public static func validateIndicatorCode(_ code: String, at pointer: String) throws(ValidationError) {
        guard CodePattern.indicator.matches(code) else {
            throw ValidationError(
                .invalidValue, at: pointer, "must be 1 to 40 ASCII letters and digits, such as \"pm25\"")
        }
    }
}

/// Parses a decimal string field of a request, naming it when it is not one.
public func parseDecimal(_ text: String, at pointer: String, _ what: String = "value") throws(ValidationError)
    -> Rational
{
    guard let value = Rational(decimal: text) else {
        throw ValidationError(
            .invalidValue, at: pointer,
            "\(what) must be a decimal string such as \"38.5\", not \(text.debugDescription)")
    }
    return value
}
