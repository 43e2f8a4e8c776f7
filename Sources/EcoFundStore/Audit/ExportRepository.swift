import EcoFundCore
import Foundation

/// SQL of the audit export: one query per file, all read in one REPEATABLE READ snapshot. Amounts leave as two-decimal
/// yuan (`fen_text`), instants as ``UTCTime`` text (`utc_text`), people by their subject. The range reaches the
/// queries as settings of the snapshot's transaction, since COPY takes no bind parameters.
enum ExportRepository {
    /// Sets the range for the transaction: `$1` from, `$2` to.
    static let setRange =
        "SELECT set_config('ecofund.export_from', $1, true), set_config('ecofund.export_to', $2, true)"
    static let fromSQL = "current_setting('ecofund.export_from')::date"
    static let toSQL = "current_setting('ecofund.export_to')::date"
    static let inRange = "BETWEEN \(fromSQL) AND \(toSQL)"

    static let latestCheckpoint = """
        SELECT c.tree_size::text AS size, c.root_hash, c.issued_at, c.key_id, c.signature
          FROM audit_checkpoints c ORDER BY c.tree_size DESC LIMIT 1
        """
    /// Whether some journal entry falls outside the range (then stored balances cannot be checked from the lines).
    static let entriesOutsideRange = "SELECT EXISTS (SELECT 1 FROM journal_entries WHERE value_date NOT \(inRange))"

    /// Every event up to the checkpoint, in log order, as `[id, type, actor, at, payload]` in COPY's text format.
    static func events(upTo treeSize: Int64) -> String {
        """
        COPY (SELECT json_build_array(e.id, e.type, e.actor, utc_text(e.at), e.payload)
                FROM audit_log l JOIN audit_events e ON e.id = l.event_id
               WHERE l.leaf_index < \(treeSize) ORDER BY l.leaf_index) TO STDOUT
        """
    }

    /// `COPY (query) TO STDOUT` as CSV with a header row.
    static func copy(_ table: ExportTable) -> String {
        "COPY (\(query(table))) TO STDOUT WITH (FORMAT csv, HEADER true)"
    }

    static func query(_ table: ExportTable) -> String {
        switch table {
        case .jurisdictions:
            """
            SELECT code, csv_text(name) AS name, csv_text(name_zh) AS name_zh, level, parent, population,
                   ecological_area, env_spending_per_capita
              FROM jurisdictions ORDER BY code
            """
        case .journalEntries:
            """
            SELECT id AS entry_id, kind, value_date, csv_text(memo) AS memo, reverses, recorded_by,
                   utc_text(recorded_at) AS recorded_at
              FROM journal_entries WHERE value_date \(inRange) ORDER BY id
            """
        case .journalLines:
            """
            SELECT l.entry_id, l.line_no, l.account_code AS account, l.side, fen_text(l.amount_fen) AS amount
              FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
             WHERE e.value_date \(inRange) ORDER BY l.entry_id, l.line_no
            """
        case .accounts: accounts
        case .trialBalance: trialBalance
        case .contributions: contributions
        case .commitments:
            """
            SELECT m.id, m.contributor, csv_text(j.name_zh) AS contributor_name, m.fiscal_year,
                   fen_text(m.amount_fen) AS amount,
                   fen_text(commitment_fulfilled_fen(m.contributor, m.fiscal_year)) AS fulfilled,
                   csv_text(m.memo) AS memo, u.subject AS recorded_by, utc_text(m.recorded_at) AS recorded_at
              FROM commitments m JOIN users u ON u.id = m.recorded_by JOIN jurisdictions j ON j.code = m.contributor
             WHERE m.fiscal_year BETWEEN extract(year FROM \(fromSQL)) AND extract(year FROM \(toSQL))
             ORDER BY m.fiscal_year, m.contributor
            """
        case .runs: runs
        case .runTransitions:
            """
            SELECT t.run_id, t.seq, t.status, csv_text(t.reason) AS reason, u.subject AS actor, utc_text(t.at) AS at
              FROM disbursement_run_transitions t JOIN users u ON u.id = t.actor
              JOIN disbursement_runs r ON r.id = t.run_id
             WHERE r.value_date \(inRange) ORDER BY r.proposed_at, t.run_id, t.seq
            """
        case .allocations:
            """
            SELECT a.run_id, a.recipient, csv_text(j.name_zh) AS recipient_name, csv_text(a.tranche) AS tranche,
                   fen_text(a.amount_fen) AS amount, fen_text(a.clawback_fen) AS clawback, a.withheld, a.derivation
              FROM disbursement_allocations a JOIN disbursement_runs r ON r.id = a.run_id
              JOIN jurisdictions j ON j.code = a.recipient
             WHERE r.value_date \(inRange) ORDER BY r.proposed_at, a.run_id, a.recipient
            """
        case .payments: payments
        case .scores:
            """
            SELECT s.period_code AS period, p.scheme_code AS scheme, p.scheme_version, s.jurisdiction, s.revision,
                   s."values", s.composite, csv_text(s.reason) AS reason, u.subject AS recorded_by, utc_text(s.recorded_at) AS recorded_at
              FROM assessment_scores s JOIN assessment_periods p ON p.code = s.period_code
              JOIN users u ON u.id = s.recorded_by
             ORDER BY s.period_code, s.jurisdiction, s.revision
            """
        case .clawbacks: clawbacks
        case .recoveries: recoveries
        case .targets: targets
        case .readings: readings
        }
    }

