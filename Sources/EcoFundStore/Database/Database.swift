import Logging
import PostgresNIO
import Synchronization

/// The service's access to PostgreSQL: a pool of connections and transactions with bounded retries.
///
/// Nothing is cached here between calls but which accounts are open (``OpenAccounts``, a fact that never changes
/// once true): PostgreSQL is the only state, so any number of servers can share it.
public struct Database: Sendable {
    /// Connections in the pool. Defaults to 20, well under PostgreSQL's default `max_connections` of 100.
    public static let connectionsMaxDefault = 20
    /// A statement running longer than this is cancelled by the server.
    public static let statementTimeoutMs = 10_000
    /// Waiting longer than this for a row lock fails the statement (and the transaction is retried).
    public static let lockTimeoutMs = 5_000
    /// A transaction left idle longer than this (a stuck client) is ended by the server.
    public static let idleInTransactionTimeoutMs = 30_000
    /// Time allowed to open one connection.
    public static let connectTimeoutSeconds: Int64 = 5
    /// Longest wait for a pooled connection. A database that is down makes the pool wait for ever; after this the
    /// request is answered 503 instead of hanging. Work already running on a connection is never cut short.
    public static let leaseTimeoutSeconds: Int64 = 5
    /// Attempts of a transaction that failed with a serialization failure or deadlock.
    public static let transactionAttemptsMax = 5
    /// Longest a read or a transaction may hold its connection (``workTimeLimit``) unless told otherwise: six statement
    /// timeouts, far past anything the service does in one. PostgreSQL's own timeouts cannot end every wait: not one
    /// for an answer the network lost, nor one for a statement PostgresNIO never answers (written to a connection
    /// that had just closed, as in a failover). Without a bound such a wait held its request and its pooled
    /// connection for good; the commit queue's batches have a bound of their own (``CommitQueue/Limits``).
    public static let workTimeLimitDefault = Duration.milliseconds(6 * statementTimeoutMs)

    public let client: PostgresClient
    public let logger: Logger
    /// Requests waiting for a connection and connections in use, for `/metrics`.
    public let usage = PoolUsage()
    let watchdog = LeaseWatchdog()
    /// This server's group commit of single-entry writes (``batched(moving:request:_:)``).
    public let commits: CommitQueue
    /// Accounts seen open: a write that names one skips the lookup.
    public let openAccounts = OpenAccounts()
    /// Longest a read, a transaction or a sealer round may hold its connection: past it the connection is closed and
    /// the caller gets ``StoreError`` `.unavailable` (``workTimeLimitDefault``).
    public let workTimeLimit: Duration

    public init(
        client: PostgresClient, logger: Logger, commitLimits: CommitQueue.Limits = .standard,
        workTimeLimit: Duration = Self.workTimeLimitDefault
    ) {
        self.client = client
        self.logger = logger
        self.commits = CommitQueue(limits: commitLimits)
        self.workTimeLimit = workTimeLimit
    }

