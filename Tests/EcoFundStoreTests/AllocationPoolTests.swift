import Dispatch
import Foundation
import Synchronization
import Testing

@testable import EcoFundStore

/// Allocations run on threads of their own, a bounded number at once, and past the bound a caller is answered at once
/// (503) instead of queueing without end: four previews at once used to hold both cooperative threads and a read of
/// one jurisdiction took six seconds.
@Suite struct AllocationPoolTests {
    @Test func workRunsOnThePoolsOwnThreadsAndPastTheBoundIsRefusedAtOnce() async throws {
        let pool = AllocationPool(workers: 1, waiting: 1)
        let gate = DispatchSemaphore(value: 0)
        let started = Started()
        // Each job reports the worker it ran on and waits until the test lets it finish.
        let job: @Sendable () -> Int? = {
            started.count.withLock { $0 += 1 }
            // Bounded, so that a pool that failed to refuse fails this test instead of hanging it.
            _ = gate.wait(timeout: .now() + 10)
            return DispatchQueue.getSpecific(key: AllocationPool.workerKey)
        }
        async let first = pool.run(job)
        async let second = pool.run(job)
        // One runs and one waits; a third is refused without waiting for either.
        while started.count.withLock({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        let refused = await #expect(throws: StoreError.self) { _ = try await pool.run(job) }
        #expect(refused?.code == .unavailable)
        #expect(started.count.withLock { $0 } == 1, "the worker runs one job at a time")
        gate.signal()
        gate.signal()
        #expect(try await [first, second] == [0, 0])
        // The places are given back.
        gate.signal()
        #expect(try await pool.run(job) == 0)
    }

    final class Started: Sendable {
        let count = Mutex(0)
    }
}
