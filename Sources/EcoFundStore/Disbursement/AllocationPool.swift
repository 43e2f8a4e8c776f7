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
    /// Jobs queued or running on each worker.
    private let load: Mutex<[Int]>

    private init() {
        workers = (0..<Self.workersMax).map { DispatchQueue(label: "ecofund.allocation.\($0)", qos: .userInitiated) }
        load = Mutex([Int](repeating: 0, count: Self.workersMax))
    }

    /// Allocates on a worker and awaits the result.
    ///
    /// - Throws: ``AllocationError`` as the allocator does; ``StoreError/Code/unavailable`` when too many wait.
    func allocate(_ rule: AllocationRule, inputs: AllocationInputs) async throws -> Allocation {
        let worker = try load.withLock { (load) throws(StoreError) -> Int in
            guard load.reduce(0, +) < Self.workersMax + Self.waitingMax else {
                throw StoreError(.unavailable, "the server is computing many allocations; try again shortly")
            }
            let least = load.indices.min { load[$0] < load[$1] } ?? 0
            load[least] += 1
            return least
        }
        let result: Result<Allocation, AllocationError> = await withCheckedContinuation { continuation in
            workers[worker].async {
                continuation.resume(
                    returning: Result { () throws(AllocationError) in
                        try Allocator.allocate(rule, inputs: inputs)
                    })
            }
        }
        load.withLock { $0[worker] -= 1 }
        return try result.get()
    }
}
