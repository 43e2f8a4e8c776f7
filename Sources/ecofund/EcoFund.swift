import ArgumentParser
import EcoFundAPI
import EcoFundConsole
import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The `ecofund` command: reads configuration from the environment and calls into the library targets.
@main
struct EcoFund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecofund",
        abstract: "The books of the Beijing–Tianjin–Hebei ecological compensation fund.",
        discussion: """
            Environment: DATABASE_URL (the service's connection, as role ecofund_app), DATABASE_READ_URL (optional:
            a read-only connection, such as a replica, for reports and audit exports), DATABASE_MIGRATION_URL (the
            schema owner's connection for migrate and seed-demo; defaults to DATABASE_URL), ECOFUND_HOST,
            ECOFUND_PORT, ECOFUND_SCHEMA_DIR (default ./Schema), ECOFUND_SIGNING_KEY (path of the checkpoint key;
            with it, serve also runs the sealer), ECOFUND_SHUTDOWN_SECONDS (how long serve drains requests after
            SIGTERM; default 25), ECOFUND_METRICS_PORT and ECOFUND_METRICS_HOST (where GET /metrics listens, apart
            from the API; unset: no metrics; host default 127.0.0.1), LOG_LEVEL (trace … critical; default info),
            LOG_FORMAT (json, the default, or text).
            """,
        subcommands: [
            Serve.self, Migrate.self, SeedDemo.self, TokenCommand.self, UserCommand.self, Keygen.self, Export.self,
            Verify.self,
            Bench.self,
        ])
}

/// Reads the environment once.
struct Environment {
    let values = ProcessInfo.processInfo.environment

    func databaseURL() throws -> DatabaseURL {
        guard let text = values["DATABASE_URL"], !text.isEmpty else {
            throw ValidationError("DATABASE_URL is not set (postgres://user@host:port/database)")
        }
        return try DatabaseURL(text)
    }

    func migrationDatabaseURL() throws -> DatabaseURL {
        if let text = values["DATABASE_MIGRATION_URL"], !text.isEmpty { return try DatabaseURL(text) }
        return try databaseURL()
    }

