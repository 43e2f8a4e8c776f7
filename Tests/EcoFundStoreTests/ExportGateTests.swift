import Crypto
import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// Exports are bounded: each holds a PostgreSQL connection and a snapshot beside the pool, and 110 at once from one
/// auditor left the database with no connections for anyone else. Now one per caller and two per server run; the
/// rest are refused at once (429 with a time to come back); a snapshot nobody reads, or one read too long, is closed.
@Suite struct ExportGateTests {
    static let keyBytes = Data(repeating: 13, count: 32)

    /// Three auditors, and every event sealed, so that an export may open at once.
    static func prepare(_ database: TestDatabase) async throws -> [Principal] {
        var auditors: [Principal] = []
        for name in ["a", "b", "c"] {
            auditors.append(try await database.principal(.auditor, subject: "auditor.\(name)"))
        }
        try await database.sealEverything(keyBytes: keyBytes)
        return auditors
    }

    @Test func oneExportPerCallerAndTwoPerServerTheRestRefusedAtOnce() async throws {
        try await TestDatabase.with { database in
            let auditors = try await Self.prepare(database)
            try await database.withApp { app in
                let log = AuditLog(database: app, exportDatabaseURL: database.appURL)
                let first = try await log.openExport(.everyDate, by: auditors[0])
                let again = await #expect(throws: TooManyExportsError.self) {
                    _ = try await log.openExport(.everyDate, by: auditors[0])
                }
                #expect(again?.problem.status == 429 && again?.problem.retryAfterSeconds == 60)
                let second = try await log.openExport(.everyDate, by: auditors[1])
                let third = await #expect(throws: TooManyExportsError.self) {
                    _ = try await log.openExport(.everyDate, by: auditors[2])
                }
                #expect(third?.problem.detail.contains("2 exports are running") == true)
                // A place given back is taken again.
                await first.close()
                let replacement = try await log.openExport(.everyDate, by: auditors[2])
                await second.close()
                await replacement.close()
                // PostgreSQL holds no export session once they are closed.
                #expect(try await database.exportSessions() == 0)
            }
        }
    }

    @Test func aSnapshotNobodyReadsOrReadTooLongIsClosed() async throws {
        try await TestDatabase.with { database in
            let auditors = try await Self.prepare(database)
            try await database.withApp { app in
                let log = AuditLog(
                    database: app, exportDatabaseURL: database.appURL,
                    exportDeadlines: ExportDeadlines(firstRead: .milliseconds(300), whole: .seconds(2)))
                // Never read: closed after the first-read deadline, and the caller may export again.
                _ = try await log.openExport(.everyDate, by: auditors[0])
                try await Task.sleep(for: .seconds(1))
                let reading = try await log.openExport(.everyDate, by: auditors[0])
                // Read, then held past the whole deadline: closed under the reader.
                try await reading.copy(.jurisdictions) { _ in }
                try await Task.sleep(for: .seconds(3))
                await #expect(throws: (any Error).self) { try await reading.copy(.accounts) { _ in } }
                #expect(try await database.exportSessions() == 0)
            }
        }
    }
}
