import Crypto
import EcoFundCore
import EcoFundStore
import Foundation
import Logging
import PostgresNIO

/// A database of its own for one test, cloned from a migrated template holding the reference data, and dropped
/// afterwards. Tests run in parallel and never see each other's rows.
///
/// `Scripts/test.sh` starts a throwaway cluster and sets `ECOFUND_TEST_DATABASE_URL` to its superuser connection.
public struct TestDatabase: Sendable {
    /// The schema owner's connection (a superuser: it may also bypass the code, as tamper tests do).
    public let ownerURL: DatabaseURL
    /// The service's connection, as the least-privileged `ecofund_app` role.
    public let appURL: DatabaseURL
    public let name: String

    public static let logger: Logger = {
        var logger = Logger(label: "ecofund-test")
        logger.logLevel =
            ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    /// Runs `body` with a fresh database, then drops it.
    public static func with<Result: Sendable>(_ body: @Sendable (TestDatabase) async throws -> Result) async throws
        -> Result
    {
        let server = try serverURL()
        let template = try await Template.shared.name(server: server)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await admin(server) { connection in
            // CREATE DATABASE … TEMPLATE fails while another session is connected to the template, and a clone in
            // progress is such a session: clones wait for each other under an advisory lock (across test processes
            // too) instead of failing each other when many tests start at once. A session of something else on the
            // template is retried briefly. The lock ends with this session, when `admin` closes its connection. The
            // wait is the service's timeouts' business no more (they would cut it off after 5 s of other clones).
            try await connection.query("SET lock_timeout = 0", logger: logger)
            try await connection.query("SET statement_timeout = 0", logger: logger)
            try await connection.query("SELECT pg_advisory_lock(hashtext('ecofund.test-clone'))", logger: logger)
            for attempt in 1...20 {
                do {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"), logger: logger)
                    return
                } catch let error as PSQLError where error.sqlState == "55006" && attempt < 20 {
                    try await Task.sleep(for: .milliseconds(50 * attempt))
                }
            }
        }
        let database = TestDatabase(
            ownerURL: server.with(database: name),
            appURL: server.with(database: name).with(username: "ecofund_app", password: nil),
            name: name)
        do {
            let result = try await body(database)
            try await database.drop(server)
            return result
        } catch {
            try? await database.drop(server)
            throw error
        }
    }

    /// Runs `body` with a pool connected as the service role.
    public func withApp<Result: Sendable>(_ body: @Sendable (Database) async throws -> Result) async throws -> Result {
        try await Database.withPool(appURL, connectionsMax: 20, logger: Self.logger, body)
    }

    /// Runs `body` with a pool connected as the owner (superuser), to do what the code never does.
    public func withOwner<Result: Sendable>(_ body: @Sendable (Database) async throws -> Result) async throws -> Result
    {
        try await Database.withPool(ownerURL, connectionsMax: 4, logger: Self.logger, body)
    }

    /// The number of rows of `table` (with any `WHERE` written after it), counted by the owner.
    /// Sessions the exports' libpq connections hold in this database, once those whose client has gone have left:
    /// a backend stays in `pg_stat_activity` a moment after its client's Terminate (long enough, on a loaded CI
    /// machine, to be counted right after the export was answered). Waits at most `settling` for the count to reach 0.
    public func exportSessions(settling: Duration = .seconds(5)) async throws -> Int {
        let deadline = ContinuousClock.now + settling
        while true {
            let open = try await count(
                "pg_stat_activity WHERE application_name = 'ecofund-export' AND datname = current_database()")
            guard open > 0, ContinuousClock.now < deadline else { return open }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    public func count(_ table: String) async throws -> Int {
        try await withOwner { owner in
            try await owner.read { connection in
                var count = 0
                for try await n in try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: owner.logger
                )
                .decode(Int.self) { count = n }
                return count
            }
        }
    }

    /// A caller of the services with `role`, a user of this database (made by the owner through a token, as the
    /// command line makes the first admin: the service role makes people who can move money only when approved).
    /// Sealer rounds, signed with the Ed25519 key of raw bytes `keyBytes`, until every committed event is in the log (a round seals only
    /// transactions older than every open one in the cluster, and other tests run beside this one).
    public func sealEverything(keyBytes: Data) async throws {
        try await withApp { app in
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
            try await app.client.withConnection { connection in
                for _ in 1...200 {
                    _ = try await Sealer(database: app, key: key).sealRound(on: connection)
                    let rows = try await connection.query(
                        """
                        SELECT count(*) FROM audit_events e
                         WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)
                        """, logger: app.logger)
                    for try await unsealed in rows.decode(Int.self) where unsealed == 0 { return }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
    }

    public func principal(_ role: Role, subject: String? = nil, jurisdiction: String? = nil) async throws -> Principal {
        try await withOwner { owner in
            let service = TokenService(database: owner)
            let request = try TokenRequest(
                subject: subject ?? "test.\(role.rawValue)\(jurisdiction.map { ".\($0)" } ?? "")",
                role: role.rawValue, jurisdiction: jurisdiction, lifetimeDays: 1)
            guard let token = try await service.bootstrap(request).token else {
                preconditionFailure("a token just issued shows its secret")
            }
            return try await service.authenticate(token)
        }
    }

    private func drop(_ server: DatabaseURL) async throws {
        try await Self.admin(server) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Self.logger)
        }
    }

    public static func serverURL() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["ECOFUND_TEST_DATABASE_URL"] else {
            throw ConfigurationError("ECOFUND_TEST_DATABASE_URL is not set: run the tests through Scripts/test.sh")
        }
        return try DatabaseURL(text)
    }

    @discardableResult
    static func admin<Result: Sendable>(
        _ server: DatabaseURL, _ body: @Sendable (PostgresConnection) async throws -> Result
    )
        async throws -> Result
    {
        try await Database.withPool(server, connectionsMax: 1, logger: logger) { database in
            try await database.client.withConnection { try await body($0) }
        }
    }

    /// The directory of the migrations: `ECOFUND_SCHEMA_DIR`, else `Schema/` of this checkout.
    public static var schemaDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["ECOFUND_SCHEMA_DIR"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schema")
    }
}

/// The migrated template, built once per test process (and shared between processes through its name, which
/// carries the migrations' checksum, under an advisory lock).
actor Template {
    static let shared = Template()
    private var built: String?

    func name(server: DatabaseURL) async throws -> String {
        if let built { return built }
        let migrator = try Migrator(directory: TestDatabase.schemaDirectory)
        let name = "ecofund_tpl_" + String(migrator.fingerprint.prefix(16))
        let logger = TestDatabase.logger
        try await TestDatabase.admin(server) { connection in
            try await connection.query("SELECT pg_advisory_lock(hashtext('ecofund.test-template'))", logger: logger)
            let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
                try await Database.withPool(server.with(database: name), connectionsMax: 1, logger: logger) { owner in
                    try await migrator.migrate(owner)
                    try await DemoSeed.loadReferenceData(into: owner)
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) IS_TEMPLATE true"), logger: logger)
            }
            try await connection.query("SELECT pg_advisory_unlock(hashtext('ecofund.test-template'))", logger: logger)
        }
        built = name
        return name
    }
}
