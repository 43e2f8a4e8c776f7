import EcoFundStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `Scripts/drills/cut_at_commit.py` running in front of the test's PostgreSQL: it passes a batch's COMMIT on and
/// drops the answer, `cuts` times; then closes the connection, or with `holding` keeps it open without passing
/// anything more (a peer gone without a word). With `anyCommit` it cuts at any transaction's COMMIT.
final class CutAtCommitProxy: @unchecked Sendable {
    let port: Int
    private let process = Process()

    /// Starts the proxy and waits for the port it listens on, which it prints first. The wait is on a thread of its
    /// own, not one of Swift's cooperative pool: with two cores the pool has two threads, and a test that blocked one
    /// left every other test less to run on (Tests/EcoFundTesting/Subprocess.swift).
    init(upstream: DatabaseURL, cuts: Int, holding: Bool = false, anyCommit: Bool = false) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments =
            [
                root.appendingPathComponent("Scripts/drills/cut_at_commit.py").path, upstream.host, "\(upstream.port)",
                "\(cuts)",
            ] + (holding ? ["--hold"] : []) + (anyCommit ? ["--any"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reading = output.fileHandleForReading
        let line = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = reading.availableData
                    guard !chunk.isEmpty else { break }
                    line.append(chunk)
                }
                continuation.resume(returning: line)
            }
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            process.terminate()
            throw CancellationError()
        }
        self.port = port
    }

    /// Ends the proxy with SIGKILL: a child of this process may start with SIGTERM blocked (the mask of the thread
    /// that spawned it), and a proxy left running holds the test run's output open, so that the run never ends.
    /// The proxy is reaped on a thread of its own, for the reason given at ``init(upstream:cuts:holding:anyCommit:)``.
    func stop() {
        #if canImport(Glibc)
            _ = Glibc.kill(process.processIdentifier, SIGKILL)
        #endif
        Thread.detachNewThread { [self] in process.waitUntilExit() }
    }
}
