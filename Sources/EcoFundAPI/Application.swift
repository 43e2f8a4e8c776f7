import Crypto
import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PostgresNIO
import ServiceLifecycle

/// Everything `ecofund serve` needs, read from the environment by the executable.
public struct AppConfiguration: Sendable {
    /// Address to listen on. Defaults to 127.0.0.1.
    public var host: String
    /// Port to listen on; 0 picks a free one (tests). Defaults to 8080.
    public var port: Int
    /// The service's connection, as the least-privileged `ecofund_app` role.
    public var databaseURL: DatabaseURL
    /// A read-only connection (a replica, say) for reports and audit exports; nil sends them to ``databaseURL``.
    public var readDatabaseURL: DatabaseURL?
    /// When set, migrations are applied through this (owner) connection before the server starts.
    public var migrationDatabaseURL: DatabaseURL?
    /// Where the `NNN_*.sql` migrations are.
    public var schemaDirectory: URL
    /// Pool size. Defaults to ``Database/connectionsMaxDefault``.
    public var connectionsMax: Int
    public var logLevel: Logger.Level
    /// A connection that sends no complete request part for this long is closed: a silent client, or one trickling a
    /// request's headers a byte at a time (slow loris), cannot hold a connection for ever.
    public var idleTimeout: Duration
    /// The raw Ed25519 key that signs checkpoints; when set, this server also runs the sealer (one leads at a time).
    public var signingKey: Data?
    /// Where `GET /metrics` listens, apart from the API; nil serves no metrics. Defaults to nil.
    public var metricsPort: Int?
    /// The address of the metrics listener. Defaults to 127.0.0.1.
    public var metricsHost: String
    /// Told the port the metrics listener is bound to, once it listens: a test binds port 0 and learns its port here
    /// (a port picked free beforehand may be taken by the time the listener binds it, which ended the whole server).
    public var metricsListening: (@Sendable (Int) async -> Void)?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databaseURL: DatabaseURL,
        readDatabaseURL: DatabaseURL? = nil, migrationDatabaseURL: DatabaseURL? = nil,
        schemaDirectory: URL = Migrator.defaultDirectory(), connectionsMax: Int = Database.connectionsMaxDefault,
        logLevel: Logger.Level = .info, signingKey: Data? = nil, idleTimeout: Duration = .seconds(30),
        metricsPort: Int? = nil, metricsHost: String = "127.0.0.1"
    ) {
        self.metricsPort = metricsPort
        self.metricsHost = metricsHost
        self.idleTimeout = idleTimeout
        self.signingKey = signingKey
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.readDatabaseURL = readDatabaseURL
        self.migrationDatabaseURL = migrationDatabaseURL
        self.schemaDirectory = schemaDirectory
        self.connectionsMax = connectionsMax
        self.logLevel = logLevel
    }
}

/// Routes another front end adds beside the API (the console's pages), on the server's own pool, token checks and
/// audit log (with its signing key and export connection).
public typealias FrontEnd = @Sendable (Router<BasicRequestContext>, Database, TokenService, AuditLog) throws -> Void

/// Builds the application that `ecofund serve` runs and the tests call: the same code path in both.
///
/// - Parameter frontEnd: the console's pages at `/`, when served (`ecofund serve` does).
public func buildApplication(_ configuration: AppConfiguration, frontEnd: FrontEnd? = nil) async throws
    -> some ApplicationProtocol
{
    let logger = {
        var logger = Logger(label: "ecofund")
        logger.logLevel = configuration.logLevel
        return logger
    }()
    func pool(_ url: DatabaseURL) -> PostgresClient {
        PostgresClient(
            configuration: url.clientConfiguration(connectionsMax: configuration.connectionsMax),
            backgroundLogger: logger)
    }
    let client = pool(configuration.databaseURL)
    let database = Database(client: client, logger: logger)
    var services: [any Service] = [client]
    let readDatabase = configuration.readDatabaseURL.map { url in
        let client = pool(url)
        services.append(client)
        return Database(client: client, logger: logger)
    }
    let key = try configuration.signingKey.map { try Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
    let telemetry = Telemetry(database: database, connectionsMax: configuration.connectionsMax)
    let handlers = Handlers(
        database: database, readDatabase: readDatabase,
        exportDatabaseURL: configuration.readDatabaseURL ?? configuration.databaseURL, signingPublicKey: key?.publicKey)
    let router = try buildRouter(handlers: handlers, telemetry: telemetry, logger: logger)
    try frontEnd?(router, database, handlers.tokens, handlers.auditLog)
    if let key { services.append(Sealer(database: database, key: key)) }
    if let metricsPort = configuration.metricsPort {
        services.append(
            Application(
                router: buildMetricsRouter(telemetry: telemetry),
                configuration: .init(
                    address: .hostname(configuration.metricsHost, port: metricsPort), serverName: "ecofund-metrics"),
                onServerRunning: { [listening = configuration.metricsListening] channel in
                    await listening?(channel.localAddress?.port ?? metricsPort)
                },
                logger: logger))
    }
    var app = Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .init(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ecofund"),
        services: services,
        logger: logger)
    if let migrationURL = configuration.migrationDatabaseURL {
        let migrator = try Migrator(directory: configuration.schemaDirectory)
        app.beforeServerStarts {
            _ = try await Database.withPool(migrationURL, connectionsMax: 1, logger: logger) { owner in
                try await migrator.migrate(owner)
            }
        }
    }
    return app
}

/// The routes: `/openapi.yaml`, and every operation of the OpenAPI document behind the problem, authentication,
/// duplicate-name and body-limit middlewares, with HEAD and OPTIONS; the request telemetry (id, metrics, access log)
/// outermost.
func buildRouter(handlers: Handlers, telemetry: Telemetry, logger: Logger) throws -> Router<BasicRequestContext> {
    let router = Router()
    router.middlewares.add(RequestTelemetryMiddleware(telemetry: telemetry, logger: logger))
    router.middlewares.add(BodyLimitMiddleware())
    let specification = try OpenAPIDocument.load()
    let serveSpecification: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: specification)))
    }
    router.get("openapi.yaml", use: serveSpecification)
    router.head("openapi.yaml", use: serveSpecification)
    let routes = RouteTable(router: router)
    try handlers.registerHandlers(
        on: routes,
        middlewares: [
            ProblemMiddleware(logger: logger), EntityTagMiddleware(), AuthenticationMiddleware(tokens: handlers.tokens),
            DuplicateNamesMiddleware(),
        ])
    routes.answerOptions(extra: [("/openapi.yaml", [.get])])
    return router
}

/// `GET /metrics` on a listener of its own (`ECOFUND_METRICS_PORT`), for Prometheus inside the operators' network:
/// the public port does not say how busy the service is or how large its books are.
func buildMetricsRouter(telemetry: Telemetry) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: await telemetry.render())))
    }
    return router
}

/// The OpenAPI document the routes are generated from, bundled as a resource and served as is.
enum OpenAPIDocument {
    static func load() throws -> Data {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ConfigurationError("openapi.yaml is missing from the EcoFundAPI bundle")
        }
        return try Data(contentsOf: url)
    }
}
