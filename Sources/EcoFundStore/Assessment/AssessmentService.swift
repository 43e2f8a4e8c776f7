import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// The assessment office's work: schemes, periods, scores with revisions, finalize and reopen. Only `assessor`
/// and `admin` may write; every write is one transaction with its audit event.
public struct AssessmentService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    /// A score as sent: indicator values in the order given, and the reason required of a revision.
    public struct ScoreInput: Sendable {
        public let values: [(code: String, value: String)]
        public let reason: String?

        public init(values: [(code: String, value: String)], reason: String?) {
            self.values = values
            self.reason = reason
        }
    }

    /// Publishes a scheme as the next version of its code.
    public func createScheme(
        _ scheme: IndicatorScheme, texts: [IndicatorTexts], by principal: Principal, idempotencyKey: IdempotencyKey?
    ) async throws -> Keyed<SchemeRecord> {
        try principal.authorize(.defineSchemes)
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createAssessmentScheme",
                request: SchemeRequestFingerprint(scheme: scheme, texts: texts), principal: principal,
                on: connection, logger: logger
            ) {
                try await AssessmentRepository.insertScheme(
                    scheme, texts: texts, by: principal, on: connection, logger: logger)
            }
        }
    }

    /// Every version of a scheme, oldest first.
    public func schemeVersions(_ code: String, by principal: Principal) async throws -> [SchemeRecord] {
        try principal.authorize(.readBooks)
        let versions = try await database.read { connection in
            try await AssessmentRepository.schemes(code: code, version: nil, on: connection, logger: logger)
        }
        guard !versions.isEmpty else { throw StoreError(.notFound, "no assessment scheme \(code)") }
        return versions
    }

    /// Opens a period under a scheme version (the latest when the request names none) for some jurisdictions.
    public func createPeriod(_ request: PeriodRequest, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<PeriodRecord>
    {
        try principal.authorize(.openPeriods)
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createAssessmentPeriod", request: request, principal: principal,
                on: connection, logger: logger
            ) {
                try await AssessmentRepository.insertPeriod(request, by: principal, on: connection, logger: logger)
                return try await AssessmentRepository.requirePeriod(request.code, on: connection, logger: logger)
            }
        }
    }

    /// Every scheme at its latest version, by code.
    public func latestSchemes(by principal: Principal) async throws -> [SchemeRecord] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            var codes: [String] = []
            for try await code in try await connection.query(
                "SELECT DISTINCT code FROM assessment_schemes ORDER BY code", logger: logger
            ).decode(String.self) { codes.append(code) }
            var latest: [SchemeRecord] = []
            for code in codes {
                if let last = try await AssessmentRepository.schemes(
                    code: code, version: nil, on: connection, logger: logger
                ).last {
                    latest.append(last)
                }
            }
            return latest
        }
    }

    /// Every period, newest code first (periods are few: one a year per scheme).
    public func periods(by principal: Principal) async throws -> [PeriodRecord] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            var codes: [String] = []
            for try await code in try await connection.query(
                "SELECT code FROM assessment_periods ORDER BY code DESC", logger: logger
            ).decode(String.self) { codes.append(code) }
            var periods: [PeriodRecord] = []
            for code in codes {
                periods.append(try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger))
            }
            return periods
        }
    }

    /// The scheme version a period scores by, with its indicators.
    public func scheme(ofPeriod code: String, by principal: Principal) async throws -> SchemeRecord {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let period = try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger)
            return try await AssessmentRepository.requireScheme(
                period.schemeCode, version: period.schemeVersion, on: connection, logger: logger)
        }
    }

    public func period(_ code: String, by principal: Principal) async throws -> PeriodRecord {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger)
        }
    }

    /// Enters (no score yet: `ifMatch` must be nil) or revises (`ifMatch` = the current ETag, and a reason) a
    /// jurisdiction's indicator values. Returns the new revision and whether it is the first.
    public func putScore(
        period code: String, jurisdiction: String, _ input: ScoreInput, ifMatch: String?, by principal: Principal
    ) async throws -> (score: ScoreRecord, created: Bool) {
        try principal.authorize(.enterScores)
        return try await database.transaction { connection in
            let period = try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger)
            guard period.jurisdictions.contains(jurisdiction) else {
                throw StoreError(.notFound, "\(jurisdiction) is not assessed in period \(code)")
            }
            if case .failure(let error) = period.status.after(.writeScore) { throw StoreError(.conflict, error.detail) }
            let scheme = try await AssessmentRepository.requireScheme(
                period.schemeCode, version: period.schemeVersion, on: connection, logger: logger)
            let card = try ScoreCard(scheme: try scheme.scheme(), values: input.values)
            let current = try await AssessmentRepository.latestScore(
                period: code, jurisdiction: jurisdiction, scheme: scheme, on: connection, logger: logger)
            try Self.checkPrecondition(currentETag: current?.etag, ifMatch: ifMatch, reason: input.reason)
            let revision = (current?.revision ?? 0) + 1
            let record = try await AssessmentRepository.insertScore(
                period: code, jurisdiction: jurisdiction, revision: revision, input: input, card: card, scheme: scheme,
                by: principal, on: connection, logger: logger)
            try await AuditRepository.record(
                revision == 1 ? "assessment.score.entered" : "assessment.score.revised", actor: principal.subject,
                payload: ScoreEvent(score: record, previous: current), on: connection, logger: logger)
            return (record, revision == 1)
        }
    }

    /// The If-Match rules of scores, targets and readings: none for a first entry; the current ETag and a reason
    /// for a revision. `what` names the thing in the messages ("score", "targets").
    static func checkPrecondition(currentETag: String?, ifMatch: String?, reason: String?, what: String = "score")
        throws
    {
        guard let currentETag else {
            // A first entry needs no reason; one that is given is kept, so it obeys the same rule.
            if let reason, Text.hasVisibleText(reason) { try Text.validate(reason, at: "/reason", lengthMax: 500) }
            if ifMatch != nil, ifMatch != "*" {
                throw StoreError(.preconditionFailed, "there is no \(what) yet, so If-Match cannot match")
            }
            return
        }
        guard let ifMatch else {
            throw StoreError(
                .preconditionFailed, "the current \(what) has ETag \(currentETag); send it in If-Match to revise it")
        }
        guard ifMatch == currentETag else {
            throw StoreError(
                .preconditionFailed, "If-Match \(ifMatch) is not the current ETag \(currentETag); reread the \(what)")
        }
        guard let reason else {
            throw ValidationError(.missingField, at: "/reason", "is required to revise the \(what)")
        }
        try Text.validate(reason, at: "/reason", lengthMax: 500)
    }

    public func score(period: String, jurisdiction: String, by principal: Principal) async throws -> ScoreRecord {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let record = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
            let scheme = try await AssessmentRepository.requireScheme(
                record.schemeCode, version: record.schemeVersion, on: connection, logger: logger)
            guard
                let score = try await AssessmentRepository.latestScore(
                    period: period, jurisdiction: jurisdiction, scheme: scheme, on: connection, logger: logger)
            else {
                throw StoreError(.notFound, "\(jurisdiction) has no score in period \(period)")
            }
            return score
        }
    }

    /// Every revision of a score, oldest first.
    public func history(period: String, jurisdiction: String, by principal: Principal) async throws -> [ScoreRecord] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let record = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
            let scheme = try await AssessmentRepository.requireScheme(
                record.schemeCode, version: record.schemeVersion, on: connection, logger: logger)
            let revisions = try await AssessmentRepository.scores(
                period: period, jurisdiction: jurisdiction, latestOnly: false, scheme: scheme, on: connection,
                logger: logger)
            guard !revisions.isEmpty else {
                throw StoreError(.notFound, "\(jurisdiction) has no score in period \(period)")
            }
            return revisions
        }
    }

    /// The period's current scores, ranked (``RankedScore``).
    public func ranking(period: String, by principal: Principal) async throws
        -> (period: PeriodRecord, scores: [RankedScore])
    {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let record = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
            let scheme = try await AssessmentRepository.requireScheme(
                record.schemeCode, version: record.schemeVersion, on: connection, logger: logger)
            let scores = try await AssessmentRepository.scores(
                period: period, jurisdiction: nil, latestOnly: true, scheme: scheme, on: connection, logger: logger)
            return (record, RankedScore.rank(scores))
        }
    }

    /// Locks a period: scores can no longer be written, and disbursement rules may use it.
    public func finalize(period code: String, by principal: Principal, idempotencyKey: IdempotencyKey?) async throws
        -> Keyed<PeriodRecord>
    {
        try principal.authorize(.finalizePeriods)
        return try await transition(
            code, action: .finalize, reason: nil, by: principal, idempotencyKey: idempotencyKey)
    }

    /// Reopens a finalized period, with a reason that is kept.
    public func reopen(period code: String, reason: String, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<PeriodRecord>
    {
        try principal.authorize(.reopenPeriods)
        try Text.validate(reason, at: "/reason", lengthMax: 500)
        return try await transition(
            code, action: .reopen, reason: reason, by: principal, idempotencyKey: idempotencyKey)
    }

    private func transition(
        _ code: String, action: PeriodStatus.Action, reason: String?, by principal: Principal,
        idempotencyKey: IdempotencyKey?
    ) async throws -> Keyed<PeriodRecord> {
        try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "\(action.rawValue):\(code)", request: ["reason": reason ?? ""],
                principal: principal, on: connection, logger: logger
            ) {
                try await AssessmentRepository.transition(
                    code, action: action, reason: reason, by: principal, on: connection, logger: logger)
                return try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger)
            }
        }
    }
}

struct SchemeRequestFingerprint: Encodable, Sendable {
    let code: String
    let name: String
    let indicators: [SchemeRecord.Indicator]

    init(scheme: IndicatorScheme, texts: [IndicatorTexts]) {
        self.code = scheme.code
        self.name = scheme.name
        self.indicators =
            SchemeRecord(scheme: scheme, texts: texts, createdBy: "", createdAt: Date(timeIntervalSince1970: 0))
            .indicators
    }
}

struct ScoreEvent: Encodable, Sendable {
    let period: String
    let jurisdiction: String
    let revision: Int
    let values: [String: String]
    let composite: String
    let reason: String?
    let previousValues: [String: String]?
    let previousComposite: String?

    init(score: ScoreRecord, previous: ScoreRecord?) {
        self.period = score.period
        self.jurisdiction = score.jurisdiction
        self.revision = score.revision
        self.values = Dictionary(uniqueKeysWithValues: score.lines.map { ($0.code, $0.value) })
        self.composite = score.composite
        self.reason = score.reason
        self.previousValues = previous.map { Dictionary(uniqueKeysWithValues: $0.lines.map { ($0.code, $0.value) }) }
        self.previousComposite = previous?.composite
    }
}
