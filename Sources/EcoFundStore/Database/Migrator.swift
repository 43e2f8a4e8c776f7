import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `Schema/` in order, each recorded with its SHA-256, all in one transaction.
///
/// A file that was changed after it was applied is refused: migrations are history, and the fix for a bad one
/// is a new one.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Hashable {
        public let version: Int
        public let name: String
        public let sql: String
        public var checksum: String {
            SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
        }
    }

    public let migrations: [Migration]

    /// One SHA-256 over every migration's checksum: changes when any migration does.
    public var fingerprint: String {
        SHA256.hash(data: Data(migrations.map(\.checksum).joined().utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads `NNN_name.sql` files from `directory`.
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        var migrations: [Migration] = []
        for name in names {
            guard let version = Int(name.prefix(while: \.isNumber)), version > 0 else {
                throw ConfigurationError("migration \(name) must start with its number, such as 001_ledger.sql")
            }
            guard migrations.last.map({ $0.version < version }) ?? true else {
                throw ConfigurationError("migration number \(version) is used twice")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        guard !migrations.isEmpty else { throw ConfigurationError("no migrations in \(directory.path)") }
        self.migrations = migrations
    }

    /// The `Schema/` directory: `ECOFUND_SCHEMA_DIR`, else `Schema` under the working directory.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        URL(fileURLWithPath: environment["ECOFUND_SCHEMA_DIR"] ?? "Schema", isDirectory: true)
    }

    /// Applies what is not yet applied; returns the names applied now.
    @discardableResult
    public func migrate(_ database: Database) async throws -> [String] {
        let logger = database.logger
        return try await database.transaction { connection in
            try await connection.query("SET LOCAL lock_timeout = 0", logger: logger)
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext('ecofund.migrate'))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: [Int: (String, String)] = [:]
            for try await (version, name, checksum) in try await connection.query(
                "SELECT version, name, checksum FROM schema_migrations", logger: logger
            ).decode((Int, String, String).self) {
                applied[version] = (name, checksum)
            }
            var appliedNow: [String] = []
            for migration in migrations {
                if let (name, checksum) = applied[migration.version] {
                    guard checksum == migration.checksum else {
                        throw ConfigurationError(
                            "migration \(migration.name) was changed after it was applied as \(name) "
                                + "(recorded checksum \(checksum.prefix(12))…, file now \(migration.checksum.prefix(12))…); "
                                + "restore the file and put the change in a new migration")
                    }
                    continue
                }
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
                appliedNow.append(migration.name)
            }
            return appliedNow
        }
    }
}
