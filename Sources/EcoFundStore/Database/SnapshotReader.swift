import CLibPQ
import Foundation

/// One libpq connection inside one REPEATABLE READ, READ ONLY transaction: every query and `COPY … TO STDOUT` it runs
/// sees the same snapshot. This is the only place the service uses libpq, for the one job PostgresNIO cannot do:
/// streaming millions of rows out with PostgreSQL's own COPY (DESIGN.md, Stack).
///
/// libpq blocks, so every call runs on the reader's own serial queue and the caller awaits it. `copy` hands out
/// chunks of whole rows and reads the next chunk only when the consumer has taken the last: memory stays constant
/// however slow the consumer is.
public final class SnapshotReader: @unchecked Sendable {
    /// A chunk is handed to the consumer once it holds at least this many bytes (or the COPY has ended).
    public static let chunkBytes = 256 * 1024
    /// A COPY of a million rows takes seconds; the pool's 10 s statement timeout would be too tight for it.
    public static let statementTimeoutMs = 600_000

    /// A libpq connection, touched only on the reader's queue.
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let connection: Handle
    private let queue: DispatchQueue
    private var closed = false

    /// Connects with the pool's settings (``DatabaseURL``) and begins the snapshot.
    public static func open(_ url: DatabaseURL) async throws -> SnapshotReader {
        let queue = DispatchQueue(label: "ecofund.snapshot-reader")
        let connection: Handle = try await run(on: queue) {
            let parameters: [(String, String)] = [
                ("host", url.host), ("port", "\(url.port)"), ("user", url.username), ("password", url.password ?? ""),
                ("dbname", url.database), ("sslmode", url.sslMode),
                ("connect_timeout", "\(Database.connectTimeoutSeconds)"), ("application_name", "ecofund-export"),
                ("client_encoding", "UTF8"),
                (
                    "options",
                    "-c statement_timeout=\(statementTimeoutMs) -c lock_timeout=\(Database.lockTimeoutMs) "
                        + "-c idle_in_transaction_session_timeout=\(Database.idleInTransactionTimeoutMs) -c TimeZone=UTC"
                ),
            ]
            let keywords = parameters.map { strdup($0.0) }
            let values = parameters.map { strdup($0.1) }
            defer { (keywords + values).forEach { free($0) } }
            let keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
            let valuePointers = values.map { UnsafePointer($0) } + [nil]
            guard let connection = PQconnectdbParams(keywordPointers, valuePointers, 0) else {
                throw SnapshotReaderError(
                    sqlState: nil, message: "libpq could not allocate a connection", isConnectionLoss: true)
            }
            guard PQstatus(connection) == CONNECTION_OK else {
                let message = Self.message(connection)
                PQfinish(connection)
                throw SnapshotReaderError(sqlState: nil, message: message, isConnectionLoss: true)
            }
            return Handle(pointer: connection)
        }
        let reader = SnapshotReader(connection: connection, queue: queue)
        do {
            _ = try await reader.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        } catch {
            await reader.close()
            throw error
        }
        return reader
    }

    private init(connection: Handle, queue: DispatchQueue) {
        self.connection = connection
        self.queue = queue
    }

    deinit {
        if !closed { PQfinish(connection.pointer) }
    }

    /// Runs a small query with text parameters `$1`, `$2`, … and returns its rows as text (nil for NULL). For a
    /// handful of rows, not for bulk.
    public func query(_ sql: String, _ parameters: [String] = []) async throws -> [[String?]] {
        try await onQueue { connection in
            let values = parameters.map { strdup($0) }
            defer { values.forEach { free($0) } }
            let pointers = values.map { UnsafePointer($0) }
            guard let result = PQexecParams(connection, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
            else { throw Self.failure(connection, sql) }
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else { throw Self.resultFailure(result, sql) }
            return (0..<PQntuples(result)).map { row in
                (0..<PQnfields(result)).map { column in
                    PQgetisnull(result, row, column) == 1
                        ? nil : String(cString: PQgetvalue(result, row, column))
                }
            }
        }
    }

    /// Runs `COPY (…) TO STDOUT …` and hands its output to `consume` in chunks of whole rows, in order. With
    /// `crlf`, each row ends in CR LF instead of PostgreSQL's LF (RFC 4180); a line break inside a quoted field is
    /// left as it is.
    public func copy(_ sql: String, crlf: Bool = false, into consume: ([UInt8]) async throws -> Void) async throws {
        try await onQueue { connection in
            guard let result = PQexec(connection, sql) else { throw Self.failure(connection, sql) }
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COPY_OUT else { throw Self.resultFailure(result, sql) }
        }
        while true {
            let (chunk, done) = try await onQueue { connection -> ([UInt8], Bool) in
                var chunk: [UInt8] = []
                chunk.reserveCapacity(Self.chunkBytes + 4096)
                while chunk.count < Self.chunkBytes {
                    var buffer: UnsafeMutablePointer<CChar>? = nil
                    let length = PQgetCopyData(connection, &buffer, 0)
                    if length > 0, let buffer {
                        buffer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                            chunk.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
                        }
                        if crlf, chunk.last == UInt8(ascii: "\n") {
                            chunk.insert(UInt8(ascii: "\r"), at: chunk.count - 1)
                        }
                        PQfreemem(buffer)
                    } else if length == -1 {
                        // The COPY is done; its final result says whether it succeeded.
                        while let result = PQgetResult(connection) {
                            defer { PQclear(result) }
                            guard PQresultStatus(result) == PGRES_COMMAND_OK else {
                                throw Self.resultFailure(result, sql)
                            }
                        }
                        return (chunk, true)
                    } else {
                        throw Self.failure(connection, sql)
                    }
                }
                return (chunk, false)
            }
            if !chunk.isEmpty { try await consume(chunk) }
            if done { return }
        }
    }

    /// Ends the transaction and the connection. Safe to call more than once.
    public func close() async {
        try? await onQueue { connection in
            PQfinish(connection)
            self.closed = true
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let connection = self.connection
        return try await Self.run(on: queue) {
            guard !self.closed else {
                throw SnapshotReaderError(sqlState: nil, message: "the connection is closed", isConnectionLoss: true)
            }
            return try body(connection.pointer)
        }
    }

    private static func run<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T)
        async throws -> T
    {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private static func message(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func failure(_ connection: OpaquePointer, _ sql: String) -> any Error {
        SnapshotReaderError(
            sqlState: nil, message: message(connection), isConnectionLoss: PQstatus(connection) != CONNECTION_OK)
    }

    private static func resultFailure(_ result: OpaquePointer, _ sql: String) -> any Error {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let lost = state.map { $0.hasPrefix("08") || ["57P01", "57P03", "57014", "25P03"].contains($0) } ?? false
        return SnapshotReaderError(sqlState: state, message: message, isConnectionLoss: lost)
    }
}

/// libpq failed: the connection (or the server) went away, or a query failed. `message` is libpq's and the server's
/// text, with host, port and the server's own words: for the log, never for a caller.
public struct SnapshotReaderError: Error, CustomStringConvertible {
    public let sqlState: String?
    public let message: String
    /// The connection was lost or refused, or the server ended the statement (a timeout): worth trying again.
    public let isConnectionLoss: Bool
    public var description: String { "\(message)\(sqlState.map { " (SQLSTATE \($0))" } ?? "")" }
}
