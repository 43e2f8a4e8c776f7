import Foundation

/// The thread the commit queues' flushers run on between batches: taking the next batch, leasing its connection,
/// answering its writes.
///
/// On Swift's shared pool (one thread per core) each of those steps waited behind the request handlers that keep
/// both threads busy under load. The batch itself, once it has its connection, runs on that connection's event loop
/// (``EventLoopTaskExecutor``), where PostgreSQL's answers arrive. One thread serves every queue of the process (a
/// server has one; the tests, many).
final class FlusherExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = FlusherExecutor()

    /// Guards `jobs`; the thread sleeps on it while there is nothing to run.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        let thread = Thread { [self] in run() }
        thread.name = "ecofund-flusher"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var ready: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&ready, &jobs)
            condition.unlock()
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
            ready.removeAll(keepingCapacity: true)
        }
    }
}