    /// An integer variable within `range`, or `fallback` when it is not set.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int, _ meaning: String) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else { throw ValidationError("\(name) must be \(meaning)") }
        return value
    }

    func readDatabaseURL() throws -> DatabaseURL? {
        guard let text = values["DATABASE_READ_URL"], !text.isEmpty else { return nil }
        return try DatabaseURL(text)
    }

    /// Sends every logger's lines through ``JSONLogHandler`` (one object per line) unless `LOG_FORMAT=text`.
    func bootstrapLogging() throws {
        switch values["LOG_FORMAT"] ?? "json" {
        case "json":
            LoggingSystem.bootstrap(
                { label, provider in JSONLogHandler(label: label, metadataProvider: provider) },
                metadataProvider: .requestID)
        case "text":
            LoggingSystem.bootstrap(
                { label, provider in StreamLogHandler.standardError(label: label, metadataProvider: provider) },
                metadataProvider: .requestID)
        default:
            throw ValidationError("LOG_FORMAT must be json or text")
        }
    }

    func logger() -> Logger {
        var logger = Logger(label: "ecofund")
        logger.logLevel = values["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API (/v1) and the console (/).")

    @Flag(help: "Apply pending migrations (through DATABASE_MIGRATION_URL) before listening.")
    var migrate = false

    func run() async throws {
        let environment = Environment()
        let port = try environment.integer("ECOFUND_PORT", in: 0...65535, default: 8080, "a port number")
        let shutdownSeconds = try environment.integer(
            "ECOFUND_SHUTDOWN_SECONDS", in: 1...3600, default: 25, "a whole number of seconds, 1 to 3600")
        let metricsPort = try environment.values["ECOFUND_METRICS_PORT"].map { _ in
            try environment.integer("ECOFUND_METRICS_PORT", in: 1...65535, default: 0, "a port number")
        }
        try environment.bootstrapLogging()
        let configuration = AppConfiguration(
            host: environment.values["ECOFUND_HOST"] ?? "127.0.0.1", port: port,
            databaseURL: try environment.databaseURL(), readDatabaseURL: try environment.readDatabaseURL(),
            migrationDatabaseURL: migrate ? try environment.migrationDatabaseURL() : nil,
            logLevel: environment.logger().logLevel,
            signingKey: try environment.values["ECOFUND_SIGNING_KEY"].map { try SigningKeyFile.load($0) },
            metricsPort: metricsPort, metricsHost: environment.values["ECOFUND_METRICS_HOST"] ?? "127.0.0.1")
        let console = ConsoleConfiguration(secureCookies: environment.values["ECOFUND_INSECURE_COOKIES"] != "1")
        let app = try await buildApplication(configuration) { router, database, tokens, auditLog in
            try Console(database: database, tokens: tokens, auditLog: auditLog, configuration: console).register(
                on: router)
        }
        // SIGTERM (or Ctrl-C) stops new connections and lets requests in flight finish, for at most the drain time;
        // whatever still runs then is cancelled (its transaction rolls back), and after 5 s more the process ends
        // regardless, so an orchestrator's stop never waits on a database that has gone.
        var group = ServiceGroupConfiguration(
            services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [.sigquit], logger: environment.logger())
        group.maximumGracefulShutdownDuration = .seconds(shutdownSeconds)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations from Schema/.")

    func run() async throws {
        let environment = Environment()
        let logger = environment.logger()
        let migrator = try Migrator(directory: Migrator.defaultDirectory())
        let applied = try await Database.withPool(
            try environment.migrationDatabaseURL(), connectionsMax: 1, logger: logger
        ) {
            try await migrator.migrate($0)
        }
        print(applied.isEmpty ? "schema is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}

struct SeedDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Load the demo jurisdictions, accounts, pledges and contributions (idempotent).")

    func run() async throws {
        let environment = Environment()
        try await Database.withPool(try environment.migrationDatabaseURL(), logger: environment.logger()) {
            try await DemoSeed.load(into: $0)
        }
        print("demo data loaded")
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the people who sign in to the console.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a person and print their activation code once, on standard output.",
            discussion: """
                For the first people, or whoever holds the database: it connects as the schema owner
                (DATABASE_MIGRATION_URL, else DATABASE_URL), which the rule that a second admin approves people who
                can move money does not bind. The person sets a password at /activate within 72 hours.
                """)

        @Option(help: "finance, approver, assessor, auditor or admin.")
        var role: String
        @Option(help: "The person's login name.")
        var subject: String
        @Option(help: "The jurisdiction of a finance official.")
        var jurisdiction: String?

        func run() async throws {
            let environment = Environment()
            let person: NewPerson
            do {
                person = try NewPerson(subject: subject, role: role, jurisdiction: jurisdiction)
            } catch {
                throw ValidationError("\(error)")
            }
            let activation = try await Database.withPool(
                try environment.migrationDatabaseURL(), connectionsMax: 1, logger: environment.logger()
            ) {
                try await PeopleService(database: $0, tokens: TokenService(database: $0)).bootstrap(person)
            }
            FileHandle.standardError.write(
                Data(
                    "created \(person.role.rawValue) \(activation.subject); the activation code works until \(activation.expiresAt)\n"
                        .utf8))
            print(activation.code ?? "")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage bearer tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token and print it once, on standard output.",
            discussion: """
                For the first admin, or whoever holds the database: it connects as the schema owner
                (DATABASE_MIGRATION_URL, else DATABASE_URL), which the rule that a second admin approves people who
                can move money does not bind. Through the API, such a token is an access request.
                """)

        @Option(help: "finance, approver, assessor, auditor or admin.")
        var role: String
        @Option(help: "The user's login name. Defaults to the role's name.")
        var subject: String?
        @Option(help: "The jurisdiction of a finance token.")
        var jurisdiction: String?
        @Option(help: "Lifetime in days (1 to 366). Defaults to 90.")
        var days: Int?

        func run() async throws {
            let environment = Environment()
            let request: TokenRequest
            do {
                request = try TokenRequest(
                    subject: subject ?? role, role: role, jurisdiction: jurisdiction, lifetimeDays: days)
            } catch {
                throw ValidationError("\(error)")
            }
            let issued = try await Database.withPool(
                try environment.migrationDatabaseURL(), connectionsMax: 1, logger: environment.logger()
            ) {
                try await TokenService(database: $0).bootstrap(request)
            }
            FileHandle.standardError.write(
                Data(
                    "issued \(issued.role.rawValue) token \(issued.id) for \(issued.subject), expires \(issued.expiresAt)\n"
                        .utf8))
            print(issued.token ?? "")
        }
    }
}
