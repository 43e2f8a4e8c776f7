import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for clawbacks and recoveries.
enum RecoveryRepository {
    /// When a settlement posts: per recipient with −s_r, the clawback entry, its row and its audit event.
    static func clawBack(
        _ run: DisbursementRun, by principal: Principal, on connection: PostgresConnection, logger: Logger
    )
        async throws
    {
        for (recipient, amount, entry) in run.clawbackEntries {
            for account in [AccountCode.receivable(recipient), .disbursements(recipient)] {
                try await JournalRepository.openAccount(account, on: connection, logger: logger)
            }
            let entryID = try await JournalRepository.insert(
                entry, recordedBy: principal.subject, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO clawbacks (run_id, recipient, amount_fen, entry_id)
                VALUES (\(run.id), \(recipient), \(amount.fen), \(entryID))
                """, logger: logger)
            try await AuditRepository.record(
                "disbursement.clawback.posted", actor: principal.subject,
                payload: ClawbackEvent(
                    run: run.id, recipient: recipient, amount: amount.decimalString, entryID: entryID),
                on: connection, logger: logger)
        }
    }

    /// What `recipient` owes now, read under the fund's lock (so two recoveries are checked one after the other);
    /// nil when it never owed anything.
    static func lockReceivable(_ recipient: String, on connection: PostgresConnection, logger: Logger) async throws
        -> Money?
    {
        try await RunRepository.lockFund(on: connection, logger: logger)
        let account = AccountCode.receivable(recipient)
        return try await JournalRepository.currentBalances([account], on: connection, logger: logger)[
            account.description]
    }

    static func insertRecovery(
        _ recovery: Recovery, userID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO recoveries (id, recipient, amount_fen, value_date, bank_reference, entry_id, recorded_by, recorded_at)
            VALUES (\(recovery.id), \(recovery.recipient), \(recovery.amount.fen), \(recovery.valueDate.description)::date,
                    \(recovery.bankReference), \(recovery.entryID), \(userID), \(recovery.recordedAt))
            """, logger: logger)
    }

    /// Recoveries, newest value date first (of one recipient, or all).
    static func recoveries(recipient: String?, on connection: PostgresConnection, logger: Logger) async throws
        -> [Recovery]
    {
        let rows = try await connection.query(
            """
            SELECT r.id, r.recipient, r.amount_fen, r.value_date::text, r.bank_reference, r.entry_id, u.subject,
                   r.recorded_at
              FROM recoveries r JOIN users u ON u.id = r.recorded_by
             WHERE \(recipient)::text IS NULL OR r.recipient = \(recipient)::text
             ORDER BY r.value_date DESC, r.recorded_at DESC
            """, logger: logger)
        var recoveries: [Recovery] = []
        for try await (id, recipient, fen, date, reference, entry, by, at) in rows.decode(
            (UUID, String, Int64, String, String, Int64, String, Date).self)
        {
            recoveries.append(
                Recovery(
                    id: id, recipient: recipient, amount: Money(fen: fen),
                    valueDate: try CalendarDate(parsing: date, at: ""),
                    bankReference: reference, entryID: entry, recordedBy: by, recordedAt: at))
        }
        return recoveries
    }

    /// Every recipient ever clawed back from: its receivable account's debits (clawbacks) and credits (recoveries and
    /// offsets against later payments); by code.
    static func receivables(recipient: String?, on connection: PostgresConnection, logger: Logger) async throws
        -> [Receivable]
    {
        let rows = try await connection.query(
            """
            SELECT a.jurisdiction, b.debit_fen, b.credit_fen
              FROM accounts a JOIN account_balances b ON b.account_code = a.code
             WHERE a.code LIKE 'receivable:%' AND (\(recipient)::text IS NULL OR a.jurisdiction = \(recipient)::text)
             ORDER BY a.jurisdiction
            """, logger: logger)
        var receivables: [Receivable] = []
        for try await (code, clawed, recovered) in rows.decode((String, Int64, Int64).self) {
            receivables.append(
                Receivable(recipient: code, clawedBack: Money(fen: clawed), recovered: Money(fen: recovered)))
        }
        return receivables
    }
}

struct ClawbackEvent: Encodable, Sendable {
    let run: UUID
    let recipient: String
    let amount: String
    let entryID: Int64
}

struct RecoveryEvent: Encodable, Sendable {
    let id: UUID
    let recipient: String
    let amount: String
    let valueDate: String
    let bankReference: String
    let entryID: Int64
}
