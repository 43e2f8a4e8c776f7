import Synchronization

/// One wait for a pooled connection: whether it was handed out before its deadline, shared by the task doing the work,
/// the task waiting for the deadline, and the watchdog.
final class Lease: Sendable {
    enum State: Sendable { case waiting, acquired, timedOut, finished }
    private struct Guarded: Sendable {
        var state = State.waiting
        var acquired = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    let deadline: ContinuousClock.Instant
    private let guarded = Mutex(Guarded())

    init(deadline: ContinuousClock.Instant) { self.deadline = deadline }

    /// The connection arrived: true unless the deadline passed first.
    func acquire() -> Bool {
        guarded.withLock { guarded in
            if guarded.state == .waiting {
                guarded.state = .acquired
                guarded.acquired = true
            }
            return guarded.state == .acquired
        }
    }

    /// Whether a connection was ever handed to the work.
    var wasAcquired: Bool { guarded.withLock { $0.acquired } }

    /// Suspends until the lease times out (true) or ends another way (false).
    func expired() async -> Bool {
        await withCheckedContinuation { continuation in
            let state = guarded.withLock { guarded in
                if guarded.state == .waiting || guarded.state == .acquired { guarded.waiter = continuation }
                return guarded.state
            }
            switch state {
            case .timedOut: continuation.resume(returning: true)
            case .finished: continuation.resume(returning: false)
            case .waiting, .acquired: break
            }
        }
    }

    /// Called by the watchdog once the deadline has passed: a lease still waiting times out.
    func expire() {
        let waiter: CheckedContinuation<Bool, Never>? = guarded.withLock { guarded in
            guard guarded.state == .waiting else { return nil }
            guarded.state = .timedOut
            defer { guarded.waiter = nil }
            return guarded.waiter
        }
        waiter?.resume(returning: true)
    }

    /// The work is over, whichever way: releases the deadline task.
    func finish() {
        let waiter: CheckedContinuation<Bool, Never>? = guarded.withLock { guarded in
            if guarded.state != .timedOut { guarded.state = .finished }
            defer { guarded.waiter = nil }
            return guarded.waiter
        }
        waiter?.resume(returning: false)
    }

    var isOver: Bool { guarded.withLock { $0.state == .finished || $0.state == .timedOut } }
}

/// Times out leases with one loop that ticks only while leases are waiting, instead of a timer per lease.
final class LeaseWatchdog: Sendable {
    static let tick = Duration.milliseconds(100)

    private struct Guarded: Sendable {
        var leases: [ObjectIdentifier: Lease] = [:]
        var running = false
    }

    private let guarded = Mutex(Guarded())

    func watch(_ lease: Lease) {
        let start = guarded.withLock { guarded in
            guarded.leases[ObjectIdentifier(lease)] = lease
            defer { guarded.running = true }
            return !guarded.running
        }
        if start { Task.detached { await self.loop() } }
    }

    private func loop() async {
        while true {
            try? await Task.sleep(for: Self.tick)
            let now = ContinuousClock.now
            let (expired, stop): ([Lease], Bool) = guarded.withLock { guarded in
                var expired: [Lease] = []
                for (id, lease) in guarded.leases {
                    if lease.isOver {
                        guarded.leases[id] = nil
                    } else if lease.deadline <= now {
                        expired.append(lease)
                        guarded.leases[id] = nil
                    }
                }
                if guarded.leases.isEmpty { guarded.running = false }
                return (expired, guarded.leases.isEmpty)
            }
            for lease in expired { lease.expire() }
            if stop { return }
        }
    }
}
