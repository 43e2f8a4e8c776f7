import Logging
import PostgresNIO
import Synchronization

/// A statement every batched write sends, prepared once on each connection and executed by name after: PostgreSQL
/// then neither parses nor plans it again. In the commit queue a batch's statements run one after another, so the
/// time PostgreSQL spends on each is the batch's; parsing and planning were about a sixth of it (BENCHMARKS.md).
///
/// Only the write path's fixed statements are prepared. A statement whose text depends on its filters stays a
/// ``PostgresQuery``.
protocol HotStatement: PostgresPreparedStatement {}

extension HotStatement {
    /// The type's short name and a hash of its SQL: PostgreSQL cuts a statement name at 63 bytes, so the default
    /// (the Swift type's full name) could be cut into another's; and PostgresNIO sends a statement's SQL only the
    /// first time its name is used on a connection, so two statements sharing a name would run the first one's SQL.
    /// (The hash is this process's, as a connection's prepared statements are.)
    static var name: String {
        "ecofund_\(String(describing: Self.self))_\(String(UInt(bitPattern: sql.hashValue), radix: 16))"
    }
}

extension PostgresConnection {
    /// Executes `statement`, preparing it on this connection the first time, and returns its rows.
    ///
    /// PostgresNIO remembers a failed preparation for the life of the connection and fails every later execution of
    /// that statement on it with the same error. A preparation can fail for a reason of the moment (the transaction
    /// already aborted, a lock or statement timeout, a lost connection), so on any error that is not the statement's
    /// own refusal of its values the connection is marked, and ``Database`` closes it when its lease ends instead of
    /// handing it out again.
    func execute<Statement: HotStatement>(hot statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        do {
            var rows: [Statement.Row] = []
            for try await row in try await execute(statement, logger: logger) { rows.append(row) }
            return rows
        } catch let error as PSQLError where !error.isRefusalOfValues {
            Self.toClose.withLock { _ = $0.insert(ObjectIdentifier(self)) }
            throw error
        }
    }

    /// Connections marked by ``execute(hot:logger:)`` whose lease has not ended yet.
    private static let toClose = Mutex<Set<ObjectIdentifier>>([])

    /// Whether ``execute(hot:logger:)`` marked this connection to be closed; unmarks it.
    func takeMarkToClose() -> Bool {
        Self.toClose.withLock { $0.remove(ObjectIdentifier(self)) != nil }
    }
}

extension PSQLError {
    /// The server refused the statement's values (a constraint, a check of a trigger, bad data): the statement was
    /// prepared, and it is the execution that failed.
    fileprivate var isRefusalOfValues: Bool {
        guard code == .server, let state = sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("P0")
    }
}
