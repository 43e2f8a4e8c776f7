import EcoFundCore
import Foundation
import Logging
import PostgresNIO

extension Database {
    /// Runs `body` as one write of this server's commit queue (DESIGN.md "Writing under load"): in a transaction
    /// shared with the writes waiting beside it, as an item of its own (its checks run at its end; in a savepoint of
    /// its own once any write of the batch has failed), answered once that transaction has committed. For
    /// contributions, reversals, payments and recoveries; everything else keeps ``transaction(_:)``.
    ///
    /// The write is keyed (DESIGN.md invariant 5) by `key`, `operation`, `request` and `principal`: a key used before
    /// with the same request answers the first response again, without running `body`.
    ///
    /// - Parameters:
    ///   - accounts: the balance rows `body` moves, locked for the batch in account-code order before any write of
    ///     it runs, so that batches of several servers cannot deadlock.
    ///   - request: the write's request: its encoded size counts against the batch's byte limit, and its hash is
    ///     the key's.
    /// - Throws: what `body` threw, after its savepoint was rolled back; ``StoreError`` `.unavailable` when the queue
    ///   is full, or the batch could not commit (send it again with the same `Idempotency-Key`: exactly one effect),
    ///   `.idempotencyKeyReused` or `.conflict` for a key used for another request or by one not finished.
    public func batched<Value: Codable & Sendable>(
        moving accounts: [AccountCode], request: some Encodable, key: IdempotencyKey?, operation: String,
        by principal: Principal, _ body: @Sendable @escaping (PostgresConnection) async throws -> Value
    ) async throws -> Keyed<Value> {
        let encoded = try JSONCoding.encoder.encode(request)
        let claim = key.map { Idempotency.claim($0, operation: operation, request: encoded, principal: principal) }
        let logger = self.logger
        return try await commits.submit(
            moving: accounts.map(\.description), bytes: encoded.count, claim: claim, on: self
        ) { connection in
            try await Idempotency.run(claim, on: connection, logger: logger) { try await body(connection) }
        }
    }

    /// Commits one batch and returns each write's outcome, in order. A batch that could not start (its locks timed
    /// out, a deadlock) is tried again whole, since nothing of it was kept; one whose connection or `COMMIT` failed,
    /// or that ran past its time limit, answers every write 503, since whether it committed is unknown.
    func commitBatch(_ writes: [any QueuedWrite]) async -> [WriteOutcome] {
        var attempt = 1
        while true {
            do {
                return try await withLeasedConnection(within: commits.limits.batchTimeLimit) {
                    connection in try await commitAttempt(writes, on: connection)
                }
            } catch let error as PSQLError where error.isRetryable && attempt < Self.transactionAttemptsMax {
                attempt += 1
                logger.debug(
                    "retrying batch", metadata: ["attempt": "\(attempt)", "sqlState": "\(error.sqlState ?? "")"])
                try? await Task.sleep(for: .milliseconds(5 * attempt))
            } catch let error as StoreError {
                // No connection within the lease: nothing of the batch was done.
                return writes.map { _ in .failed(error) }
            } catch {
                logger.warning(
                    "batch not committed",
                    metadata: ["writes": "\(writes.count)", "error": "\(String(reflecting: error))"])
                let unknown = StoreError(
                    .unavailable,
                    "the database did not confirm this write; send it again with the same Idempotency-Key (it takes effect once)"
                )
                return writes.map { _ in .failed(unknown) }
            }
        }
    }

    private func commitAttempt(_ writes: [any QueuedWrite], on connection: PostgresConnection) async throws
        -> [WriteOutcome]
    {
        let accounts = Set(writes.flatMap(\.accounts)).sorted()
        if writes.count > 1, let outcomes = try await commitTogether(writes, locking: accounts, on: connection) {
            return outcomes
        }
        try await begin(locking: accounts, on: connection)
        do {
            if writes.count == 1, let write = writes.first { return try await commitAlone(write, on: connection) }
            var outcomes: [WriteOutcome] = []
            for write in writes { outcomes.append(try await runInSavepoint(write, on: connection)) }
            try await connection.query("COMMIT", logger: logger)
            return outcomes
        } catch {
            await connection.rollBack(after: error, logger: logger)
            throw error
        }
    }

