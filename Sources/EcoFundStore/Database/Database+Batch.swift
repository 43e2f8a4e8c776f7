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
        try await enqueue(
            moving: accounts, request: request, key: key, operation: operation, by: principal, together: { _ in nil },
            body)
    }

    /// A contribution, as ``batched(moving:request:key:operation:by:_:)`` with its request and principal; and, when
    /// contributions from open accounts wait beside it, the flusher writes them all in one call instead of running
    /// each `body` (``ContributionRepository`` `record`). `body` is how it is written alone, in a savepoint of its
    /// own, or from an account not yet seen open.
    func batched(
        _ contribution: NewContribution, moving accounts: [AccountCode], key: IdempotencyKey?, operation: String,
        _ body: @Sendable @escaping (PostgresConnection) async throws -> Contribution
    ) async throws -> Keyed<Contribution> {
        try await enqueue(
            moving: accounts, request: contribution.request, key: key, operation: operation,
            by: contribution.principal,
            together: { claim in
                Together(contribution: contribution) { recorded, keys in
                    try Idempotency.answer(recorded, under: claim, in: keys)
                }
            }, body)
    }

    private func enqueue<Value: Codable & Sendable>(
        moving accounts: [AccountCode], request: some Encodable, key: IdempotencyKey?, operation: String,
        by principal: Principal, together: (IdempotencyRepository.Claim?) -> Together<Keyed<Value>>?,
        _ body: @Sendable @escaping (PostgresConnection) async throws -> Value
    ) async throws -> Keyed<Value> {
        let encoded = try JSONCoding.encoder.encode(request)
        let claim = key.map { Idempotency.claim($0, operation: operation, request: encoded, principal: principal) }
        let logger = self.logger
        return try await commits.submit(
            moving: accounts.map(\.description), bytes: encoded.count, claim: claim, together: together(claim),
            on: self
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
        let inOneCall: Int
        do {
            let keys = BatchedKeys(
                claimed: try await IdempotencyRepository.claimAll(
                    writes.compactMap(\.claim), on: connection, logger: logger))
            inOneCall = try await BatchedKeys.$current.withValue(keys) {
                try await write(writes, keys: keys, on: connection)
            }
            try await IdempotencyRepository.storeResponses(keys.responses, on: connection, logger: logger)
        } catch {
            if let error = error as? PSQLError, error.isConnectionLoss { throw error }
            try await connection.query("ROLLBACK", logger: logger)
            commits.figures.recordRewrite()
            return nil
        }
        try await connection.query("COMMIT", logger: logger)
        commits.figures.recordTogether(inOneCall)
        return writes.map { _ in .done }
    }

    /// Writes `writes` in order, each an item of its own: the contributions ``writtenTogether(_:keys:)`` finds in
    /// one call, every other write by its own `body`. Returns how many were written in one call.
    private func write(_ writes: [any QueuedWrite], keys: BatchedKeys, on connection: PostgresConnection)
        async throws -> Int
    {
        var inOneCall = 0
        var next = writes[...]
        while let write = next.first {
            let together = writtenTogether(next, keys: keys)
            if together.isEmpty {
                try await write.run(on: connection)
                next.removeFirst()
            } else {
                let recorded = try await ContributionRepository.record(
                    together.compactMap(\.contribution), on: connection, logger: logger)
                for (write, contribution) in zip(together, recorded) { try write.keep(contribution, keys: keys) }
                next.removeFirst(together.count)
                inOneCall += together.count
            }
            try await endItem(on: connection)
        }
        return inOneCall
    }

    /// The first writes of `writes` that can be written in one call: contributions from accounts this server has seen
    /// open (so that `body`'s check of the contributor has nothing to ask), each under no key or one this batch has
    /// claimed for it (taken here). The first write that is not such ends them, and runs its own `body`: a key not
    /// claimed is a replay or a conflict, which ``Idempotency`` sorts out.
    private func writtenTogether(_ writes: ArraySlice<any QueuedWrite>, keys: BatchedKeys) -> [any QueuedWrite] {
        var together: [any QueuedWrite] = []
        for write in writes {
            guard let contribution = write.contribution, openAccounts.isKnownOpen(contribution.contributorAccount),
                write.claim.map(keys.take) ?? true
            else { break }
            together.append(write)
        }
        return together
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
