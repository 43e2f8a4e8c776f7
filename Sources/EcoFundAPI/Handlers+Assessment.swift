import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// The assessment office's operations: translation only, the rules live in ``AssessmentService``.
extension Handlers {
    func createAssessmentScheme(_ input: Operations.CreateAssessmentScheme.Input) async throws
        -> Operations.CreateAssessmentScheme.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let (scheme, texts) = try Wire.scheme(body)
        let created = try await assessment.createScheme(
            scheme, texts: texts, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.scheme(created.value))))
    }

    func getAssessmentScheme(_ input: Operations.GetAssessmentScheme.Input) async throws
        -> Operations.GetAssessmentScheme.Output
    {
        _ = try RequestScope.caller()
        let versions = try await assessment.schemeVersions(input.path.code)
        return .ok(.init(body: .json(.init(items: versions.map(Wire.scheme)))))
    }

    func createAssessmentPeriod(_ input: Operations.CreateAssessmentPeriod.Input) async throws
        -> Operations.CreateAssessmentPeriod.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        try Wire.validatePeriodCode(body.code, at: "/code")
        try Jurisdiction.validateCode(body.scheme, at: "/scheme")
        guard (1...100).contains(body.jurisdictions.count) else {
            throw ValidationError(.invalidValue, at: "/jurisdictions", "must list 1 to 100 jurisdictions")
        }
        for (index, code) in body.jurisdictions.enumerated() {
            try Jurisdiction.validateCode(code, at: "/jurisdictions/\(index)")
        }
        guard Set(body.jurisdictions).count == body.jurisdictions.count else {
            throw ValidationError(.invalidValue, at: "/jurisdictions", "lists a jurisdiction twice")
        }
        let created = try await assessment.createPeriod(
            code: body.code, schemeCode: body.scheme, schemeVersion: body.schemeVersion,
            jurisdictions: body.jurisdictions, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.period(created.value))))
    }

    func getAssessmentPeriod(_ input: Operations.GetAssessmentPeriod.Input) async throws
        -> Operations.GetAssessmentPeriod.Output
    {
        _ = try RequestScope.caller()
        return .ok(.init(body: .json(Wire.period(try await assessment.period(input.path.period)))))
    }

    func finalizeAssessmentPeriod(_ input: Operations.FinalizeAssessmentPeriod.Input) async throws
        -> Operations.FinalizeAssessmentPeriod.Output
    {
        let caller = try RequestScope.caller()
        let period = try await assessment.finalize(
            period: input.path.period, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .ok(.init(body: .json(Wire.period(period.value))))
    }

    func reopenAssessmentPeriod(_ input: Operations.ReopenAssessmentPeriod.Input) async throws
        -> Operations.ReopenAssessmentPeriod.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        try caller.require(.assessor, .admin, to: "reopen assessment periods")
        let period = try await assessment.reopen(
            period: input.path.period, reason: body.reason, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .ok(.init(body: .json(Wire.period(period.value))))
    }

    func putScore(_ input: Operations.PutScore.Input) async throws -> Operations.PutScore.Output {
        let caller = try RequestScope.caller()
        try caller.require(.assessor, .admin, to: "enter assessment scores")
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let values = body.indicators.map { (code: $0.code, value: $0.value) }
        let (score, created) = try await assessment.putScore(
            period: input.path.period, jurisdiction: input.path.jurisdiction,
            .init(values: values, reason: body.reason), ifMatch: input.headers.ifMatch, by: caller)
        if created {
            return .created(.init(headers: .init(eTag: score.etag), body: .json(Wire.score(score))))
        }
        return .ok(.init(headers: .init(eTag: score.etag), body: .json(Wire.score(score))))
    }

    func getScore(_ input: Operations.GetScore.Input) async throws -> Operations.GetScore.Output {
        _ = try RequestScope.caller()
        let score = try await assessment.score(period: input.path.period, jurisdiction: input.path.jurisdiction)
        return .ok(.init(headers: .init(eTag: score.etag), body: .json(Wire.score(score))))
    }

    func listScores(_ input: Operations.ListScores.Input) async throws -> Operations.ListScores.Output {
        _ = try RequestScope.caller()
        let (period, scores) = try await assessment.ranking(period: input.path.period)
        // Competition ranking: equal composites share a rank, and the next rank skips (1, 2, 2, 4).
        var items: [Components.Schemas.ScoreRanking.ItemsPayloadPayload] = []
        for (index, score) in scores.enumerated() {
            let rank = index > 0 && scores[index - 1].composite == score.composite ? items[index - 1].rank : index + 1
            items.append(.init(rank: rank, score: Wire.score(score)))
        }
        return .ok(
            .init(
                body: .json(
                    .init(period: period.code, status: period.status == .open ? .open : .finalized, items: items))))
    }

    func getScoreHistory(_ input: Operations.GetScoreHistory.Input) async throws -> Operations.GetScoreHistory.Output {
        _ = try RequestScope.caller()
        let revisions = try await assessment.history(period: input.path.period, jurisdiction: input.path.jurisdiction)
        let items = revisions.enumerated().map { index, score in
            Components.Schemas.ScoreHistory.ItemsPayloadPayload(
                score: Wire.score(score), previous: index > 0 ? Wire.score(revisions[index - 1]) : nil)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }
}

extension Wire {
    static func validatePeriodCode(_ code: String, at pointer: String) throws(ValidationError) {
        guard (1...20).contains(code.count), code.first?.isASCII == true,
            code.first?.isLetter == true || code.first?.isNumber == true,
            code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else {
            throw ValidationError(
                .invalidValue, at: pointer, "must be 1 to 20 letters, digits or dashes, such as \"2025\"")
        }
    }

    static func scheme(_ body: Components.Schemas.SchemeInput) throws(ValidationError)
        -> (IndicatorScheme, [IndicatorTexts])
    {
        var indicators: [IndicatorScheme.Indicator] = []
        var texts: [IndicatorTexts] = []
        for (index, indicator) in body.indicators.enumerated() {
            let at = "/indicators/\(index)"
            indicators.append(
                IndicatorScheme.Indicator(
                    code: indicator.code, name: indicator.name, nameZh: indicator.nameZh,
                    weight: try parseDecimal(indicator.weight, at: "\(at)/weight", "the weight of \(indicator.code)"),
                    direction: indicator.direction == .higherIsBetter ? .higherIsBetter : .lowerIsBetter,
                    floor: try parseDecimal(indicator.floor, at: "\(at)/floor", "the floor of \(indicator.code)"),
                    ceiling: try parseDecimal(
                        indicator.ceiling, at: "\(at)/ceiling", "the ceiling of \(indicator.code)"),
                    unit: indicator.unit))
            texts.append(IndicatorTexts(weight: indicator.weight, floor: indicator.floor, ceiling: indicator.ceiling))
        }
        // The version is assigned when the scheme is stored.
        return (try IndicatorScheme(code: body.code, version: 1, name: body.name, indicators: indicators), texts)
    }

    static func scheme(_ record: SchemeRecord) -> Components.Schemas.Scheme {
        .init(
            code: record.code, version: record.version, name: record.name,
            indicators: record.indicators.map {
                .init(
                    code: $0.code, name: $0.name, nameZh: $0.nameZh, weight: $0.weight,
                    direction: $0.direction == .higherIsBetter ? .higherIsBetter : .lowerIsBetter, floor: $0.floor,
                    ceiling: $0.ceiling, unit: $0.unit)
            },
            createdBy: record.createdBy, createdAt: record.createdAt)
    }

    static func period(_ record: PeriodRecord) -> Components.Schemas.Period {
        .init(
            code: record.code, scheme: record.schemeCode, schemeVersion: record.schemeVersion,
            status: record.status == .open ? .open : .finalized, revision: record.revision,
            jurisdictions: record.jurisdictions,
            transitions: record.transitions.map {
                .init(
                    revision: $0.revision, action: .init(rawValue: $0.action) ?? .opened, reason: $0.reason,
                    actor: $0.actor, at: $0.at)
            })
    }

    static func score(_ record: ScoreRecord) -> Components.Schemas.Score {
        .init(
            period: record.period, jurisdiction: record.jurisdiction, revision: record.revision,
            indicators: record.lines.map {
                .init(code: $0.code, value: $0.value, score: $0.score, scoreExact: $0.scoreExact, weight: $0.weight)
            },
            composite: record.composite, compositeExact: record.compositeExact, etag: record.etag,
            reason: record.reason, recordedBy: record.recordedBy, recordedAt: record.recordedAt)
    }
}
