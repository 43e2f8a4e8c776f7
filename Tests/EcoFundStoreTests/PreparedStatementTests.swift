import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

@testable import EcoFundStore

/// The write path's prepared statements (``HotStatement``), against a real PostgreSQL, on a pool of one connection so
/// that each lease gets the connection the last one had, unless it was closed.
@Suite struct PreparedStatementTests {
    private struct Answer: HotStatement {
        static let sql = "SELECT $1::integer + 1"
        let value: Int32

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(value)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
    }

    private enum Other {
        struct Answer: HotStatement {
            static let sql = "SELECT $1::integer + 2"
            func makeBindings() -> PostgresBindings { PostgresBindings() }
            func decodeRow(_ row: PostgresRow) throws {}
        }
    }

    /// A hot statement is prepared once on a connection, under its short name, and executed by name after.
    @Test func aStatementIsPreparedOnceAndExecutedByNameAfter() async throws {
        try await TestDatabase.with { database in
            try await Database.withPool(database.appURL, connectionsMax: 1, logger: TestDatabase.logger) { pool in
                let answers = try await pool.read { connection in
                    var answers: [Int32] = []
                    for value in [1, 41, -1] as [Int32] {
                        answers += try await connection.execute(hot: Answer(value: value), logger: pool.logger)
                    }
                    return answers
                }
                #expect(answers == [2, 42, 0])
                let prepared = try await pool.read { connection in
                    let rows = try await connection.query(
                        "SELECT name, statement FROM pg_prepared_statements", logger: pool.logger)
                    var prepared: [String: String] = [:]
                    for try await (name, sql) in rows.decode((String, String).self) { prepared[name] = sql }
                    return prepared
                }
                #expect(prepared == [Answer.name: Answer.sql])
                #expect(Answer.name.hasPrefix("ecofund_Answer_") && Answer.name.utf8.count <= 63)
                // Another statement of the same short name gets a name of its own.
                #expect(Answer.name != Other.Answer.name)
            }
        }
    }

    /// PostgresNIO keeps a failed preparation for the life of its connection: a statement first sent in a
    /// transaction that had already failed would fail so on that connection for ever, even in a healthy one. The
    /// connection is closed when that lease ends, and the next lease prepares it afresh on a new one.
    @Test func aPreparationThatFailedDoesNotOutliveItsLease() async throws {
        try await TestDatabase.with { database in
            try await Database.withPool(database.appURL, connectionsMax: 1, logger: TestDatabase.logger) { pool in
                let firstProcess = try await pool.read { connection in
                    try await connection.query("BEGIN", logger: pool.logger)
                    await #expect(throws: PSQLError.self) {
                        try await connection.run("SELECT 1 / 0", logger: pool.logger)
                    }
                    let error = await #expect(throws: PSQLError.self) {
                        try await connection.execute(hot: Answer(value: 1), logger: pool.logger)
                    }
                    #expect(error?.sqlState == "25P02")  // in_failed_sql_transaction: refused at preparation
                    try await connection.query("ROLLBACK", logger: pool.logger)
                    return try await Self.backend(of: connection, logger: pool.logger)
                }
                let (answer, secondProcess) = try await pool.read { connection in
                    let answer = try await connection.execute(hot: Answer(value: 41), logger: pool.logger)
                    return (answer, try await Self.backend(of: connection, logger: pool.logger))
                }
                #expect(answer == [42])
                #expect(secondProcess != firstProcess, "the connection whose preparation failed was handed out again")
            }
        }
    }

    /// A statement that PostgreSQL prepared and then refused for its values (a check, a constraint) leaves its
    /// connection as it was: that refusal is the write's own answer, and nothing about the connection.
    @Test func aRefusalOfTheValuesKeepsTheConnection() async throws {
        try await TestDatabase.with { database in
            try await Database.withPool(database.appURL, connectionsMax: 1, logger: TestDatabase.logger) { pool in
                let firstProcess = try await pool.read { connection in
                    _ = try await connection.execute(hot: Answer(value: 1), logger: pool.logger)
                    let error = await #expect(throws: PSQLError.self) {
                        try await connection.execute(hot: Answer(value: .max), logger: pool.logger)
                    }
                    #expect(error?.sqlState == "22003")  // numeric_value_out_of_range
                    return try await Self.backend(of: connection, logger: pool.logger)
                }
                let secondProcess = try await pool.read { connection in
                    try await Self.backend(of: connection, logger: pool.logger)
                }
                #expect(secondProcess == firstProcess)
            }
        }
    }

    private static func backend(of connection: PostgresConnection, logger: Logger) async throws -> Int32 {
        for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) {
            return pid
        }
        return 0
    }
}