    /// Each contribution with its contributor's Chinese name and its reversal, if any.
    static let contributions = """
        SELECT c.id, c.contributor, csv_text(j.name_zh) AS contributor_name, fen_text(c.amount_fen) AS amount,
               c.value_date, csv_text(c.reference) AS reference, csv_text(c.memo) AS memo, c.entry_id,
               u.subject AS recorded_by, utc_text(c.recorded_at) AS recorded_at,
               r.entry_id AS reversal_entry_id, csv_text(r.reason) AS reversal_reason, ru.subject AS reversed_by,
               utc_text(r.reversed_at) AS reversed_at
        \(ContributionRepository.withPeopleAndReversal)
          JOIN jurisdictions j ON j.code = c.contributor
         WHERE c.value_date \(inRange) ORDER BY c.entry_id
        """

    /// Each clawback of a settlement, with its recipient's Chinese name.
    static let clawbacks = """
        SELECT c.run_id, c.recipient, csv_text(j.name_zh) AS recipient_name, fen_text(c.amount_fen) AS amount,
               c.entry_id
          FROM clawbacks c JOIN disbursement_runs r ON r.id = c.run_id JOIN jurisdictions j ON j.code = c.recipient
         WHERE r.value_date \(inRange) ORDER BY c.entry_id
        """

    /// Each recovery with its recipient's Chinese name.
    static let recoveries = """
        SELECT v.id, v.recipient, csv_text(j.name_zh) AS recipient_name, fen_text(v.amount_fen) AS amount,
               v.value_date, csv_text(v.bank_reference) AS bank_reference, v.entry_id, u.subject AS recorded_by,
               utc_text(v.recorded_at) AS recorded_at
          FROM recoveries v JOIN users u ON u.id = v.recorded_by JOIN jurisdictions j ON j.code = v.recipient
         WHERE v.value_date \(inRange) ORDER BY v.entry_id
        """

    /// Every revision of every jurisdiction's targets.
    static let targets = """
        SELECT t.period_code AS period, t.jurisdiction, t.revision, t.targets, csv_text(t.reason) AS reason,
               u.subject AS recorded_by, utc_text(t.recorded_at) AS recorded_at
          FROM assessment_targets t JOIN users u ON u.id = t.recorded_by
         ORDER BY t.period_code, t.jurisdiction, t.revision
        """

    /// Every revision of every month's readings.
    static let readings = """
        SELECT r.period_code AS period, r.jurisdiction, r.month, r.revision, r."values", csv_text(r.reason) AS reason,
               u.subject AS recorded_by, utc_text(r.recorded_at) AS recorded_at
          FROM assessment_readings r JOIN users u ON u.id = r.recorded_by
         ORDER BY r.period_code, r.jurisdiction, r.month, r.revision
        """

    /// Each payment with its recipient's Chinese name.
    static let payments = """
        SELECT p.run_id, p.recipient, csv_text(j.name_zh) AS recipient_name, fen_text(p.amount_fen) AS amount,
               fen_text(p.offset_fen) AS offset, csv_text(p.bank_reference) AS bank_reference, p.entry_id,
               u.subject AS confirmed_by, utc_text(p.confirmed_at) AS confirmed_at
          FROM disbursement_payments p JOIN users u ON u.id = p.confirmed_by
          JOIN jurisdictions j ON j.code = p.recipient
          JOIN disbursement_runs r ON r.id = p.run_id
         WHERE r.value_date \(inRange) ORDER BY p.entry_id
        """

