import EcoFundCore
import Logging
import PostgresNIO
import Synchronization

/// Group commit (DESIGN.md "Writing under load"): this server's single-entry writes, many to a transaction.
///
/// A write waits here with the balance rows it moves. A flusher, started by the first write and running while any
/// wait, takes what is waiting (up to ``Limits``), and ``Database`` commits it as one batch: one transaction, the
/// rows locked in account-code order, each write an item of its own with its checks run at its end, one `COMMIT`.
/// When a write fails, the batch is rolled back and written again with each write in a savepoint of its own, so
/// that the one that failed is refused alone. Only after that is any write of the batch answered. A batch starts as
/// soon as the flusher is free; no timer, so a lone write waits for nothing.
public final class CommitQueue: Sendable {
    public struct Limits: Sendable {
        /// Writes in one transaction.
        public var itemsPerBatch: Int
        /// Bytes of request bodies in one transaction (a batch always takes its first write, whatever its size).
        public var bytesPerBatch: Int
        /// Writes waiting for the flusher; one more is refused at once with 503, so the queue cannot grow unbounded.
        public var queueLengthMax: Int
        /// Longest a batch may hold its connection. Past it the connection is closed and the batch's writes are
        /// answered 503 (whether it committed is unknown: the same `Idempotency-Key` settles it). Every write of the
        /// server waits for the one flusher, and some waits no timeout of PostgreSQL's can end: for an answer the
        /// network lost, or for one PostgresNIO will never give (a statement written to a connection that had just
        /// closed). Without this bound, one such wait held all of them (the failover drill).
        public var batchTimeLimit: Duration

        public init(itemsPerBatch: Int, bytesPerBatch: Int, queueLengthMax: Int, batchTimeLimit: Duration) {
            self.itemsPerBatch = itemsPerBatch
            self.bytesPerBatch = bytesPerBatch
            self.queueLengthMax = queueLengthMax
            self.batchTimeLimit = batchTimeLimit
        }

        /// 256 writes or 1 MiB a batch, 4,096 writes waiting; a batch may hold its connection for twice the statement
        /// timeout (its statements take a millisecond or two each, and none may take longer than that timeout).
        public static let standard = Limits(
            itemsPerBatch: 256, bytesPerBatch: 1 << 20, queueLengthMax: 4_096,
            batchTimeLimit: .milliseconds(2 * Database.statementTimeoutMs))
    }

    public let limits: Limits
    /// Batches and writes committed, for `/metrics` and the benchmark.
    public let figures = CommitFigures()
    private struct State: Sendable {
        var waiting: [any QueuedWrite] = []
        var flushing = false
    }
    private let state = Mutex(State())

    public init(limits: Limits = .standard) { self.limits = limits }

    /// Writes waiting for the flusher now.
    public var length: Int { state.withLock { $0.waiting.count } }

    /// Queues `work` and returns its result once the batch holding it has committed.
    ///
    /// - Throws: what `work` threw (its savepoint rolled back, the rest of the batch committed); ``StoreError``
    ///   `.unavailable` when the queue is full or the batch's `COMMIT` failed (send the write again with the same
    ///   `Idempotency-Key`).
    func submit<Value: Sendable>(
        moving accounts: [String], bytes: Int, claim: IdempotencyRepository.Claim?, together: Together<Value>?,
        on database: Database, _ work: @Sendable @escaping (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let write = PendingWrite(
                accounts: accounts, bytes: bytes, claim: claim, together: together, work: work,
                continuation: continuation)
            let start: Bool? = state.withLock { state in
                guard state.waiting.count < limits.queueLengthMax else { return nil }
                state.waiting.append(write)
                defer { state.flushing = true }
                return !state.flushing
            }
            guard let start else {
                figures.recordRefusal()
                write.fail(
                    StoreError(
                        .unavailable,
                        "\(limits.queueLengthMax) writes are already waiting on this server; nothing was done, try again shortly"
                    ))
                return
            }
            if start { Task(executorPreference: FlusherExecutor.shared) { await self.flush(on: database) } }
        }
    }

    private func flush(on database: Database) async {
        while let batch = nextBatch() {
            let outcomes = await database.commitBatch(batch)
            figures.record(batchOf: outcomes.filter(\.isDone).count)
            var again: [any QueuedWrite] = []
            for (write, outcome) in zip(batch, outcomes) {
                switch outcome {
                case .done: write.succeed()
                case .failed(let error): write.fail(error)
                case .again where write.attempted() <= Database.transactionAttemptsMax:
                    figures.recordRetry()
                    again.append(write)
                case .again:
                    write.fail(
                        StoreError(.unavailable, "the database was too busy to finish this in time; try again shortly"))
                }
            }
            if !again.isEmpty { state.withLock { $0.waiting.insert(contentsOf: again, at: 0) } }
        }
    }

    /// The writes of the next batch, oldest first; nil (and the flusher stops) when none wait.
    private func nextBatch() -> [any QueuedWrite]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.flushing = false
                return nil
            }
            var count = 0
            var bytes = 0
            for write in state.waiting {
                guard count < limits.itemsPerBatch, count == 0 || bytes + write.bytes <= limits.bytesPerBatch else {
                    break
                }
                count += 1
                bytes += write.bytes
            }
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
    }
}

