import EcoFundCore
import Foundation
import Synchronization

/// How many audit exports run at once on this server. Each holds a PostgreSQL connection and a snapshot beside the
/// pool for as long as its client reads, so a crowd of exports (the probe sent 110) would take the database's
/// connections and hold back every other request: past these limits an export is refused at once, with a time to
/// come back, and one that runs too long is ended.
final class ExportGate: Sendable {
    /// Exports open at once on one server.
    static let exportsPerServerMax = 2
    /// Exports open at once for one caller.
    static let exportsPerCallerMax = 1

    private let open = Mutex<[UUID: Int]>([:])

    /// Takes a place for `caller`, or refuses.
    func enter(_ caller: UUID) throws(TooManyExportsError) {
        try open.withLock { (open) throws(TooManyExportsError) in
            let total = open.values.reduce(0, +)
            // The caller's own limit first: "you have one running" says more than "the server is full".
            guard open[caller, default: 0] < Self.exportsPerCallerMax else { throw TooManyExportsError(caller: true) }
            guard total < Self.exportsPerServerMax else { throw TooManyExportsError(caller: false) }
            open[caller, default: 0] += 1
        }
    }

    func leave(_ caller: UUID) {
        open.withLock { open in
            open[caller, default: 0] -= 1
            if open[caller] == 0 { open[caller] = nil }
        }
    }
}

/// How long a snapshot may live: a client that has not started reading by ``firstRead`` loses it (it holds an
/// export's place for nothing), and none is held longer than ``whole``, however slowly its client reads.
public struct ExportDeadlines: Hashable, Sendable {
    public let firstRead: Duration
    public let whole: Duration

    /// 30 seconds to start; 15 minutes in all, three times what a million entries take to export here.
    public static let standard = ExportDeadlines(firstRead: .seconds(30), whole: .seconds(900))

    public init(firstRead: Duration, whole: Duration) {
        precondition(firstRead <= whole, "an export cannot have to start after it must end")
        self.firstRead = firstRead
        self.whole = whole
    }
}

/// An export refused because enough are running already (429): come back after ``retryAfterSeconds``.
public struct TooManyExportsError: Error, Hashable, Sendable, ProblemDescribing {
    /// Whether it is the caller's own limit (else the server's).
    let caller: Bool
    /// Exports of a year take seconds; a minute leaves room for one to finish.
    static let retryAfterSeconds = 60

    public var problem: ProblemFacts {
        let detail =
            caller
            ? "you have an export running; one at a time, and this one may start when it ends"
            : "\(ExportGate.exportsPerServerMax) exports are running on this server; try again in a minute"
        return ProblemFacts(
            status: 429, kind: "too-many-exports", detail: detail, retryAfterSeconds: Self.retryAfterSeconds)
    }
}
