import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for disbursement runs, their allocations, transitions and payments.
enum RunRepository {
    static func insert(
        id: UUID, rule: RuleRecord, snapshot: RunSnapshot, allocation: Allocation, valueDate: CalendarDate,
        by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let snapshotJSON = String(decoding: try JSONCoding.encoder.encode(snapshot), as: UTF8.self)
        let allocationJSON = allocation.jsonText
        try await connection.query(
            """
            INSERT INTO disbursement_runs (id, rule_code, rule_version, value_date, pool_fen, allocated_fen, snapshot,
                                           allocation, period_code, period_revision, proposed_by, kind, fiscal_year)
            VALUES (\(id), \(rule.code), \(rule.version), \(valueDate.description)::date, \(allocation.pool.fen),
                    \(allocation.allocated.fen), \(snapshotJSON)::jsonb, \(allocationJSON)::jsonb, \(snapshot.period),
                    \(snapshot.periodRevision), \(principal.userID), \(rule.document.kind ?? "allocation"),
                    \(rule.document.fiscalYear))
            """, logger: logger)
        let recipients = allocation.allocations.map(\.recipient)
        let tranches = allocation.allocations.map(\.tranche)
        let amounts = allocation.allocations.map(\.amount.fen)
        let withheld = allocation.allocations.map(\.withheld)
        let clawbacks = allocation.allocations.map { $0.clawback?.fen ?? 0 }
        let derivations = allocation.allocations.map(\.derivation.jsonText)
        try await connection.query(
            """
            INSERT INTO disbursement_allocations (run_id, recipient, tranche, amount_fen, withheld, derivation,
                                                  clawback_fen)
            SELECT \(id), r, t, a, w, d::jsonb, c
              FROM unnest(\(recipients)::text[], \(tranches)::text[], \(amounts)::bigint[], \(withheld)::boolean[],
                          \(derivations)::text[], \(clawbacks)::bigint[]) AS x (r, t, a, w, d, c)
            """, logger: logger)
        try await insertTransition(id, status: .proposed, reason: nil, by: principal, on: connection, logger: logger)
    }

