import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for targets and monthly readings: append-only revisions, like scores.
enum MeasureRepository {
    /// Target revisions of a period (of one jurisdiction, or all), oldest first; `latestOnly` keeps the current one.
    /// Targets are in the order of the period's scheme's indicators.
    static func targets(
        period: String, jurisdiction: String?, latestOnly: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> [TargetSet] {
        let rows = try await connection.query(
            """
            SELECT t.jurisdiction, t.revision, t.targets::text, t.reason, u.subject, t.recorded_at,
                   (SELECT array_agg(i.code ORDER BY i.position) FROM assessment_periods p JOIN assessment_indicators i
                       ON i.scheme_code = p.scheme_code AND i.scheme_version = p.scheme_version WHERE p.code = t.period_code)
              FROM assessment_targets t JOIN users u ON u.id = t.recorded_by
             WHERE t.period_code = \(period) AND (\(jurisdiction)::text IS NULL OR t.jurisdiction = \(jurisdiction)::text)
               AND (NOT \(latestOnly) OR t.revision = (SELECT max(l.revision) FROM assessment_targets l
                                                      WHERE l.period_code = t.period_code AND l.jurisdiction = t.jurisdiction))
             ORDER BY t.jurisdiction, t.revision
            """, logger: logger)
        var sets: [TargetSet] = []
        for try await (code, revision, json, reason, by, at, order) in rows.decode(
            (String, Int, String, String?, String, Date, [String]).self)
        {
            let stored = try JSONCoding.decoder.decode([String: StoredTarget].self, from: Data(json.utf8))
            let targets = order.compactMap { indicator -> Target? in
                stored[indicator].map { Target(indicator: indicator, value: $0.value, binding: $0.binding) }
            }
            sets.append(
                TargetSet(
                    period: period, jurisdiction: code, revision: revision, targets: targets, reason: reason,
                    recordedBy: by, recordedAt: at))
        }
        return sets
    }

    static func insertTargets(
        period: String, jurisdiction: String, revision: Int, targets: [Target], reason: String?,
        by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws -> Date {
        let map = Dictionary(
            targets.map { ($0.indicator, StoredTarget(value: $0.value, binding: $0.binding)) },
            uniquingKeysWith: { first, _ in first })
        let json = String(decoding: try JSONCoding.encoder.encode(map), as: UTF8.self)
        return try await insert(
            """
            INSERT INTO assessment_targets (period_code, jurisdiction, revision, targets, reason, recorded_by)
            VALUES (\(period), \(jurisdiction), \(revision), \(json)::jsonb, \(reason), \(principal.userID))
            RETURNING recorded_at
            """, what: "the targets of \(jurisdiction) in \(period)", period: period, on: connection, logger: logger)
    }

    /// Reading revisions of a period and jurisdiction (of one month, or all), by month then revision.
    static func readings(
        period: String, jurisdiction: String?, month: String?, latestOnly: Bool, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [ReadingSet] {
        let rows = try await connection.query(
            """
            SELECT r.jurisdiction, r.month, r.revision, r."values"::text, r.reason, u.subject, r.recorded_at,
                   (SELECT array_agg(i.code ORDER BY i.position) FROM assessment_periods p JOIN assessment_indicators i
                       ON i.scheme_code = p.scheme_code AND i.scheme_version = p.scheme_version WHERE p.code = r.period_code)
              FROM assessment_readings r JOIN users u ON u.id = r.recorded_by
             WHERE r.period_code = \(period) AND (\(jurisdiction)::text IS NULL OR r.jurisdiction = \(jurisdiction)::text)
               AND (\(month)::text IS NULL OR r.month = \(month)::text)
               AND (NOT \(latestOnly) OR r.revision = (SELECT max(l.revision) FROM assessment_readings l
                     WHERE l.period_code = r.period_code AND l.jurisdiction = r.jurisdiction AND l.month = r.month))
             ORDER BY r.jurisdiction, r.month, r.revision
            """, logger: logger)
        var sets: [ReadingSet] = []
        for try await (code, month, revision, json, reason, by, at, order) in rows.decode(
            (String, String, Int, String, String?, String, Date, [String]).self)
        {
            let stored = try JSONCoding.decoder.decode([String: String].self, from: Data(json.utf8))
            let values = order.compactMap { indicator -> ReadingSet.Value? in
                stored[indicator].map { ReadingSet.Value(indicator: indicator, value: $0) }
            }
            sets.append(
                ReadingSet(
                    period: period, jurisdiction: code, month: month, revision: revision, values: values,
                    reason: reason, recordedBy: by, recordedAt: at))
        }
        return sets
    }

    static func insertReadings(
        period: String, jurisdiction: String, month: String, revision: Int, values: [ReadingSet.Value],
        reason: String?, by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws -> Date {
        let map = Dictionary(values.map { ($0.indicator, $0.value) }, uniquingKeysWith: { first, _ in first })
        let json = String(decoding: try JSONCoding.encoder.encode(map), as: UTF8.self)
        return try await insert(
            """
            INSERT INTO assessment_readings (period_code, jurisdiction, month, revision, "values", reason, recorded_by)
            VALUES (\(period), \(jurisdiction), \(month), \(revision), \(json)::jsonb, \(reason), \(principal.userID))
            RETURNING recorded_at
            """, what: "the readings of \(jurisdiction) for \(month)", period: period, on: connection, logger: logger)
    }

    /// Runs an insert of a revision; two writers of the same revision meet on the primary key (412), a period
    /// finalized meanwhile refuses it (409).
    private static func insert(
        _ query: PostgresQuery, what: String, period: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> Date {
        var recordedAt = Date()
        do {
            for try await at in try await connection.query(query, logger: logger).decode(Date.self) { recordedAt = at }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw StoreError(.preconditionFailed, "\(what) were revised by someone else meanwhile; reread them")
        } catch let error as PSQLError where error.sqlState == "55000" {
            throw StoreError(.conflict, "period \(period) is no longer open")
        }
        return recordedAt
    }
}

/// A target as stored: indicator → `{"value": "35", "binding": true}`.
struct StoredTarget: Codable, Sendable {
    let value: String
    let binding: Bool
}
