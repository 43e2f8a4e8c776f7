import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// A published rule version.
public struct RuleRecord: Hashable, Sendable, Codable {
    public let code: String
    public let version: Int
    public let document: RuleDocument
    public let publishedBy: String
    public let publishedAt: Date
}

/// SQL for allocation rules and for the inputs a run snapshots.
enum RuleRepository {
    static func insert(
        _ document: RuleDocument, by principal: Principal, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> RuleRecord {
        var version = 1
        for try await next in try await connection.query(
            "SELECT coalesce(max(version), 0) + 1 FROM allocation_rules WHERE code = \(document.code)", logger: logger
        ).decode(Int.self) { version = next }
        let json = String(decoding: try JSONCoding.encoder.encode(document), as: UTF8.self)
        do {
            try await connection.query(
                """
                INSERT INTO allocation_rules (code, version, title, document, published_by)
                VALUES (\(document.code), \(version), \(document.title), \(json)::jsonb, \(principal.userID))
                """, logger: logger)
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw StoreError(
                .conflict, "another version of \(document.code) was published at the same moment; try again")
        }
        guard let record = try await rules(code: document.code, version: version, on: connection, logger: logger).first
        else { preconditionFailure("rule \(document.code) vanished inside its own transaction") }
        try await AuditRepository.record(
            "allocation.rule.published", actor: principal.subject, payload: record, on: connection, logger: logger)
        return record
    }

    /// Versions of a rule, oldest first (or just `version`).
    static func rules(code: String, version: Int?, on connection: PostgresConnection, logger: Logger) async throws
        -> [RuleRecord]
    {
        // Versions are PostgreSQL integers: a larger number names no version (and must not become a SQL error).
        if let version, !(1...Int(Int32.max)).contains(version) { return [] }
        let rows = try await connection.query(
            """
            SELECT r.version, r.document::text, u.subject, r.published_at
              FROM allocation_rules r JOIN users u ON u.id = r.published_by
             WHERE r.code = \(code) AND (\(version)::integer IS NULL OR r.version = \(version)::integer)
             ORDER BY r.version
            """, logger: logger)
        var records: [RuleRecord] = []
        for try await (number, json, by, at) in rows.decode((Int, String, String, Date).self) {
            let document = try JSONCoding.decoder.decode(RuleDocument.self, from: Data(json.utf8))
            records.append(
                RuleRecord(code: code, version: number, document: document, publishedBy: by, publishedAt: at))
        }
        return records
    }

    /// Every rule at its latest version, by code.
    static func latest(on connection: PostgresConnection, logger: Logger) async throws -> [RuleRecord] {
        let rows = try await connection.query(
            """
            SELECT DISTINCT ON (r.code) r.code, r.version, r.document::text, u.subject, r.published_at
              FROM allocation_rules r JOIN users u ON u.id = r.published_by
             ORDER BY r.code, r.version DESC
            """, logger: logger)
        var records: [RuleRecord] = []
        for try await (code, number, json, by, at) in rows.decode((String, Int, String, String, Date).self) {
            let document = try JSONCoding.decoder.decode(RuleDocument.self, from: Data(json.utf8))
            records.append(
                RuleRecord(code: code, version: number, document: document, publishedBy: by, publishedAt: at))
        }
        return records
    }

    /// The latest version, or the one asked for.
    static func require(code: String, version: Int?, on connection: PostgresConnection, logger: Logger) async throws
        -> RuleRecord
    {
        guard let record = try await rules(code: code, version: version, on: connection, logger: logger).last else {
            throw StoreError(.notFound, "no allocation rule \(code)\(version.map { " version \($0)" } ?? "")")
        }
        return record
    }

    /// Everything the allocation reads: available money, reference data, finalized scores.
    static func snapshot(
        for rule: AllocationRule, poolOverride: Money?, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> RunSnapshot {
        var availableFen: Int64 = 0
        for try await value in try await connection.query(
            "SELECT fund_uncommitted_fen()::bigint", logger: logger
        ).decode(Int64.self) { availableFen = value }
        var references: [String: AllocationInputs.Reference] = [:]
        for jurisdiction in try await JurisdictionRepository.select(code: nil, on: connection, logger: logger) {
            references[jurisdiction.code] = .init(
                population: jurisdiction.population.description,
                ecologicalArea: jurisdiction.ecologicalArea.description,
                envSpendingPerCapita: jurisdiction.envSpendingPerCapita.description)
        }
        var scores: [String: String] = [:]
        var revision: Int?
        if rule.needsScores, let period = rule.assessmentPeriod {
            let record = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
            guard record.status == .finalized else {
                throw StoreError(
                    .conflict,
                    "assessment period \(period) is \(record.status.rawValue); only a finalized period feeds rules")
            }
            revision = record.revision
            for try await (jurisdiction, composite) in try await connection.query(
                """
                SELECT DISTINCT ON (jurisdiction) jurisdiction, composite::text FROM assessment_scores
                 WHERE period_code = \(period) ORDER BY jurisdiction, revision DESC
                """, logger: logger
            ).decode((String, String).self) { scores[jurisdiction] = composite }
        }
        let missed =
            rule.needsScores && rule.missedTargetMultiplier != nil
            ? try await missedTargets(period: rule.assessmentPeriod, on: connection, logger: logger) : nil
        let advances = try await settledAdvances(for: rule, on: connection, logger: logger)
        let inputs = AllocationInputs(
            availableFen: availableFen, poolOverride: poolOverride, jurisdictions: references, scores: scores,
            missedTargets: missed, advances: advances)
        return RunSnapshot(
            inputs: inputs, period: rule.needsScores ? rule.assessmentPeriod : nil, periodRevision: revision)
    }
}
