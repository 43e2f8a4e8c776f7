import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Receivables and recoveries (收回): what settlements clawed back, and the money recipients return.
public struct RecoveryService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    /// Records money a recipient returned: Dr `fund:cash` / Cr `receivable:{r}`, never more than it owes.
    ///
    /// - Throws: ``ValidationError`` at `/recipient` when it owes nothing, at `/amount` when the amount is more than
    ///   it owes; ``StoreError`` for a reused idempotency key.
    public func record(_ request: RecoveryRequest, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<Recovery>
    {
        try principal.authorize(.recordRecoveries)
        let moves = [AccountCode.fundCash, .receivable(request.recipient)]
        return try await database.batched(
            moving: moves, request: request, key: idempotencyKey, operation: "recordRecovery", by: principal
        ) { connection in
            try request.check(
                owed: try await RecoveryRepository.lockReceivable(
                    request.recipient, on: connection, logger: logger))
            let entry = JournalEntry.recovery(
                from: request.recipient, amount: request.amount, valueDate: request.valueDate,
                memo: "recovery from \(request.recipient), bank reference \(request.bankReference)")
            let entryID = try await JournalRepository.insert(
                entry, recordedBy: principal.subject, on: connection, logger: logger)
            let recovery = Recovery(
                id: UUID(), recipient: request.recipient, amount: request.amount, valueDate: request.valueDate,
                bankReference: request.bankReference, entryID: entryID, recordedBy: principal.subject,
                recordedAt: Date())
            try await RecoveryRepository.insertRecovery(
                recovery, userID: principal.userID, on: connection, logger: logger)
            try await AuditRepository.record(
                "recovery.recorded", actor: principal.subject,
                payload: RecoveryEvent(
                    id: recovery.id, recipient: recovery.recipient, amount: recovery.amount.decimalString,
                    valueDate: recovery.valueDate.description, bankReference: recovery.bankReference,
                    entryID: entryID),
                on: connection, logger: logger)
            return recovery
        }
    }

    /// Recoveries, newest first, of one recipient or all.
    public func recoveries(recipient: String?, by principal: Principal) async throws -> [Recovery] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await RecoveryRepository.recoveries(recipient: recipient, on: connection, logger: logger)
        }
    }

    /// Every recipient a settlement clawed back from: clawed back, recovered, outstanding.
    public func receivables(by principal: Principal) async throws -> [Receivable] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await RecoveryRepository.receivables(recipient: nil, on: connection, logger: logger)
        }
    }
}