    /// Several writes, none of which is expected to fail: each still numbered and checked as its own item
    /// (`batch_item_end()` after it), but without the savepoint around it, which costs two round trips a write.
    /// Returns nil when a write failed: then everything is rolled back, and the caller writes the batch again with a
    /// savepoint for each, so that the one that failed is answered alone. Nothing is answered before `COMMIT`.
    private func commitTogether(
        _ writes: [any QueuedWrite], locking accounts: [String], on connection: PostgresConnection
    ) async throws -> [WriteOutcome]? {
        try await begin(locking: accounts, on: connection)
        do {
            let keys = BatchedKeys(
                claimed: try await IdempotencyRepository.claimAll(
                    writes.compactMap(\.claim), on: connection, logger: logger))
            try await BatchedKeys.$current.withValue(keys) {
                for write in writes {
                    try await write.run(on: connection)
                    try await endItem(on: connection)
                }
            }
            try await IdempotencyRepository.storeResponses(keys.responses, on: connection, logger: logger)
        } catch {
            if let error = error as? PSQLError, error.isConnectionLoss { throw error }
            try await connection.query("ROLLBACK", logger: logger)
            commits.figures.recordRewrite()
            return nil
        }
        try await connection.query("COMMIT", logger: logger)
        return writes.map { _ in .done }
    }

    /// Opens the batch's transaction and locks the balance rows it moves, in account-code order.
    private func begin(locking accounts: [String], on connection: PostgresConnection) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.run("SELECT batch_lock(\(accounts)::text[])", logger: logger)
        } catch {
            await connection.rollBack(after: error, logger: logger)
            throw error
        }
    }

    /// One write alone: its transaction is its own, so no savepoint, and its deferred checks run at `COMMIT`. A
    /// check that refuses it there is its own error; a `COMMIT` that is lost is the batch's.
    private func commitAlone(_ write: any QueuedWrite, on connection: PostgresConnection) async throws
        -> [WriteOutcome]
    {
        do {
            try await write.run(on: connection)
        } catch {
            let outcome = try outcome(of: error)
            try await connection.query("ROLLBACK", logger: logger)
            return [outcome]
        }
        do {
            try await connection.query("COMMIT", logger: logger)
            return [.done]
        } catch let error as PSQLError where error.code == .server && !error.isRetryable {
            // The server answered the COMMIT with a refusal: it rolled back, and the reason is the write's own.
            return [try outcome(of: error)]
        }
    }

    /// One write of several: in a savepoint, its deferred checks run at its end (`batch_item_end()`), so that what
    /// it breaks is refused as its own and rolled back alone.
    private func runInSavepoint(_ write: any QueuedWrite, on connection: PostgresConnection) async throws
        -> WriteOutcome
    {
        try await connection.query("SAVEPOINT write", logger: logger)
        do {
            try await write.run(on: connection)
            try await endItem(on: connection)
            try await connection.query("RELEASE SAVEPOINT write", logger: logger)
            return .done
        } catch {
            let outcome = try outcome(of: error)
            try await connection.query("ROLLBACK TO SAVEPOINT write", logger: logger)
            try await connection.query("RELEASE SAVEPOINT write", logger: logger)
            return outcome
        }
    }

    /// Runs the checks of the item just written, as its own, and numbers the next (Schema/018 `batch_item_end()`).
    private func endItem(on connection: PostgresConnection) async throws {
        _ = try await connection.execute(hot: EndItem(), logger: logger)
    }

    private struct EndItem: HotStatement {
        static let sql = "SELECT batch_item_end()"
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// What an error thrown by one write means for it; rethrows an error that ends the whole batch (the connection
    /// is gone, so nothing of the batch can be known to commit).
    private func outcome(of error: any Error) throws -> WriteOutcome {
        guard let error = error as? PSQLError else { return .failed(error) }
        if error.isConnectionLoss { throw error }
        if error.isRetryable { return .again }
        return .failed(meaning(of: error))
    }
}
