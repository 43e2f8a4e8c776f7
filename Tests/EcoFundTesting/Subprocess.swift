import Foundation

/// Runs a program to its end and returns its exit status and standard output, without holding a thread of Swift's
/// cooperative pool while it waits.
///
/// The pool has one thread per core (two on CI). A test that blocked one in `waitUntilExit` while another test did the
/// same left the in-process server no thread to answer on, so a client in a third test timed out: waiting happens on a
/// thread of its own instead.
public func runToEnd(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let finished = Finished(process: process, output: output)
    return await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            // Read before waiting: a program whose output fills the pipe would otherwise never exit.
            let data = finished.output.fileHandleForReading.readDataToEndOfFile()
            finished.process.waitUntilExit()
            continuation.resume(returning: (finished.process.terminationStatus, data))
        }
    }
}

/// A started process and its output pipe, handed to the one thread that waits for them.
private final class Finished: @unchecked Sendable {
    let process: Process
    let output: Pipe

    init(process: Process, output: Pipe) {
        self.process = process
        self.output = output
    }
}
