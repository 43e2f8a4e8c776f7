import EcoFundStore
import Foundation
import PostgresNIO
import Synchronization

/// Puts writes into one batch of a server's commit queue, in a known order: the owner holds `fund:cash`'s balance
/// row, a first write takes the flusher and waits for it, and the writes are queued one by one behind it (each
/// counted in the queue before the next is sent); then the row is let go.
public enum QueueDriver {
    final class Outcomes<Value: Sendable>: Sendable {
        let byIndex = Mutex<[Int: Result<Value, any Error>]>([:])
    }

    /// A counter that tasks of a group may share.
    public final class Count: Sendable {
        public let value = Atomic(0)
        public init() {}
    }

    final class Flags: Sendable {
        let locked = Atomic(false)
        let release = Atomic(false)
    }

    /// Runs `write(0)`, …, `write(count - 1)` queued in that order behind `blocker` and returns their outcomes in
    /// order. `queueLength` reads the server's queue (its ``CommitQueue`` or its `/metrics`); `queued` is how many
    /// writes the queue is expected to take (the rest are refused at once). `blocker` must be a write of the same
    /// server that moves `fund:cash`.
    public static func inOneBatch<Value: Sendable>(
        owner: Database, count: Int, queued: Int? = nil, queueLength: @Sendable @escaping () async throws -> Int,
        blocker: @Sendable @escaping () async throws -> Void, _ write: @Sendable @escaping (Int) async throws -> Value
    ) async throws -> [Result<Value, any Error>] {
        let queued = queued ?? count
        let flags = Flags()
        let results = Outcomes<Value>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await owner.transaction { connection in
                    try await connection.run(
                        "SELECT 1 FROM account_balances WHERE account_code = 'fund:cash' FOR UPDATE",
                        logger: owner.logger)
                    flags.locked.store(true, ordering: .sequentiallyConsistent)
                    while !flags.release.load(ordering: .sequentiallyConsistent) {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            }
            try await waitUntil { flags.locked.load(ordering: .sequentiallyConsistent) }
            group.addTask { try await blocker() }
            try await waitUntil {
                let waiting = try await waitingOnLocks(owner)
                let length = try await queueLength()
                return waiting >= 1 && length == 0
            }
            for index in 0..<count {
                group.addTask {
                    let result: Result<Value, any Error>
                    do { result = .success(try await write(index)) } catch { result = .failure(error) }
                    results.byIndex.withLock { $0[index] = result }
                }
                let expected = min(index + 1, queued)
                try await waitUntil {
                    let length = try await queueLength()
                    return length == expected || results.byIndex.withLock { $0[index] != nil }
                }
            }
            flags.release.store(true, ordering: .sequentiallyConsistent)
            try await group.waitForAll()
        }
        return results.byIndex.withLock { results in (0..<count).map { results[$0]! } }
    }

    /// Sessions of this database waiting for a lock now.
    public static func waitingOnLocks(_ owner: Database) async throws -> Int {
        try await owner.read { connection in
            let rows = try await connection.query(
                """
                SELECT count(*)::bigint FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                """, logger: owner.logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    /// Polls `condition` every 5 ms for up to 30 s.
    public static func waitUntil(_ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// A condition of the driver did not come true within 30 s.
    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String { "a condition of the queue driver did not come true within 30 s" }
    }
}
