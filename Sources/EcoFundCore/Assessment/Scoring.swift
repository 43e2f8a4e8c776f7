/// Green performance scores, exactly as DESIGN.md "Assessment scores" defines them:
/// per indicator 100 × clamp((v − floor) / (ceiling − floor), 0, 1), reversed (100 − that) for `lowerIsBetter`;
/// the composite is Σ weight × score, rounded half-up to 2 decimals. Scores are kept exact until that rounding.
public struct ScoreCard: Hashable, Sendable {
    public struct Line: Hashable, Sendable {
        public let code: String
        /// The raw value as entered.
        public let value: Rational
        /// The exact score in [0, 100].
        public let score: Rational
        /// weight × score, exact: the line's part of the composite.
        public let weighted: Rational
    }

    /// In the scheme's order.
    public let lines: [Line]
    /// Σ weighted, exact.
    public let compositeExact: Rational
    /// The composite rounded half-up to 2 decimals: the figure that feeds allocation rules.
    public var composite: Rational { compositeExact.rounded(scale: 2) }

    /// Scores raw values against a scheme. Every indicator must have a value, and no other code may appear.
    ///
    /// - Parameter values: indicator code → raw value, in the order sent (used for error pointers).
    public init(scheme: IndicatorScheme, values: [(code: String, value: String)]) throws(ValidationError) {
        var parsed: [String: Rational] = [:]
        let known = Set(scheme.indicators.map(\.code))
        for (index, entry) in values.enumerated() {
            let at = "/indicators/\(index)"
            guard known.contains(entry.code) else {
                throw ValidationError(
                    .unknownReference, at: "\(at)/code",
                    "\(entry.code) is not an indicator of scheme \(scheme.code) v\(scheme.version)")
            }
            guard parsed[entry.code] == nil else {
                throw ValidationError(.invalidValue, at: "\(at)/code", "\(entry.code) is given twice")
            }
            parsed[entry.code] = try parseDecimal(entry.value, at: "\(at)/value", "the value of \(entry.code)")
        }
        var lines: [Line] = []
        for indicator in scheme.indicators {
            guard let value = parsed[indicator.code] else {
                throw ValidationError(.missingField, at: "/indicators", "the value of \(indicator.code) is missing")
            }
            let score = Self.score(value, of: indicator)
            lines.append(Line(code: indicator.code, value: value, score: score, weighted: indicator.weight * score))
        }
        self.lines = lines
        self.compositeExact = lines.reduce(Rational.zero) { $0 + $1.weighted }
    }

    /// One indicator's exact score in [0, 100].
    public static func score(_ value: Rational, of indicator: IndicatorScheme.Indicator) -> Rational {
        let position = ((value - indicator.floor) / (indicator.ceiling - indicator.floor)).clamped(to: .zero ... .one)
        switch indicator.direction {
        case .higherIsBetter: return .hundred * position
        case .lowerIsBetter: return .hundred * (.one - position)
        }
    }
}

/// An assessment period's lifecycle: `open` → `finalized` → (reopened, with a reason) `open` → …
/// Only finalized periods feed disbursement rules.
public enum PeriodStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case open, finalized

    public enum Action: String, Sendable {
        case writeScore, finalize, reopen
    }

    /// The status after `action`, or why it is not allowed now.
    public func after(_ action: Action) -> Result<PeriodStatus, PeriodTransitionError> {
        switch (self, action) {
        case (.open, .writeScore): .success(.open)
        case (.open, .finalize): .success(.finalized)
        case (.finalized, .reopen): .success(.open)
        case (.open, .reopen):
            .failure(PeriodTransitionError(detail: "the period is open; only a finalized period can be reopened"))
        case (.finalized, .writeScore), (.finalized, .finalize):
            .failure(PeriodTransitionError(detail: "the period is finalized; reopen it with a reason first"))
        }
    }
}

/// An action a period's status does not allow (409).
public struct PeriodTransitionError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public let detail: String
    public var description: String { detail }
    public var problem: ProblemFacts { ProblemFacts(status: 409, kind: "conflict", detail: detail) }
}
