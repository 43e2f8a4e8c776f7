import EcoFundCore
import Foundation
import Synchronization

/// Where allocations are computed: threads of their own, not the cooperative pool that answers requests.
///
/// An allocation is exact arithmetic on big integers, milliseconds for the demo rule and up to a second for the
/// largest a rule may be; on the cooperative pool (one thread per core, two on CI) each one held a thread that every
/// other request needed, and four previews at once made a read of one jurisdiction take six seconds. Here at most
/// ``workersMax`` run at once and ``waitingMax`` wait; past that a caller is told to come back (503), at once.
final class AllocationPool: Sendable {
    /// Allocations computed at once: all cores but one, so that requests always keep a core.
    static let workersMax = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Allocations waiting for a worker before the next is refused.
    static let waitingMax = 16

    static let shared = AllocationPool()

    private let workers: [DispatchQueue]
    private let jobsMax: Int
    /// Jobs queued or running on each worker.
    private let load: Mutex<[Int]>

    /// Set on each worker's queue to its number: how code (and a test) knows it runs on one.
    static let workerKey = DispatchSpecificKey<Int>()

    init(workers count: Int = workersMax, waiting: Int = waitingMax) {
        workers = (0..<count).map { index in
            let queue = DispatchQueue(label: "ecofund.allocation.\(index)", qos: .userInitiated)
            queue.setSpecific(key: Self.workerKey, value: index)
            return queue
        }
        jobsMax = count + waiting
        load = Mutex([Int](repeating: 0, count: count))
    }

    /// Allocates on a worker and awaits the result.
    ///
    /// - Throws: ``AllocationError`` as the allocator does; ``StoreError/Code/unavailable`` when too many wait.
    func allocate(_ rule: AllocationRule, inputs: AllocationInputs) async throws -> Allocation {
        let result = try await run { () -> Result<Allocation, AllocationError> in
            Result { () throws(AllocationError) in try Allocator.allocate(rule, inputs: inputs) }
        }
        return try result.get()
    }

    /// Runs `work` on the least loaded worker and awaits its result.
    ///
    /// - Throws: ``StoreError/Code/unavailable`` at once when every worker is busy and enough jobs wait.
    func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async throws(StoreError) -> Value {
        let worker = try load.withLock { (load) throws(StoreError) -> Int in
            guard load.reduce(0, +) < jobsMax else {
                throw StoreError(.unavailable, "the server is computing many allocations; try again shortly")
            }
            let least = load.indices.min { load[$0] < load[$1] } ?? 0
            load[least] += 1
            return least
        }
        let value = await withCheckedContinuation { continuation in
            workers[worker].async { continuation.resume(returning: work()) }
        }
        load.withLock { $0[worker] -= 1 }
        return value
    }
}