    /// Runs `body` in one transaction (READ COMMITTED: row locks guard balances), committing if it returns.
    ///
    /// Serialization failures and deadlocks are retried up to ``transactionAttemptsMax`` times; errors thrown by
    /// `body` come back as themselves, database errors as ``StoreError`` where they mean something to a caller.
    public func transaction<Result: Sendable>(
        _ body: @Sendable @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await translatingErrors {
                    try await withLeasedConnection(within: workTimeLimit) { connection in
                        try await connection.inTransaction(logger: logger) { try await body(connection) }
                    }
                }
            } catch let error as PSQLError where error.isRetryable {
                guard attempt < Self.transactionAttemptsMax else {
                    logger.warning(
                        "transaction kept meeting contention", metadata: ["error": "\(String(reflecting: error))"])
                    throw StoreError(
                        .unavailable, "the database was too busy to finish this in time; try again shortly")
                }
                attempt += 1
                logger.debug(
                    "retrying transaction", metadata: ["attempt": "\(attempt)", "sqlState": "\(error.sqlState ?? "")"])
                try await Task.sleep(for: .milliseconds(5 * attempt))
            }
        }
    }

    /// Runs read-only work on one pooled connection, outside an explicit transaction.
    public func read<Result: Sendable>(_ body: @Sendable @escaping (PostgresConnection) async throws -> Result)
        async throws
        -> Result
    {
        try await translatingErrors {
            try await withLeasedConnection(within: workTimeLimit) { connection in try await body(connection) }
        }
    }

    /// Whether the database answers a trivial query within `timeout`; a pool still waiting for a connection to a
    /// database that is down counts as unreachable.
    public func isReachable(within timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await isReachable() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func isReachable() async -> Bool {
        do {
            return try await read { connection in
                let rows = try await connection.query("SELECT 1", logger: logger)
                for try await _ in rows {}
                return true
            }
        } catch {
            return false
        }
    }

    /// `client.withConnection`, giving up with ``StoreError/Code/unavailable`` if no connection is handed out
    /// within ``leaseTimeoutSeconds``, and with ``TimeLimitExceeded`` (the connection closed) if `body` holds it longer
    /// than `limit` (``PostgresConnection/withTimeLimit(_:_:)``). `body` runs on the connection's event loop.
    ///
    /// The work races a second task that waits for the lease's deadline. That task sleeps on a continuation which
    /// one shared watchdog resumes, not on a timer of its own: a cancelled `Task.sleep` keeps its memory until its
    /// deadline passes, which at thousands of requests a second held hundreds of megabytes.
    func withLeasedConnection<Result: Sendable>(
        within limit: Duration, _ body: @Sendable @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let lease = Lease(deadline: .now + .seconds(Self.leaseTimeoutSeconds))
        watchdog.watch(lease)
        let timedOut = StoreError(
            .unavailable, "no database connection within \(Self.leaseTimeoutSeconds) s; try again shortly")
        let closedAsHandedOut = StoreError(
            .unavailable, "the database connection closed as it was handed out; nothing was done, try again shortly")
        let usage = self.usage
        usage.waiting.add(1, ordering: .relaxed)
        defer { if !lease.wasAcquired { usage.waiting.subtract(1, ordering: .relaxed) } }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            defer { lease.finish() }
            group.addTask {
                while true {
                    let result: Result? = try await client.withConnection { connection in
                        // A connection that closed a moment ago can still be handed out; a statement written to it
                        // is never answered (PostgresNIO 1.33). It goes back unused, the pool drops it, and the
                        // lease (still waiting, its deadline still running) waits for another.
                        guard !connection.isClosed else {
                            logger.notice("skipped a pooled connection that had closed")
                            return nil
                        }
                        // A connection that comes just after the deadline is handed back unused, with the same
                        // error the deadline task throws: whichever of the two the group sees first, the caller
                        // gets a 503.
                        guard lease.acquire() else { throw timedOut }
                        usage.waiting.subtract(1, ordering: .relaxed)
                        usage.inUse.add(1, ordering: .relaxed)
                        defer { usage.inUse.subtract(1, ordering: .relaxed) }
                        do {
                            let result = try await connection.withTimeLimit(limit) {
                                // Only the connection's event loop, where this runs, closes it: looked at again
                                // here, just before the work writes its first statement, a close that began after
                                // the look above is seen. Nothing has been sent, so the answer is a plain 503.
                                guard !connection.isClosed else { throw closedAsHandedOut }
                                return try await body(connection)
                            }
                            await endLease(of: connection)
                            return result
                        } catch {
                            await endLease(of: connection)
                            throw error
                        }
                    }
                    if let result { return result }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            group.addTask {
                guard await lease.expired() else { return nil }
                throw timedOut
            }
            while let next = try await group.next() {
                if let result = next { return result }
            }
            preconditionFailure("the work task ends with a result or an error")
        }
    }

    /// Closes a connection that a failed prepared statement may have left unusable (``PostgresConnection/execute(hot:logger:)``),
    /// now that nothing more is sent on it; the pool drops it and opens another.
    private func endLease(of connection: PostgresConnection) async {
        guard connection.takeMarkToClose() else { return }
        logger.notice("closing a connection after a prepared statement failed on it")
        try? await connection.close()
    }

    private func translatingErrors<Result>(_ work: () async throws -> Result) async throws -> Result {
        do {
            return try await work()
        } catch let error as PSQLError {
            if error.isRetryable { throw error }
            throw meaning(of: error)
        } catch let error as TimeLimitExceeded {
            logger.warning("work on a connection ran past its time limit", metadata: ["error": "\(error)"])
            throw StoreError(
                .unavailable,
                "the database did not answer within \(error.limit); whether a change took effect is unknown until you look (with the same Idempotency-Key, sending it again takes effect once)"
            )
        }
    }

    /// What a database error means to a caller: ``StoreError`` `.unavailable` for a lost connection or a statement
    /// that timed out (the transaction was rolled back), `.fundInsufficient` for a balance that would go below
    /// zero; otherwise the error itself.
    func meaning(of error: PSQLError) -> any Error {
        if error.isConnectionLoss {
            logger.warning("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            return StoreError(.unavailable, "the database is unavailable; try again shortly")
        }
        if error.sqlState == "57014" {
            logger.warning("statement timed out", metadata: ["error": "\(String(reflecting: error))"])
            return StoreError(.unavailable, "the database was too busy to finish this in time; try again shortly")
        }
        if error.sqlState == "23514", error.constraintName == "balance_not_negative" {
            return StoreError(.fundInsufficient, "the fund does not hold enough for this")
        }
        return error
    }
}

/// How the pool is used right now: requests waiting for a connection, and connections doing work.
public final class PoolUsage: Sendable {
    public let waiting = Atomic(0)
    public let inUse = Atomic(0)
    public init() {}
}

extension PostgresConnection {
    /// Runs `body` between `BEGIN` and `COMMIT` on this connection (READ COMMITTED), rolling back if it throws.
    public func inTransaction<Result: Sendable>(logger: Logger, _ body: () async throws -> Result) async throws
        -> Result
    {
        try await query("BEGIN", logger: logger)
        do {
            let result = try await body()
            try await query("COMMIT", logger: logger)
            return result
        } catch {
            await rollBack(after: error, logger: logger)
            throw error
        }
    }

    /// Ends a transaction that `error` interrupted. Not on a connection that is gone: there is nothing to roll back,
    /// and a query sent to it could wait for an answer that never comes (the commit queue's flusher hung so when a
    /// COMMIT's answer was cut). A failed ROLLBACK leaves a broken connection, which the pool discards.
    func rollBack(after error: any Error, logger: Logger) async {
        if let lost = error as? PSQLError, lost.isConnectionLoss { return }
        _ = try? await query("ROLLBACK", logger: logger)
    }

    /// Runs a statement that returns rows nobody needs (`SELECT pg_advisory_xact_lock(…)`) to its end.
    ///
    /// PostgresNIO hands back a row sequence as soon as the row description arrives; an error met later (a lock
    /// timeout, say) reaches only whoever reads the rows. Unread, it was lost, and the next statement failed with
    /// "current transaction is aborted" instead of the lock timeout being retried.
    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PSQLError {
    /// The SQLSTATE the server sent, if it sent one.
    public var sqlState: String? { serverInfo?[.sqlState] }

    /// The constraint a server error names, if any.
    public var constraintName: String? { serverInfo?[.constraintName] }

    /// Serialization failure, deadlock, or a lock wait that timed out: worth running the transaction again.
    var isRetryable: Bool { ["40001", "40P01", "55P03"].contains(sqlState ?? "") }

    /// The connection or the server went away, or the pool is closing: report 503, never 500.
    var isConnectionLoss: Bool {
        switch code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .sslUnsupported, .failedToAddSSLHandler:
            return true
        default:
            // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
            guard let state = sqlState else { return false }
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
        }
    }
}

extension Database {
    /// Opens a pool for the duration of `body` and closes it after: for commands, migrations and tests, where no
    /// service group runs the client.
    public static func withPool<Result: Sendable>(
        _ url: DatabaseURL, connectionsMax: Int = 4, logger: Logger,
        _ body: @Sendable (Database) async throws -> Result
    ) async throws -> Result {
        // The pool may be asked for a connection a moment before its run task starts, which PostgresNIO reports as
        // a warning; for these short-lived pools only errors of the pool itself are worth a log line.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(
            configuration: url.clientConfiguration(connectionsMax: connectionsMax), backgroundLogger: poolLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(Database(client: client, logger: logger))
        }
    }
}
