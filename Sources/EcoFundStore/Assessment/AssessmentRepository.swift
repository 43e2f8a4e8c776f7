import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for schemes, periods and scores.
enum AssessmentRepository {
    static func insertScheme(
        _ scheme: IndicatorScheme, texts: [IndicatorTexts], by principal: Principal, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> SchemeRecord {
        var version = 1
        for try await latest in try await connection.query(
            "SELECT coalesce(max(version), 0) + 1 FROM assessment_schemes WHERE code = \(scheme.code)", logger: logger
        ).decode(Int.self) { version = latest }
        let numbered = try IndicatorScheme(
            code: scheme.code, version: version, name: scheme.name, indicators: scheme.indicators)
        do {
            try await connection.query(
                """
                INSERT INTO assessment_schemes (code, version, name, created_by)
                VALUES (\(numbered.code), \(version), \(numbered.name), \(principal.userID))
                """, logger: logger)
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw StoreError(.conflict, "another version of \(scheme.code) was published at the same moment; try again")
        }
        for (index, (indicator, text)) in zip(numbered.indicators, texts).enumerated() {
            try await connection.query(
                """
                INSERT INTO assessment_indicators
                    (scheme_code, scheme_version, position, code, name, name_zh, weight, direction, floor, ceiling, unit)
                VALUES (\(numbered.code), \(version), \(Int16(index + 1)), \(indicator.code), \(indicator.name),
                        \(indicator.nameZh), \(text.weight)::numeric, \(indicator.direction.rawValue),
                        \(text.floor)::numeric, \(text.ceiling)::numeric, \(indicator.unit))
                """, logger: logger)
        }
        guard
            let record = try await schemes(code: numbered.code, version: version, on: connection, logger: logger).first
        else { preconditionFailure("scheme \(numbered.code) vanished inside its own transaction") }
        try await AuditRepository.record(
            "assessment.scheme.published", actor: principal.subject, payload: record, on: connection, logger: logger)
        return record
    }

    static func schemes(code: String, version: Int?, on connection: PostgresConnection, logger: Logger) async throws
        -> [SchemeRecord]
    {
        // Versions are PostgreSQL integers: a larger number names no version (and must not become a SQL error).
        if let version, !(1...Int(Int32.max)).contains(version) { return [] }
        let rows = try await connection.query(
            """
            SELECT s.version, s.name, u.subject, s.created_at, i.code, i.name, i.name_zh, i.weight::text, i.direction,
                   i.floor::text, i.ceiling::text, i.unit
              FROM assessment_schemes s
              JOIN users u ON u.id = s.created_by
              JOIN assessment_indicators i ON i.scheme_code = s.code AND i.scheme_version = s.version
             WHERE s.code = \(code) AND (\(version)::integer IS NULL OR s.version = \(version)::integer)
             ORDER BY s.version, i.position
            """, logger: logger)
        var grouped: [(version: Int, name: String, by: String, at: Date, indicators: [SchemeRecord.Indicator])] = []
        for try await row in rows.decode(
            (Int, String, String, Date, String, String, String, String, String, String, String, String).self)
        {
            guard let direction = IndicatorScheme.Direction(rawValue: row.8) else {
                preconditionFailure("indicator \(row.4) has direction \(row.8), which the schema does not allow")
            }
            let indicator = SchemeRecord.Indicator(
                code: row.4, name: row.5, nameZh: row.6, weight: row.7, direction: direction, floor: row.9,
                ceiling: row.10, unit: row.11)
            if grouped.last?.version == row.0 {
                grouped[grouped.count - 1].indicators.append(indicator)
            } else {
                grouped.append((row.0, row.1, row.2, row.3, [indicator]))
            }
        }
        return try grouped.map { group in
            let record = SchemeRecord(
                code: code, version: group.version, name: group.name, indicators: group.indicators,
                createdBy: group.by, createdAt: group.at)
            _ = try record.scheme()
            return record
        }
    }

    static func requireScheme(_ code: String, version: Int, on connection: PostgresConnection, logger: Logger)
        async throws -> SchemeRecord
    {
        guard let scheme = try await schemes(code: code, version: version, on: connection, logger: logger).first else {
            throw StoreError(.notFound, "no assessment scheme \(code) version \(version)")
        }
        return scheme
    }

    static func insertPeriod(
        _ request: PeriodRequest, by principal: Principal, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let versions = try await schemes(
            code: request.schemeCode, version: request.schemeVersion, on: connection, logger: logger)
        guard let scheme = versions.last else {
            throw ValidationError(
                .unknownReference, at: "/scheme",
                "no assessment scheme \(request.schemeCode)\(request.schemeVersion.map { " version \($0)" } ?? "")")
        }
        let known = try await JurisdictionRepository.select(code: nil, on: connection, logger: logger).map(\.code)
        for (index, jurisdiction) in request.jurisdictions.enumerated() where !known.contains(jurisdiction) {
            throw ValidationError(.unknownReference, at: "/jurisdictions/\(index)", "no jurisdiction \(jurisdiction)")
        }
        let inserted = try await connection.query(
            """
            INSERT INTO assessment_periods (code, scheme_code, scheme_version, created_by)
            VALUES (\(request.code), \(scheme.code), \(scheme.version), \(principal.userID))
            ON CONFLICT (code) DO NOTHING RETURNING 1
            """, logger: logger)
        var created = false
        for try await _ in inserted { created = true }
        guard created else { throw StoreError(.conflict, "assessment period \(request.code) already exists") }
        try await connection.query(
            """
            INSERT INTO assessment_period_members (period_code, jurisdiction)
            SELECT \(request.code), unnest(\(request.jurisdictions)::text[])
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO assessment_period_transitions (period_code, revision, action, actor)
            VALUES (\(request.code), 1, 'opened', \(principal.userID))
            """, logger: logger)
        try await AuditRepository.record(
            "assessment.period.opened", actor: principal.subject, payload: request, on: connection, logger: logger)
    }

    static func requirePeriod(_ code: String, on connection: PostgresConnection, logger: Logger) async throws
        -> PeriodRecord
    {
        var found: (String, Int, String, Int)?
        for try await row in try await connection.query(
            "SELECT scheme_code, scheme_version, status, revision FROM assessment_periods WHERE code = \(code)",
            logger: logger
        ).decode((String, Int, String, Int).self) { found = row }
        guard let (schemeCode, schemeVersion, statusText, revision) = found else {
            throw StoreError(.notFound, "no assessment period \(code)")
        }
        guard let status = PeriodStatus(rawValue: statusText) else {
            preconditionFailure("period \(code) has status \(statusText), which the schema does not allow")
        }
        var members: [String] = []
        for try await member in try await connection.query(
            "SELECT jurisdiction FROM assessment_period_members WHERE period_code = \(code) ORDER BY jurisdiction",
            logger: logger
        ).decode(String.self) { members.append(member) }
        var transitions: [PeriodRecord.Transition] = []
        for try await (number, action, reason, actor, at) in try await connection.query(
            """
            SELECT t.revision, t.action, t.reason, u.subject, t.at FROM assessment_period_transitions t
              JOIN users u ON u.id = t.actor WHERE t.period_code = \(code) ORDER BY t.revision
            """, logger: logger
        ).decode((Int, String, String?, String, Date).self) {
            transitions.append(.init(revision: number, action: action, reason: reason, actor: actor, at: at))
        }
        return PeriodRecord(
            code: code, schemeCode: schemeCode, schemeVersion: schemeVersion, status: status, revision: revision,
            jurisdictions: members, transitions: transitions)
    }

    static func latestScore(
        period: String, jurisdiction: String, scheme: SchemeRecord, on connection: PostgresConnection, logger: Logger
    ) async throws -> ScoreRecord? {
        try await scores(
            period: period, jurisdiction: jurisdiction, latestOnly: true, scheme: scheme, on: connection, logger: logger
        ).first
    }

    /// Score revisions of a period (of one jurisdiction, or all), oldest first; `latestOnly` keeps the current one.
    static func scores(
        period: String, jurisdiction: String?, latestOnly: Bool, scheme: SchemeRecord,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [ScoreRecord] {
        let rows = try await connection.query(
            """
            SELECT s.jurisdiction, s.revision, s."values"::text, s.composite::text, s.reason, u.subject, s.recorded_at
              FROM assessment_scores s JOIN users u ON u.id = s.recorded_by
             WHERE s.period_code = \(period) AND (\(jurisdiction)::text IS NULL OR s.jurisdiction = \(jurisdiction)::text)
               AND (NOT \(latestOnly) OR s.revision = (SELECT max(l.revision) FROM assessment_scores l
                                                      WHERE l.period_code = s.period_code AND l.jurisdiction = s.jurisdiction))
             ORDER BY s.jurisdiction, s.revision
            """, logger: logger)
        let indicatorScheme = try scheme.scheme()
        var records: [ScoreRecord] = []
        for try await (code, revision, valuesJSON, composite, reason, by, at) in rows.decode(
            (String, Int, String, String, String?, String, Date).self)
        {
            let values = try JSONCoding.decoder.decode([String: String].self, from: Data(valuesJSON.utf8))
            let ordered = indicatorScheme.indicators.map { (code: $0.code, value: values[$0.code] ?? "") }
            let card = try ScoreCard(scheme: indicatorScheme, values: ordered)
            let record = ScoreRecord(
                period: period, jurisdiction: code, revision: revision, scheme: scheme, card: card, values: values,
                reason: reason, recordedBy: by, recordedAt: at)
            // The stored composite is what was shown when the score was written; the scheme has not changed since
            // (schemes are immutable), so recomputing must give the same figure.
            guard record.composite == composite else {
                throw StoreError(
                    .conflict, "stored composite \(composite) of \(period)/\(code) r\(revision) differs from its values"
                )
            }
            records.append(record)
        }
        return records
    }

    static func insertScore(
        period: String, jurisdiction: String, revision: Int, input: AssessmentService.ScoreInput, card: ScoreCard,
        scheme: SchemeRecord, by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws -> ScoreRecord {
        let values = Dictionary(input.values.map { ($0.code, $0.value) }, uniquingKeysWith: { first, _ in first })
        let json = String(decoding: try JSONCoding.encoder.encode(values), as: UTF8.self)
        let composite = card.composite.decimalString(scale: 2)
        let reason = AssessmentService.kept(input.reason, revision: revision)
        var recordedAt = Date()
        do {
            for try await at in try await connection.query(
                """
                INSERT INTO assessment_scores (period_code, jurisdiction, revision, "values", composite, reason, recorded_by)
                VALUES (\(period), \(jurisdiction), \(revision), \(json)::jsonb, \(composite)::numeric, \(reason), \(principal.userID))
                RETURNING recorded_at
                """, logger: logger
            ).decode(Date.self) { recordedAt = at }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw StoreError(
                .preconditionFailed,
                "the score of \(jurisdiction) in \(period) was revised by someone else meanwhile; reread it")
        } catch let error as PSQLError where error.sqlState == "55000" {
            throw StoreError(.conflict, "period \(period) is no longer open")
        }
        return ScoreRecord(
            period: period, jurisdiction: jurisdiction, revision: revision, scheme: scheme, card: card, values: values,
            reason: reason, recordedBy: principal.subject, recordedAt: recordedAt)
    }

    static func transition(
        _ code: String, action: PeriodStatus.Action, reason: String?, by principal: Principal,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let period = try await requirePeriod(code, on: connection, logger: logger)
        let next: PeriodStatus
        switch period.status.after(action) {
        case .success(let status): next = status
        case .failure(let error): throw StoreError(.conflict, error.detail)
        }
        let revision = period.revision + 1
        do {
            let updated = try await connection.query(
                """
                UPDATE assessment_periods SET status = \(next.rawValue), revision = \(revision), updated_at = now()
                 WHERE code = \(code) AND revision = \(period.revision) RETURNING 1
                """, logger: logger)
            var changed = false
            for try await _ in updated { changed = true }
            guard changed else { throw StoreError(.conflict, "period \(code) changed meanwhile; reread it") }
        } catch let error as PSQLError where error.sqlState == "55000" {
            throw StoreError(.conflict, "period \(code) cannot be finalized while a jurisdiction has no score")
        }
        let actionName = next == .finalized ? "finalized" : "reopened"
        try await connection.query(
            """
            INSERT INTO assessment_period_transitions (period_code, revision, action, reason, actor)
            VALUES (\(code), \(revision), \(actionName), \(reason), \(principal.userID))
            """, logger: logger)
        try await AuditRepository.record(
            "assessment.period.\(actionName)", actor: principal.subject,
            payload: PeriodTransitionEvent(period: code, revision: revision, reason: reason), on: connection,
            logger: logger)
    }
}

struct PeriodTransitionEvent: Encodable, Sendable {
    let period: String
    let revision: Int
    let reason: String?
}
