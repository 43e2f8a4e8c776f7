import Crypto
import EcoFundCore
import EcoFundStore
import Foundation

/// Writes the audit export of DESIGN.md "Tamper evidence": a ZIP of CSV files, the event log, the checkpoint it
/// ends at, a report for people and a manifest of SHA-256 hashes, all read in one REPEATABLE READ snapshot.
///
/// The export is opened first, so that what can be refused (no checkpoint yet, a bad range, no database) is refused
/// before a byte is sent; then ``write(to:)`` streams the archive to the sink in chunks of about 256 KiB, in
/// constant memory whatever the size of the books.
public final class AuditExporter: Sendable {
    public let from: CalendarDate
    public let to: CalendarDate
    public let checkpoint: Checkpoint
    /// Base64 of the raw public key that goes into `checkpoint.json`, or empty.
    let publicKey: String
    let reader: SnapshotReader
    let complete: Bool
    let exportedAt: Date

    /// Opens the snapshot and reads the newest checkpoint in it. `publicKey` goes into `checkpoint.json`.
    ///
    /// Every row an export holds must be backed by a sealed event, or the verifier would rightly call it unproven:
    /// so the snapshot is taken only when every event committed before it is in the log (the sealer runs every
    /// half second). If the sealer does not catch up within `sealWait` the export is refused as unavailable.
    public static func open(
        _ url: DatabaseURL, from: CalendarDate, to: CalendarDate, publicKey: Curve25519.Signing.PublicKey?,
        sealWait: Duration = .seconds(10), now: Date = Date()
    ) async throws -> AuditExporter {
        guard from <= to else {
            throw EcoFundCore.ValidationError(.invalidValue, at: "from", "must not be after `to`")
        }
        let deadline = ContinuousClock.now + sealWait
        while true {
            let reader = try await SnapshotReader.open(url)
            do {
                let unsealed = try await reader.query(AuditLog.unsealedCountSQL)
                if let count = unsealed.first?.first.flatMap({ $0.flatMap { Int($0) } }), count > 0 {
                    await reader.close()
                    guard ContinuousClock.now < deadline else {
                        throw StoreError(
                            .unavailable,
                            "\(count) audit events are not sealed yet, so the export could not prove them; is a server "
                                + "with ECOFUND_SIGNING_KEY running? Try again in a moment")
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                return try await open(reader, from: from, to: to, publicKey: publicKey, now: now)
            } catch {
                await reader.close()
                throw error
            }
        }
    }

    private static func open(
        _ reader: SnapshotReader, from: CalendarDate, to: CalendarDate, publicKey: Curve25519.Signing.PublicKey?,
        now: Date
    ) async throws -> AuditExporter {
        // COPY takes no bind parameters: the range reaches its queries as settings of this transaction.
        _ = try await reader.query(
            "SELECT set_config('ecofund.export_from', $1, true), set_config('ecofund.export_to', $2, true)",
            [from.description, to.description])
        let rows = try await reader.query(
            """
            SELECT c.tree_size::text AS size, c.root_hash, c.issued_at, c.key_id, c.signature
              FROM audit_checkpoints c ORDER BY c.tree_size DESC LIMIT 1
            """)
        guard let row = rows.first, let size = row[0].flatMap({ Int64($0) }), let root = row[1],
            let issuedAt = row[2], let keyId = row[3], let signature = row[4]
        else {
            throw StoreError(
                .conflict,
                "the audit log has no signed checkpoint yet: the sealer signs one within a second of the first "
                    + "event when the server runs with ECOFUND_SIGNING_KEY")
        }
        let outside = try await reader.query(
            "SELECT EXISTS (SELECT 1 FROM journal_entries WHERE value_date NOT \(Self.inRange))")
        return AuditExporter(
            from: from, to: to,
            checkpoint: Checkpoint(
                treeSize: size, rootHash: root, issuedAt: issuedAt, keyId: keyId, signature: signature),
            publicKey: publicKey?.rawRepresentation.base64EncodedString() ?? "", reader: reader,
            complete: outside.first?.first == "f", exportedAt: now)
    }

    private init(
        from: CalendarDate, to: CalendarDate, checkpoint: Checkpoint, publicKey: String,
        reader: SnapshotReader, complete: Bool, exportedAt: Date
    ) {
        self.from = from
        self.to = to
        self.checkpoint = checkpoint
        self.publicKey = publicKey
        self.reader = reader
        self.complete = complete
        self.exportedAt = exportedAt
    }

    /// The file name an export of this range should be saved as.
    public var fileName: String { "ecofund-audit-\(from)-\(to).zip" }

    /// Streams the archive to `sink` and ends the snapshot, whether or not it succeeds.
    public func write(to sink: @escaping ([UInt8]) async throws -> Void) async throws {
        do {
            try await writeArchive(to: sink)
            await reader.close()
        } catch {
            await reader.close()
            throw error
        }
    }

    /// Ends the snapshot without writing (when the caller gives up before ``write(to:)``).
    public func close() async { await reader.close() }

    private func writeArchive(to sink: @escaping ([UInt8]) async throws -> Void) async throws {
        let zip = ZipStreamWriter(modified: exportedAt, sink: sink)
        var files: [ExportManifest.File] = []
        var accountsCSV: [UInt8] = []
        for (name, query) in Self.csvQueries {
            files.append(
                try await writeFile(name, into: zip) { emit in
                    try await emit(ExportFormat.byteOrderMark)
                    try await reader.copy(
                        "COPY (\(query)) TO STDOUT WITH (FORMAT csv, HEADER true)", crlf: true
                    ) { chunk in
                        // One row per account: kept for the report, which is built from the same figures.
                        if name == ExportFormat.accounts { accountsCSV += chunk }
                        try await emit(chunk)
                    }
                })
        }
        files.append(try await writeFile(ExportFormat.events, into: zip) { emit in try await writeEvents(emit) })
        let shipped = ExportCheckpoint(checkpoint, publicKey: publicKey)
        files.append(
            try await writeFile(ExportFormat.checkpoint, into: zip) { emit in
                try await emit(Array(try Self.json.encode(shipped)) + [UInt8(ascii: "\n")])
            })
        let report = try await ExportReport.load(
            reader, from: from, to: to, checkpoint: checkpoint, accounts: ExportReport.accountFigures(accountsCSV))
        files.append(
            try await writeFile(ExportFormat.report, into: zip) { emit in
                try await emit(Array(report.html(exportedAt: Self.timestamp(exportedAt)).utf8))
            })
        let manifest = ExportManifest(
            exportedAt: Self.timestamp(exportedAt), from: from.description, to: to.description, complete: complete,
            treeSize: checkpoint.treeSize, files: files)
        _ = try await writeFile(ExportFormat.manifest, into: zip) { emit in
            try await emit(Array(try Self.json.encode(manifest)) + [UInt8(ascii: "\n")])
        }
        try await zip.finish()
    }

    /// Writes one file of the archive, hashing it on the way.
    private func writeFile(
        _ name: String, into zip: ZipStreamWriter,
        _ body: (_ emit: ([UInt8]) async throws -> Void) async throws -> Void
    ) async throws -> ExportManifest.File {
        try Task.checkCancellation()
        try await zip.openFile(name)
        var hasher = SHA256()
        var bytes: Int64 = 0
        try await body { chunk in
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
            try await zip.write(chunk)
        }
        try await zip.closeFile()
        return ExportManifest.File(name: name, bytes: bytes, sha256: Array(hasher.finalize()).hex)
    }

    /// `events.jsonl`: every event up to the checkpoint, in log order, one RFC 8785 line each — the very bytes
    /// whose hashes are the leaves.
    private func writeEvents(_ emit: ([UInt8]) async throws -> Void) async throws {
        let sql = """
            COPY (SELECT json_build_array(e.id, e.type, e.actor,
                         to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.payload)
                    FROM audit_log l JOIN audit_events e ON e.id = l.event_id
                   WHERE l.leaf_index < \(checkpoint.treeSize) ORDER BY l.leaf_index) TO STDOUT
            """
        try await reader.copy(sql) { chunk in
            var out: [UInt8] = []
            out.reserveCapacity(chunk.count + chunk.count / 8)
            for row in chunk.split(separator: UInt8(ascii: "\n")) {
                let text = Self.unescapeCopyText(row)
                guard case .array(let fields) = try JSONValue(parsing: text), fields.count == 5,
                    case .integer(let id) = fields[0], case .string(let type) = fields[1],
                    case .string(let actor) = fields[2], case .string(let at) = fields[3]
                else {
                    throw ExportError("an audit event row could not be read: \(String(decoding: text, as: UTF8.self))")
                }
                out += AuditEvent(id: id, type: type, actor: actor, at: at, payload: fields[4]).canonicalBytes
                out.append(UInt8(ascii: "\n"))
            }
            try await emit(out)
        }
    }

    /// Undoes COPY's text-format escaping (a backslash before `\`, and the control-character escapes).
    static func unescapeCopyText(_ row: ArraySlice<UInt8>) -> [UInt8] {
        guard row.contains(UInt8(ascii: "\\")) else { return Array(row) }
        var out: [UInt8] = []
        out.reserveCapacity(row.count)
        var escaped = false
        for byte in row {
            if escaped {
                switch byte {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                default: out.append(byte)
                }
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                out.append(byte)
            }
        }
        return out
    }

    static let json: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }()

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    // The range, as the transaction's settings hold it.
    static let fromSQL = "current_setting('ecofund.export_from')::date"
    static let toSQL = "current_setting('ecofund.export_to')::date"
    static let inRange = "BETWEEN \(fromSQL) AND \(toSQL)"
    static func utc(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    /// The CSV files and the queries that fill them, in archive order. Amounts are two-decimal yuan strings, instants
    /// UTC RFC 3339, people by their subject.
    public static let csvQueries: [(String, String)] = [
        (
            ExportFormat.jurisdictions,
            """
            SELECT code, name, name_zh, level, parent, population, ecological_area, env_spending_per_capita
              FROM jurisdictions ORDER BY code
            """
        ),
        (
            ExportFormat.journalEntries,
            """
            SELECT id AS entry_id, kind, value_date, memo, reverses, recorded_by, \(utc("recorded_at")) AS recorded_at
              FROM journal_entries WHERE value_date \(inRange) ORDER BY id
            """
        ),
        (
            ExportFormat.journalLines,
            """
            SELECT l.entry_id, l.line_no, l.account_code AS account, l.side, fen_text(l.amount_fen) AS amount
              FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
             WHERE e.value_date \(inRange) ORDER BY l.entry_id, l.line_no
            """
        ),
        (
            ExportFormat.accounts,
            """
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
                                CASE WHEN (t.type IN ('asset', 'expense')) = (l.side = 'debit')
                                     THEN l.amount_fen ELSE -l.amount_fen END AS signed
                           FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
                           JOIN accounts t ON t.code = l.account_code) m ON m.account_code = a.code
             GROUP BY a.code, a.type, a.jurisdiction, b.balance_fen ORDER BY a.code
            """
        ),
        (
            ExportFormat.trialBalance,
            """
            SELECT account, type,
                   CASE WHEN (type IN ('asset', 'expense')) = (closing >= 0) THEN fen_text(abs(closing)) ELSE '0.00' END
                       AS debit,
                   CASE WHEN (type IN ('asset', 'expense')) = (closing >= 0) THEN '0.00' ELSE fen_text(abs(closing)) END
                       AS credit
              FROM (SELECT a.code AS account, a.type,
                           coalesce(sum(CASE WHEN (a.type IN ('asset', 'expense')) = (l.side = 'debit')
                                             THEN l.amount_fen ELSE -l.amount_fen END), 0)::bigint AS closing
                      FROM accounts a
                      LEFT JOIN (journal_lines l JOIN journal_entries e ON e.id = l.entry_id AND e.value_date <= \(toSQL))
                             ON l.account_code = a.code
                     GROUP BY a.code, a.type) balances
             ORDER BY account
            """
        ),
        (
            ExportFormat.contributions,
            """
            SELECT c.id, c.contributor, fen_text(c.amount_fen) AS amount, c.value_date, c.reference, c.memo, c.entry_id,
                   u.subject AS recorded_by, \(utc("c.recorded_at")) AS recorded_at,
                   r.entry_id AS reversal_entry_id, r.reason AS reversal_reason, ru.subject AS reversed_by,
                   \(utc("r.reversed_at")) AS reversed_at
              FROM contributions c JOIN users u ON u.id = c.recorded_by
              LEFT JOIN contribution_reversals r ON r.contribution_id = c.id
              LEFT JOIN users ru ON ru.id = r.reversed_by
             WHERE c.value_date \(inRange) ORDER BY c.entry_id
            """
        ),
        (
            ExportFormat.commitments,
            """
            SELECT m.id, m.contributor, m.fiscal_year, fen_text(m.amount_fen) AS amount, m.memo,
                   u.subject AS recorded_by, \(utc("m.recorded_at")) AS recorded_at
              FROM commitments m JOIN users u ON u.id = m.recorded_by
             WHERE m.fiscal_year BETWEEN extract(year FROM \(fromSQL)) AND extract(year FROM \(toSQL))
             ORDER BY m.fiscal_year, m.contributor
            """
        ),
        (
            ExportFormat.runs,
            """
            SELECT r.id, r.rule_code AS rule, r.rule_version, r.status, r.value_date, fen_text(r.pool_fen) AS pool,
                   fen_text(r.allocated_fen) AS allocated, r.period_code AS period, r.period_revision,
                   pu.subject AS proposed_by, \(utc("r.proposed_at")) AS proposed_at, au.subject AS approved_by,
                   \(utc("r.approved_at")) AS approved_at, r.posted_entry_id, ar.document AS rule_document,
                   r.snapshot, r.allocation
              FROM disbursement_runs r JOIN users pu ON pu.id = r.proposed_by
              LEFT JOIN users au ON au.id = r.approved_by
              JOIN allocation_rules ar ON ar.code = r.rule_code AND ar.version = r.rule_version
             WHERE r.value_date \(inRange) ORDER BY r.proposed_at, r.id
            """
        ),
        (
            ExportFormat.runTransitions,
            """
            SELECT t.run_id, t.seq, t.status, t.reason, u.subject AS actor, \(utc("t.at")) AS at
              FROM disbursement_run_transitions t JOIN users u ON u.id = t.actor
              JOIN disbursement_runs r ON r.id = t.run_id
             WHERE r.value_date \(inRange) ORDER BY r.proposed_at, t.run_id, t.seq
            """
        ),
        (
            ExportFormat.allocations,
            """
            SELECT a.run_id, a.recipient, a.tranche, fen_text(a.amount_fen) AS amount, a.withheld, a.derivation
              FROM disbursement_allocations a JOIN disbursement_runs r ON r.id = a.run_id
             WHERE r.value_date \(inRange) ORDER BY r.proposed_at, a.run_id, a.recipient
            """
        ),
        (
            ExportFormat.payments,
            """
            SELECT p.run_id, p.recipient, fen_text(p.amount_fen) AS amount, p.bank_reference, p.entry_id,
                   u.subject AS confirmed_by, \(utc("p.confirmed_at")) AS confirmed_at
              FROM disbursement_payments p JOIN users u ON u.id = p.confirmed_by
              JOIN disbursement_runs r ON r.id = p.run_id
             WHERE r.value_date \(inRange) ORDER BY p.entry_id
            """
        ),
        (
            ExportFormat.scores,
            """
            SELECT s.period_code AS period, p.scheme_code AS scheme, p.scheme_version, s.jurisdiction, s.revision,
                   s."values", s.composite, s.reason, u.subject AS recorded_by, \(utc("s.recorded_at")) AS recorded_at
              FROM assessment_scores s JOIN assessment_periods p ON p.code = s.period_code
              JOIN users u ON u.id = s.recorded_by
             ORDER BY s.period_code, s.jurisdiction, s.revision
            """
        ),
    ]
}

/// The export could not be written; the message says what was found.
public struct ExportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
