import NIOCore
import PostgresNIO
import Synchronization

/// Work on a connection that ran past its time limit: the connection was closed and the work left behind.
struct TimeLimitExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String {
        "the work on this connection ran past its time limit of \(limit); the connection was closed"
    }
}

extension PostgresConnection {
    /// Runs `work` on this connection's event loop, waiting for it at most `limit`. Past that the connection is
    /// closed — nothing more of the work can reach the database — and ``TimeLimitExceeded`` is thrown, whether or
    /// not the work has ended.
    ///
    /// The wait does not depend on the work ending: PostgresNIO 1.33 never answers a statement written to a
    /// connection that closed a moment before (the statement goes nowhere and its promise is never completed), and
    /// closing such a connection again does nothing. The commit queue's flusher hung so in the failover drill, with
    /// every write of the server waiting behind it. Work left behind there stays suspended; it holds no connection.
    func withTimeLimit<Value: Sendable>(
        _ limit: Duration, _ work: @Sendable @escaping () async throws -> Value
    ) async throws -> Value {
        let outcome = FirstOutcome<Value>()
        do {
            return try await withCheckedThrowingContinuation { continuation in
                outcome.arm(continuation)
                let timer = eventLoop.scheduleTask(in: TimeAmount(limit)) {
                    outcome.settle(.failure(TimeLimitExceeded(limit: limit)))
                }
                Task(executorPreference: EventLoopTaskExecutor(loop: eventLoop)) {
                    let result: Result<Value, any Error>
                    do { result = .success(try await work()) } catch { result = .failure(error) }
                    timer.cancel()
                    outcome.settle(result)
                }
            }
        } catch let error as TimeLimitExceeded {
            try? await close()
            throw error
        }
    }
}

/// The first of two outcomes (the work's or the timer's) resumes the waiter; the other is dropped.
private final class FirstOutcome<Value: Sendable>: Sendable {
    private let guarded = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func arm(_ waiter: CheckedContinuation<Value, any Error>) { guarded.withLock { $0 = waiter } }

    func settle(_ result: Result<Value, any Error>) {
        let waiter = guarded.withLock { waiter in
            defer { waiter = nil }
            return waiter
        }
        waiter?.resume(with: result)
    }
}