/// What became of one write of a batch, known only once the batch has committed (or failed).
enum WriteOutcome {
    case done
    /// Its own error: its savepoint was rolled back and the rest of the batch went on.
    case failed(any Error)
    /// It met a deadlock or a lock timeout of its own: rolled back, and queued again for the next batch.
    case again

    var isDone: Bool {
        if case .done = self { return true }
        return false
    }
}

/// A write the flusher may write in one call with the like writes beside it (contributions: `record_contributions`,
/// Schema/019), instead of by its own `work`; and how its result is made from what that call recorded.
struct Together<Value: Sendable>: Sendable {
    let contribution: NewContribution
    /// The write's result from its contribution as recorded, its response kept with the batch's keys.
    let answer: @Sendable (Contribution, BatchedKeys) throws -> Value
}

/// A write waiting in the queue, whatever its result's type.
protocol QueuedWrite: Sendable {
    /// The balance rows it moves, locked for its batch in account-code order.
    var accounts: [String] { get }
    var bytes: Int { get }
    /// Its `Idempotency-Key`'s claim, if it has a key.
    var claim: IdempotencyRepository.Claim? { get }
    /// The contribution it writes, when the flusher may write it with others in one call.
    var contribution: NewContribution? { get }
    /// Does the write on the batch's connection and keeps its result for ``succeed()``.
    func run(on connection: PostgresConnection) async throws
    /// Keeps the result of a write that the flusher wrote with others (its ``contribution``, as recorded).
    func keep(_ recorded: Contribution, keys: BatchedKeys) throws
    /// Counts one more attempt and returns how many there have been.
    func attempted() -> Int
    func succeed()
    func fail(_ error: any Error)
}

final class PendingWrite<Value: Sendable>: QueuedWrite {
    let accounts: [String]
    let bytes: Int
    let claim: IdempotencyRepository.Claim?
    private let together: Together<Value>?
    private let work: @Sendable (PostgresConnection) async throws -> Value
    private struct State {
        var value: Value?
        var attempts = 1
        var continuation: CheckedContinuation<Value, any Error>?
    }
    private let state: Mutex<State>

    init(
        accounts: [String], bytes: Int, claim: IdempotencyRepository.Claim?, together: Together<Value>?,
        work: @Sendable @escaping (PostgresConnection) async throws -> Value,
        continuation: CheckedContinuation<Value, any Error>
    ) {
        self.accounts = accounts
        self.bytes = bytes
        self.claim = claim
        self.together = together
        self.work = work
        self.state = Mutex(State(continuation: continuation))
    }

    var contribution: NewContribution? { together?.contribution }

    func run(on connection: PostgresConnection) async throws {
        let value = try await work(connection)
        state.withLock { $0.value = value }
    }

    func keep(_ recorded: Contribution, keys: BatchedKeys) throws {
        guard let together else { preconditionFailure("a write that is not written together was kept as such") }
        let value = try together.answer(recorded, keys)
        state.withLock { $0.value = value }
    }

    func attempted() -> Int {
        state.withLock { state in
            state.attempts += 1
            return state.attempts
        }
    }

    func succeed() {
        let (continuation, value) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.value)
        }
        guard let value else { preconditionFailure("a write answered as done kept no result") }
        continuation?.resume(returning: value)
    }

    func fail(_ error: any Error) {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: error)
    }
}

/// Counters of the commit queue: batches committed, by how many writes they committed, and writes refused.
public final class CommitFigures: Sendable {
    /// Upper bounds of the batch-size buckets: 1, 2–8, 9–32, 33–128, 129 and more.
    public static let bucketBounds = [1, 8, 32, 128, Int.max]

    public struct Counts: Sendable {
        public var batches = 0
        public var writes = 0
        public var largest = 0
        /// Writes refused because the queue was full.
        public var refused = 0
        /// Writes rolled back after a deadlock or a lock timeout of their own and queued again.
        public var retried = 0
        /// Batches rolled back because one of their writes failed, and written again with a savepoint per write.
        public var rewritten = 0
        /// Writes committed that the flusher wrote in one call with the contributions beside them
        /// (`record_contributions`), rather than each by its own statements.
        public var together = 0
        /// Batches by size, one count per bucket of ``CommitFigures/bucketBounds``.
        public var bySize = CommitFigures.bucketBounds.map { _ in 0 }
    }
    private let counts = Mutex(Counts())

    public var now: Counts { counts.withLock { $0 } }

    func record(batchOf size: Int) {
        guard size > 0 else { return }
        counts.withLock { counts in
            counts.batches += 1
            counts.writes += size
            counts.largest = max(counts.largest, size)
            if let bucket = Self.bucketBounds.firstIndex(where: { size <= $0 }) { counts.bySize[bucket] += 1 }
        }
    }

    func recordRefusal() { counts.withLock { $0.refused += 1 } }
    func recordRetry() { counts.withLock { $0.retried += 1 } }
    func recordRewrite() { counts.withLock { $0.rewritten += 1 } }
    func recordTogether(_ writes: Int) { counts.withLock { $0.together += writes } }
}
