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
            scheme, texts: texts, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.scheme(created.value))))
    }

    func getAssessmentScheme(_ input: Operations.GetAssessmentScheme.Input) async throws
        -> Operations.GetAssessmentScheme.Output
    {
        let versions = try await assessment.schemeVersions(input.path.code, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: versions.map(Wire.scheme)))))
    }

    func createAssessmentPeriod(_ input: Operations.CreateAssessmentPeriod.Input) async throws
        -> Operations.CreateAssessmentPeriod.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try PeriodRequest(
            code: body.code, schemeCode: body.scheme, schemeVersion: body.schemeVersion,
            jurisdictions: body.jurisdictions)
        let created = try await assessment.createPeriod(
            request, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.period(created.value))))
    }

    func getAssessmentPeriod(_ input: Operations.GetAssessmentPeriod.Input) async throws
        -> Operations.GetAssessmentPeriod.Output
    {
        let period = try await assessment.period(input.path.period, by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.period(period))))
    }

    func finalizeAssessmentPeriod(_ input: Operations.FinalizeAssessmentPeriod.Input) async throws
        -> Operations.FinalizeAssessmentPeriod.Output
    {
        let period = try await assessment.finalize(
            period: input.path.period, by: try RequestScope.caller(),
            idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .ok(.init(body: .json(Wire.period(period.value))))
    }

    func reopenAssessmentPeriod(_ input: Operations.ReopenAssessmentPeriod.Input) async throws
        -> Operations.ReopenAssessmentPeriod.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let period = try await assessment.reopen(
            period: input.path.period, reason: body.reason, by: caller,
            idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .ok(.init(body: .json(Wire.period(period.value))))
    }

    func putScore(_ input: Operations.PutScore.Input) async throws -> Operations.PutScore.Output {
        let caller = try RequestScope.caller()
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
        let score = try await assessment.score(
            period: input.path.period, jurisdiction: input.path.jurisdiction, by: try RequestScope.caller())
        return .ok(.init(headers: .init(eTag: score.etag), body: .json(Wire.score(score))))
    }

    func listScores(_ input: Operations.ListScores.Input) async throws -> Operations.ListScores.Output {
        let (period, ranked) = try await assessment.ranking(period: input.path.period, by: try RequestScope.caller())
        let items = ranked.map {
            Components.Schemas.ScoreRanking.ItemsPayloadPayload(rank: $0.rank, score: Wire.score($0.score))
        }
        return .ok(
            .init(body: .json(.init(period: period.code, status: Wire.rankingStatus(period.status), items: items))))
    }

    func getScoreHistory(_ input: Operations.GetScoreHistory.Input) async throws -> Operations.GetScoreHistory.Output {
        let revisions = try await assessment.history(
            period: input.path.period, jurisdiction: input.path.jurisdiction, by: try RequestScope.caller())
        let items = revisions.enumerated().map { index, score in
            Components.Schemas.ScoreHistory.ItemsPayloadPayload(
                score: Wire.score(score), previous: index > 0 ? Wire.score(revisions[index - 1]) : nil)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }
}

extension Wire {
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
                    direction: direction(indicator.direction),
                    floor: try parseDecimal(indicator.floor, at: "\(at)/floor", "the floor of \(indicator.code)"),
                    ceiling: try parseDecimal(
                        indicator.ceiling, at: "\(at)/ceiling", "the ceiling of \(indicator.code)"),
                    unit: indicator.unit))
            texts.append(IndicatorTexts(weight: indicator.weight, floor: indicator.floor, ceiling: indicator.ceiling))
        }
        // The version is assigned when the scheme is stored.
        return (try IndicatorScheme(code: body.code, version: 1, name: body.name, indicators: indicators), texts)
    }

    static func direction(_ direction: Components.Schemas.Indicator.DirectionPayload) -> IndicatorScheme.Direction {
        switch direction {
        case .higherIsBetter: .higherIsBetter
        case .lowerIsBetter: .lowerIsBetter
        }
    }

    static func direction(_ direction: IndicatorScheme.Direction) -> Components.Schemas.Indicator.DirectionPayload {
        switch direction {
        case .higherIsBetter: .higherIsBetter
        case .lowerIsBetter: .lowerIsBetter
        }
    }

    static func scheme(_ record: SchemeRecord) -> Components.Schemas.Scheme {
        .init(
            code: record.code, version: record.version, name: record.name,
            indicators: record.indicators.map {
                .init(
                    code: $0.code, name: $0.name, nameZh: $0.nameZh, weight: $0.weight,
                    direction: direction($0.direction), floor: $0.floor, ceiling: $0.ceiling, unit: $0.unit)
            },
            createdBy: record.createdBy, createdAt: record.createdAt)
    }

    static func periodStatus(_ status: PeriodStatus) -> Components.Schemas.Period.StatusPayload {
        switch status {
        case .open: .open
        case .finalized: .finalized
        }
    }

    static func rankingStatus(_ status: PeriodStatus) -> Components.Schemas.ScoreRanking.StatusPayload {
        switch status {
        case .open: .open
        case .finalized: .finalized
        }
    }

    static func period(_ record: PeriodRecord) -> Components.Schemas.Period {
        .init(
            code: record.code, scheme: record.schemeCode, schemeVersion: record.schemeVersion,
            status: periodStatus(record.status), revision: record.revision, jurisdictions: record.jurisdictions,
            transitions: record.transitions.map {
                guard
                    let action = Components.Schemas.Period.TransitionsPayloadPayload.ActionPayload(rawValue: $0.action)
                else { preconditionFailure("period \(record.code) has a transition \($0.action)") }
                return .init(revision: $0.revision, action: action, reason: $0.reason, actor: $0.actor, at: $0.at)
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
