import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// What an advance or settlement rule reads beyond scores: the binding targets missed, the advances granted.
extension RuleRepository {
    /// An advance is paid only for a year whose settlement has not begun: one paid after it would never be settled.
    ///
    /// - Throws: ``StoreError/Code/conflict`` naming `/rule` when a settlement run of this advance rule and year is
    ///   proposed, approved, posted or paid.
    static func requireUnsettled(_ rule: AllocationRule, on connection: PostgresConnection, logger: Logger) async throws
    {
        guard let year = rule.fiscalYear else { return }
        for try await id in try await connection.query(
            """
            SELECT r.id::text FROM disbursement_runs r
              JOIN allocation_rules ar ON ar.code = r.rule_code AND ar.version = r.rule_version
             WHERE r.kind = 'settlement' AND r.fiscal_year = \(year) AND ar.document->>'settles' = \(rule.code)
               AND r.status IN ('proposed', 'approved', 'posted', 'paid')
             LIMIT 1
            """, logger: logger
        ).decode(String.self) {
            throw StoreError(
                .conflict,
                "\(rule.code) for \(year) is already being settled by run \(id); no more advances for that year",
                pointer: "/rule")
        }
    }

    /// The binding targets each member of a finalized period missed by its final values (none: an empty map).
    static func missedTargets(period: String?, on connection: PostgresConnection, logger: Logger) async throws
        -> [String: [String]]
    {
        guard let period else { return [:] }
        let record = try await AssessmentRepository.requirePeriod(period, on: connection, logger: logger)
        let scheme = try await AssessmentRepository.requireScheme(
            record.schemeCode, version: record.schemeVersion, on: connection, logger: logger)
        let targets = try await MeasureRepository.targets(
            period: period, jurisdiction: nil, latestOnly: true, on: connection, logger: logger)
        let scores = try await AssessmentRepository.scores(
            period: period, jurisdiction: nil, latestOnly: true, scheme: scheme, on: connection, logger: logger)
        let finalValues = Dictionary(
            uniqueKeysWithValues: scores.map { score in
                (score.jurisdiction, Dictionary(uniqueKeysWithValues: score.lines.map { ($0.code, $0.value) }))
            })
        return missedBindingTargets(scheme: try scheme.scheme(), targets: targets, finalValues: finalValues)
    }

    /// A settlement's a_r: per recipient, the grants of the posted runs of the advance rule it settles, for its
    /// fiscal year, and which runs they were. Nil for other kinds.
    ///
    /// - Throws: ``StoreError/Code/conflict`` naming `/settles` while an advance run is proposed or approved: what
    ///   it will grant is not yet known, so nothing can be settled against it.
    static func settledAdvances(for rule: AllocationRule, on connection: PostgresConnection, logger: Logger)
        async throws -> [String: AllocationInputs.Advance]?
    {
        if rule.kind == .advance { try await requireUnsettled(rule, on: connection, logger: logger) }
        guard rule.kind == .settlement, let settled = rule.settles, let year = rule.fiscalYear else { return nil }
        var unposted: [String] = []
        for try await (id, status) in try await connection.query(
            """
            SELECT id::text, status FROM disbursement_runs
             WHERE rule_code = \(settled) AND kind = 'advance' AND fiscal_year = \(year)
               AND status IN ('proposed', 'approved') ORDER BY proposed_at
            """, logger: logger
        ).decode((String, String).self) { unposted.append("\(id) (\(status))") }
        guard unposted.isEmpty else {
            throw StoreError(
                .conflict,
                "advance runs of \(settled) for \(year) are not yet posted: \(unposted.joined(separator: ", ")); "
                    + "post, reject or cancel them before settling", pointer: "/settles")
        }
        var advances: [String: AllocationInputs.Advance] = [:]
        for try await (recipient, fen, runs) in try await connection.query(
            """
            SELECT a.recipient, sum(a.amount_fen)::bigint, array_agg(r.id::text ORDER BY r.proposed_at, r.id)
              FROM disbursement_runs r JOIN disbursement_allocations a ON a.run_id = r.id
             WHERE r.rule_code = \(settled) AND r.kind = 'advance' AND r.fiscal_year = \(year)
               AND r.status IN ('posted', 'paid') AND a.amount_fen > 0
             GROUP BY a.recipient ORDER BY a.recipient
            """, logger: logger
        ).decode((String, Int64, [String]).self) {
            advances[recipient] = .init(amount: Money(fen: fen), runs: runs)
        }
        return advances
    }
}