    /// Each account's balance before the range, its movements in it, and after it, with the stored balance.
    static let accounts = """
        SELECT a.code AS account, a.type, a.jurisdiction,
               fen_text(coalesce(sum(m.signed) FILTER (WHERE m.value_date < \(fromSQL)), 0)::bigint) AS opening,
               fen_text(coalesce(sum(m.amount) FILTER (WHERE m.side = 'debit' AND m.value_date \(inRange)), 0)::bigint)
                   AS debits,
               fen_text(coalesce(sum(m.amount) FILTER (WHERE m.side = 'credit' AND m.value_date \(inRange)), 0)::bigint)
                   AS credits,
               fen_text(coalesce(sum(m.signed) FILTER (WHERE m.value_date <= \(toSQL)), 0)::bigint) AS closing,
               fen_text(b.balance_fen) AS stored_balance
          FROM accounts a JOIN account_balances b ON b.account_code = a.code
          LEFT JOIN (SELECT l.account_code, l.side, l.amount_fen AS amount, e.value_date,
                            CASE WHEN account_normal_debit(t.type) = (l.side = 'debit')
                                 THEN l.amount_fen ELSE -l.amount_fen END AS signed
                       FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
                       JOIN accounts t ON t.code = l.account_code) m ON m.account_code = a.code
         GROUP BY a.code, a.type, a.jurisdiction, b.balance_fen ORDER BY a.code
        """

    /// Every account's balance at the end of the range, in the debit or the credit column.
    static let trialBalance = """
        SELECT account, type,
               CASE WHEN account_normal_debit(type) = (closing >= 0) THEN fen_text(abs(closing)) ELSE '0.00' END AS debit,
               CASE WHEN account_normal_debit(type) = (closing >= 0) THEN '0.00' ELSE fen_text(abs(closing)) END AS credit
          FROM (SELECT a.code AS account, a.type,
                       coalesce(sum(CASE WHEN account_normal_debit(a.type) = (l.side = 'debit')
                                         THEN l.amount_fen ELSE -l.amount_fen END), 0)::bigint AS closing
                  FROM accounts a
                  LEFT JOIN (journal_lines l JOIN journal_entries e ON e.id = l.entry_id AND e.value_date <= \(toSQL))
                         ON l.account_code = a.code
                 GROUP BY a.code, a.type) balances
         ORDER BY account
        """

    /// Runs with their rule document, snapshot and allocation, so that the verifier can recompute each.
    static let runs = """
        SELECT r.id, r.rule_code AS rule, r.rule_version, r.status, r.value_date, fen_text(r.pool_fen) AS pool,
               fen_text(r.allocated_fen) AS allocated, r.period_code AS period, r.period_revision,
               pu.subject AS proposed_by, utc_text(r.proposed_at) AS proposed_at, au.subject AS approved_by,
               utc_text(r.approved_at) AS approved_at, r.posted_entry_id, ar.document AS rule_document,
               r.snapshot, r.allocation
          FROM disbursement_runs r JOIN users pu ON pu.id = r.proposed_by
          LEFT JOIN users au ON au.id = r.approved_by
          JOIN allocation_rules ar ON ar.code = r.rule_code AND ar.version = r.rule_version
         WHERE r.value_date \(inRange) ORDER BY r.proposed_at, r.id
        """
}

/// The benchmark's baseline for the export: a psql script that `\copy`s the very queries of every CSV file.
public enum ExportBaseline {
    /// - Parameter files: each table and the file name it is copied to, in order.
    public static func psqlScript(directory: String, files: [(table: ExportTable, name: String)]) -> String {
        var lines = [
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
            "SELECT set_config('ecofund.export_from', '\(DateRange.everyDate.from)', true), "
                + "set_config('ecofund.export_to', '\(DateRange.everyDate.to)', true);",
        ]
        for (table, name) in files {
            let query = ExportRepository.query(table).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            lines.append("\\copy (\(query)) to '\(directory)/\(name)' with (format csv, header true)")
        }
        lines.append("COMMIT;")
        return lines.joined(separator: "\n")
    }
}
