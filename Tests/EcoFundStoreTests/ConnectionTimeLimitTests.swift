import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

@testable import EcoFundStore

/// The time limit of work on one connection (``PostgresConnection/withTimeLimit(_:_:)``), against a real PostgreSQL.
@Suite struct ConnectionTimeLimitTests {
    /// The hang the failover drill met: a statement written to a connection that has just closed is never answered
    /// by PostgresNIO 1.33, and closing the connection again does nothing. The time limit still ends the wait, with
    /// its own error. (If PostgresNIO one day answers such a statement with an error, that error comes back instead,
    /// and the second expectation says so.)
    @Test func aStatementOnAClosedConnectionIsGivenUpAtTheTimeLimit() async throws {
        try await TestDatabase.with(within: .seconds(60)) { database in
            try await database.withApp { app in
                try await app.client.withConnection { connection in
                    try await connection.close()
                    // Let the channel finish closing and its handlers leave the pipeline.
                    try await Task.sleep(for: .milliseconds(200))
                    let started = ContinuousClock.now
                    let error = await #expect(throws: (any Error).self) {
                        try await connection.withTimeLimit(.seconds(1)) {
                            try await connection.run("SELECT 1", logger: app.logger)
                        }
                    }
                    #expect(
                        error is TimeLimitExceeded, "PostgresNIO answered the statement: \(String(describing: error))")
                    #expect(ContinuousClock.now - started >= .seconds(1))
                }
            }
        }
    }

    /// Work that ends in time gives its result, and the connection stays open for the next.
    @Test func workWithinTheLimitReturnsItsResultAndKeepsTheConnection() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                try await app.client.withConnection { connection in
                    let value = try await connection.withTimeLimit(.seconds(5)) {
                        let rows = try await connection.query("SELECT 41 + 1", logger: app.logger)
                        for try await value in rows.decode(Int.self) { return value }
                        return 0
                    }
                    #expect(value == 42)
                    #expect(!connection.isClosed)
                }
            }
        }
    }

    /// Work that runs too long on a connection that is alive is cut off: the connection is closed, so that
    /// nothing more of it reaches the database, and the statement it was waiting on ends with the connection.
    @Test func workPastTheLimitOnALiveConnectionClosesIt() async throws {
        try await TestDatabase.with(within: .seconds(60)) { database in
            try await database.withApp { app in
                try await app.client.withConnection { connection in
                    await #expect(throws: TimeLimitExceeded.self) {
                        try await connection.withTimeLimit(.milliseconds(500)) {
                            try await connection.run("SELECT pg_sleep(5)", logger: app.logger)
                        }
                    }
                    #expect(connection.isClosed)
                }
            }
        }
    }

    /// A connection closed by its last user as it hands it back may be handed straight to the next (the pool has not
    /// seen the close yet). The next one's work must still end — with its result, or 503 if its statement met the
    /// closing connection — and never wait for ever. (Handed out once it is closed, it is skipped by the lease.)
    @Test func workOnAConnectionClosedAsItWasHandedBackEndsEitherWay() async throws {
        try await TestDatabase.with(within: .seconds(60)) { database in
            try await Database.withPool(database.appURL, connectionsMax: 1, logger: TestDatabase.logger) { app in
                for _ in 1...20 {
                    try await app.client.withConnection { connection in
                        _ = connection.close() as EventLoopFuture<Void>
                    }
                    do {
                        let rows = try await app.read { connection in
                            try await connection.query("SELECT 1", logger: app.logger).collect().count
                        }
                        #expect(rows == 1)
                    } catch let error as StoreError {
                        #expect(error.code == .unavailable)
                    }
                }
                // With one connection, once the close was seen, later leases get a fresh connection that answers.
                let after = try await app.read { connection in
                    try await connection.query("SELECT 1", logger: app.logger).collect().count
                }
                #expect(after == 1)
            }
        }
    }
}
