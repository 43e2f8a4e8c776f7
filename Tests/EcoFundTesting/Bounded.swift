import Foundation
import Synchronization

/// Work that did not end within its bound: the test fails with this instead of holding the run.
public struct BoundExceeded: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "did not finish within \(limit) once its database existed" }
}

extension TestDatabase {
    /// ``with(_:)``, with `body` bounded by `limit` from the moment its database exists, for a test of something
    /// that could hang for ever: past the bound it fails with ``BoundExceeded`` (and `body`, cancelled, is left to
    /// end or not; the database is dropped with its sessions).
    ///
    /// Not a `.timeLimit` trait: that counts from the test's start, wait for its database included. Clones of the
    /// template are made one at a time, so when every test starts at once the last wait for theirs; on a loaded
    /// machine (two runs at once) that wait alone passed a minute, and six such tests failed together for no fault
    /// of theirs.
    public static func with<Result: Sendable>(
        within limit: Duration, _ body: @escaping @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        try await with { database in try await bounded(limit) { try await body(database) } }
    }
}

/// `work`'s result, or ``BoundExceeded`` once `limit` has passed, whichever comes first. Unlike a task group, which
/// waits for its children, this returns at the bound even if `work` ignores its cancellation.
public func bounded<Result: Sendable>(
    _ limit: Duration, _ work: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let answer = Answer<Result>()
    return try await withCheckedThrowingContinuation { continuation in
        answer.wait(with: continuation)
        let worker = Task {
            do { answer.give(.success(try await work())) } catch { answer.give(.failure(error)) }
        }
        let timer = Task {
            try await Task.sleep(for: limit)
            if answer.give(.failure(BoundExceeded(limit: limit))) { worker.cancel() }
        }
        answer.whenGiven { timer.cancel() }
    }
}

/// The one answer of ``bounded(_:_:)``: the first given resumes the continuation, later ones are dropped.
private final class Answer<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var given = false
        var onGiven: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func wait(with continuation: CheckedContinuation<Value, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Runs `action` once the answer is given (at once, if it already is).
    func whenGiven(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if state.given { return true }
            state.onGiven = action
            return false
        }
        if now { action() }
    }

    /// Gives `result` if no answer was given yet; returns whether this one was.
    @discardableResult
    func give(_ result: Result<Value, any Error>) -> Bool {
        let taken = state.withLock { state -> (CheckedContinuation<Value, any Error>, (@Sendable () -> Void)?)? in
            guard !state.given, let continuation = state.continuation else { return nil }
            state.given = true
            state.continuation = nil
            defer { state.onGiven = nil }
            return (continuation, state.onGiven)
        }
        guard let (continuation, onGiven) = taken else { return false }
        continuation.resume(with: result)
        onGiven?()
        return true
    }
}
