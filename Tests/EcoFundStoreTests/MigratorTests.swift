import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

@Suite struct MigratorTests {
    @Test func splitsStatementsButNotInsideBodiesStringsOrComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (b text DEFAULT ';');
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            /* block; comment */ DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT '$1;'
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[1].contains("SELECT 1; $$"))
        #expect(statements[2].contains("PERFORM 1; END"))
    }

    @Test func migratingTwiceAppliesNothingTheSecondTime() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withOwner { (owner: Database) async throws in
                let migrator = try Migrator(directory: TestDatabase.schemaDirectory)
                #expect(try await migrator.migrate(owner).isEmpty)
            }
        }
    }

    @Test func aChangedAppliedMigrationIsRefusedWithAClearMessage() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            for name in try FileManager.default.contentsOfDirectory(atPath: TestDatabase.schemaDirectory.path) {
                var sql = try String(
                    contentsOf: TestDatabase.schemaDirectory.appendingPathComponent(name), encoding: .utf8)
                if name.hasPrefix("001") { sql += "\n-- edited after it was applied\n" }
                try sql.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try await database.withOwner { (owner: Database) async throws in
                let error = await #expect(throws: ConfigurationError.self) {
                    try await Migrator(directory: directory).migrate(owner)
                }
                #expect(error?.description.contains("001_ledger.sql was changed after it was applied") == true)
            }
        }
    }
}
