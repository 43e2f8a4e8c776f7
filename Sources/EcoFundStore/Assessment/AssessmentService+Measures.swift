import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Targets (责任目标) and monthly readings (动态监控): entered and revised like scores, by the assessment office,
/// while the period is open; the monitor compares the latest reading of each indicator with its target.
extension AssessmentService {
    /// Enters or revises a jurisdiction's targets in a period: all of them at once, each revision kept.
    public func putTargets(
        period code: String, jurisdiction: String, _ targets: [Target], reason: String?, ifMatch: String?,
        by principal: Principal
    ) async throws -> (targets: TargetSet, created: Bool) {
        try principal.authorize(.enterScores)
        return try await database.transaction { connection in
            let scheme = try await Self.writableScheme(
                period: code, jurisdiction: jurisdiction, on: connection, logger: logger)
            try Target.validate(targets, scheme: scheme)
            let current = try await MeasureRepository.targets(
                period: code, jurisdiction: jurisdiction, latestOnly: true, on: connection, logger: logger
            ).first
            try Self.checkPrecondition(currentETag: current?.etag, ifMatch: ifMatch, reason: reason, what: "targets")
            let revision = (current?.revision ?? 0) + 1
            let kept = Self.kept(reason, revision: revision)
            let at = try await MeasureRepository.insertTargets(
                period: code, jurisdiction: jurisdiction, revision: revision, targets: targets, reason: kept,
                by: principal, on: connection, logger: logger)
            let order = Dictionary(uniqueKeysWithValues: scheme.indicators.enumerated().map { ($1.code, $0) })
            let record = TargetSet(
                period: code, jurisdiction: jurisdiction, revision: revision,
                targets: targets.sorted { order[$0.indicator, default: 0] < order[$1.indicator, default: 0] },
                reason: kept, recordedBy: principal.subject, recordedAt: at)
            try await AuditRepository.record(
                revision == 1 ? "assessment.targets.entered" : "assessment.targets.revised",
                actor: principal.subject, payload: MeasureEvent(record, previous: current), on: connection,
                logger: logger)
            return (record, revision == 1)
        }
    }

    /// Enters or revises a jurisdiction's readings for a month of the period.
    public func putReadings(
        period code: String, jurisdiction: String, month text: String, _ values: [ReadingSet.Value], reason: String?,
        ifMatch: String?, by principal: Principal
    ) async throws -> (readings: ReadingSet, created: Bool) {
        try principal.authorize(.enterScores)
        let month = try Month(text, at: "/month")
        try month.check(inPeriod: code, at: "/month")
        guard !values.isEmpty else {
            throw ValidationError(.missingField, at: "/values", "must give at least one indicator's reading")
        }
        return try await database.transaction { connection in
            let scheme = try await Self.writableScheme(
                period: code, jurisdiction: jurisdiction, on: connection, logger: logger)
            try Target.validateIndicators(values.map { ($0.indicator, $0.value) }, scheme: scheme, list: "values")
            let current = try await MeasureRepository.readings(
                period: code, jurisdiction: jurisdiction, month: month.description, latestOnly: true, on: connection,
                logger: logger
            ).first
            try Self.checkPrecondition(currentETag: current?.etag, ifMatch: ifMatch, reason: reason, what: "readings")
            let revision = (current?.revision ?? 0) + 1
            let kept = Self.kept(reason, revision: revision)
            let at = try await MeasureRepository.insertReadings(
                period: code, jurisdiction: jurisdiction, month: month.description, revision: revision,
                values: values, reason: kept, by: principal, on: connection, logger: logger)
            let order = Dictionary(uniqueKeysWithValues: scheme.indicators.enumerated().map { ($1.code, $0) })
            let record = ReadingSet(
                period: code, jurisdiction: jurisdiction, month: month.description, revision: revision,
                values: values.sorted { order[$0.indicator, default: 0] < order[$1.indicator, default: 0] },
                reason: kept, recordedBy: principal.subject, recordedAt: at)
            try await AuditRepository.record(
                revision == 1 ? "assessment.readings.entered" : "assessment.readings.revised",
                actor: principal.subject, payload: MeasureEvent(record, previous: current), on: connection,
                logger: logger)
            return (record, revision == 1)
        }
    }

    /// Every revision of a jurisdiction's targets (`history`), or the current one of each jurisdiction.
    public func targets(period: String, jurisdiction: String?, history: Bool = false, by principal: Principal)
        async throws -> [TargetSet]
    {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            _ = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
            return try await MeasureRepository.targets(
                period: period, jurisdiction: jurisdiction, latestOnly: !history, on: connection, logger: logger)
        }
    }

    /// The current readings of a jurisdiction (every month), or every revision of one month's (`history`).
    public func readings(
        period: String, jurisdiction: String, month: String?, history: Bool = false, by principal: Principal
    ) async throws -> [ReadingSet] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            _ = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
            return try await MeasureRepository.readings(
                period: period, jurisdiction: jurisdiction, month: month, latestOnly: !history, on: connection,
                logger: logger)
        }
    }

    /// The early-warning list: per jurisdiction and indicator with a target, its latest reading and status.
    public func monitor(period code: String, by principal: Principal) async throws
        -> (period: PeriodRecord, scheme: SchemeRecord, rows: [MonitorRow])
    {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            let period = try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger)
            let scheme = try await AssessmentRepository.requireScheme(
                period.schemeCode, version: period.schemeVersion, on: connection, logger: logger)
            let targets = try await MeasureRepository.targets(
                period: code, jurisdiction: nil, latestOnly: true, on: connection, logger: logger)
            let readings = try await MeasureRepository.readings(
                period: code, jurisdiction: nil, month: nil, latestOnly: true, on: connection, logger: logger)
            return (
                period, scheme, MonitorRow.monitor(scheme: try scheme.scheme(), targets: targets, readings: readings)
            )
        }
    }

    /// The scheme of an open period that assesses `jurisdiction`: what targets and readings are checked against.
    static func writableScheme(
        period code: String, jurisdiction: String, on connection: PostgresConnection, logger: Logger
    )
        async throws -> IndicatorScheme
    {
        let period = try await AssessmentRepository.requirePeriod(code, on: connection, logger: logger)
        guard period.jurisdictions.contains(jurisdiction) else {
            throw StoreError(.notFound, "\(jurisdiction) is not assessed in period \(code)")
        }
        if case .failure(let error) = period.status.after(.writeScore) { throw StoreError(.conflict, error.detail) }
        return try await AssessmentRepository.requireScheme(
            period.schemeCode, version: period.schemeVersion, on: connection, logger: logger
        ).scheme()
    }

    /// The reason as stored: a first entry's blank reason is none.
    static func kept(_ reason: String?, revision: Int) -> String? {
        revision == 1 ? reason.flatMap { Text.hasVisibleText($0) ? $0 : nil } : reason
    }
}

/// The audit event of a target or reading revision: what it is now and what it was.
struct MeasureEvent<Record: Encodable & Sendable>: Encodable, Sendable {
    let record: Record
    let previous: Record?

    init(_ record: Record, previous: Record?) {
        self.record = record
        self.previous = previous
    }
}