    static func insertTransition(
        _ id: UUID, status: RunStatus, reason: String?, by principal: Principal,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO disbursement_run_transitions (run_id, seq, status, reason, actor)
            SELECT \(id), coalesce(max(seq), 0) + 1, \(status.rawValue), \(reason), \(principal.userID)
              FROM disbursement_run_transitions WHERE run_id = \(id)
            """, logger: logger)
    }

    static func setStatus(
        _ id: UUID, from old: RunStatus, to new: RunStatus, approvedBy: UUID? = nil,
        postedEntry: Int64? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let rows = try await connection.query(
            """
            UPDATE disbursement_runs
               SET status = \(new.rawValue), updated_at = now(),
                   approved_by = coalesce(\(approvedBy), approved_by),
                   approved_at = CASE WHEN \(approvedBy)::uuid IS NULL THEN approved_at ELSE now() END,
                   posted_entry_id = coalesce(\(postedEntry), posted_entry_id)
             WHERE id = \(id) AND status = \(old.rawValue) RETURNING 1
            """, logger: logger)
        var changed = false
        for try await _ in rows { changed = true }
        guard changed else { throw StoreError(.conflict, "run \(id.text) changed meanwhile; reread it") }
    }

    /// The run's proposer and status, for deciding what an action does.
    static func header(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> (status: RunStatus, proposedBy: UUID)
    {
        for try await (status, proposer) in try await connection.query(
            "SELECT status, proposed_by FROM disbursement_runs WHERE id = \(id)", logger: logger
        ).decode((String, UUID).self) {
            guard let status = RunStatus(rawValue: status) else {
                preconditionFailure("run \(id.text) has status \(status), which the schema does not allow")
            }
            return (status, proposer)
        }
        throw StoreError(.notFound, "no disbursement run \(id.text)")
    }

    static func find(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> DisbursementRun {
        var found: (String, Int, String, String, String, String, String, Int64?, String?, Int?, Int?)?
        for try await row in try await connection.query(
            """
            SELECT r.rule_code, r.rule_version, r.status, r.value_date::text, r.allocation::text, r.snapshot::text,
                   u.subject, r.posted_entry_id, r.period_code, r.period_revision, p.revision
              FROM disbursement_runs r JOIN users u ON u.id = r.proposed_by
              LEFT JOIN assessment_periods p ON p.code = r.period_code
             WHERE r.id = \(id)
            """, logger: logger
        ).decode((String, Int, String, String, String, String, String, Int64?, String?, Int?, Int?).self) {
            found = row
        }
        guard let row = found else { throw StoreError(.notFound, "no disbursement run \(id.text)") }
        guard let status = RunStatus(rawValue: row.2) else {
            preconditionFailure("run \(id.text) has status \(row.2), which the schema does not allow")
        }
        var transitions: [DisbursementRun.Transition] = []
        for try await (state, actor, at, reason) in try await connection.query(
            """
            SELECT t.status, u.subject, t.at, t.reason FROM disbursement_run_transitions t JOIN users u ON u.id = t.actor
             WHERE t.run_id = \(id) ORDER BY t.seq
            """, logger: logger
        ).decode((String, String, Date, String?).self) {
            guard let status = RunStatus(rawValue: state) else {
                preconditionFailure("run \(id.text) has a transition to \(state), which the schema does not allow")
            }
            transitions.append(.init(status: status, actor: actor, at: at, reason: reason))
        }
        var payments: [DisbursementRun.Payment] = []
        for try await (recipient, amount, reference, entry, by, at, offset) in try await connection.query(
            """
            SELECT p.recipient, p.amount_fen, p.bank_reference, p.entry_id, u.subject, p.confirmed_at, p.offset_fen
              FROM disbursement_payments p JOIN users u ON u.id = p.confirmed_by
             WHERE p.run_id = \(id) ORDER BY p.recipient
            """, logger: logger
        ).decode((String, Int64, String, Int64, String, Date, Int64).self) {
            payments.append(
                .init(
                    recipient: recipient, amount: Money(fen: amount), bankReference: reference, entryID: entry,
                    confirmedBy: by, confirmedAt: at, offset: offset > 0 ? Money(fen: offset) : nil))
        }
        return DisbursementRun(
            id: id, rule: row.0, ruleVersion: row.1, status: status,
            valueDate: try CalendarDate(parsing: row.3, at: ""),
            allocation: try JSONCoding.decoder.decode(Allocation.self, from: Data(row.4.utf8)),
            snapshot: try JSONCoding.decoder.decode(RunSnapshot.self, from: Data(row.5.utf8)),
            inputsRevised: row.9 != nil && row.9 != row.10, proposedBy: row.6, postedEntryID: row.7,
            transitions: transitions, payments: payments)
    }

    static func insertPayment(
        run: UUID, recipient: String, amount: Money, offset: Money?, bankReference: String, entryID: Int64,
        by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO disbursement_payments (run_id, recipient, amount_fen, offset_fen, bank_reference, entry_id,
                                               confirmed_by)
            VALUES (\(run), \(recipient), \(amount.fen), \(offset?.fen ?? 0), \(bankReference), \(entryID),
                    \(principal.userID))
            """, logger: logger)
    }

    /// Runs, newest first, of one status when asked, without their allocations' working.
    /// - Parameter period: only the runs that read this assessment period's scores at its current revision.
    static func summaries(
        status: RunStatus?, period: String? = nil, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [RunSummary] {
        var summaries: [RunSummary] = []
        let rows = try await connection.query(
            """
            SELECT r.id, r.rule_code, r.rule_version, r.status, r.value_date::text, r.pool_fen, r.allocated_fen,
                   (r.snapshot -> 'inputs' ->> 'availableFen')::bigint, r.period_code, r.period_revision, p.revision,
                   (SELECT count(*) FROM disbursement_allocations a WHERE a.run_id = r.id)::bigint,
                   (SELECT coalesce(sum(x.amount_fen), 0) FROM disbursement_payments x WHERE x.run_id = r.id)::bigint,
                   u.subject, r.proposed_at, r.posted_entry_id
              FROM disbursement_runs r JOIN users u ON u.id = r.proposed_by
              LEFT JOIN assessment_periods p ON p.code = r.period_code
             WHERE (\(status?.rawValue)::text IS NULL OR r.status = \(status?.rawValue)::text)
               AND (\(period)::text IS NULL OR (r.period_code = \(period) AND r.period_revision = p.revision))
             ORDER BY r.proposed_at DESC, r.id LIMIT \(limit)
            """, logger: logger)
        for try await row in rows.decode(
            (
                UUID, String, Int, String, String, Int64, Int64, Int64, String?, Int?, Int?, Int64, Int64, String, Date,
                Int64?
            ).self)
        {
            guard let status = RunStatus(rawValue: row.3) else {
                preconditionFailure("run \(row.0.text) has status \(row.3), which the schema does not allow")
            }
            summaries.append(
                RunSummary(
                    id: row.0, rule: row.1, ruleVersion: row.2, status: status,
                    valueDate: try CalendarDate(parsing: row.4, at: ""), pool: Money(fen: row.5),
                    allocated: Money(fen: row.6), available: Money(fen: row.7), period: row.8, periodRevision: row.9,
                    inputsRevised: row.9 != nil && row.9 != row.10, recipients: Int(row.11), paid: Money(fen: row.12),
                    proposedBy: row.13, proposedAt: row.14, postedEntryID: row.15))
        }
        return summaries
    }

    /// What the fund can still commit, in fen, under the fund lock when called inside a locked transaction.
    static func uncommittedFen(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await value in try await connection.query("SELECT fund_uncommitted_fen()::bigint", logger: logger)
            .decode(Int64.self)
        { return value }
        return 0
    }

    /// Serializes approvals, postings and payments (the triggers take the same lock).
    static func lockFund(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock(hashtext('ecofund.fund'))", logger: logger)
    }
}
