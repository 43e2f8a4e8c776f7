import Foundation
import PostgresNIO

/// Connection settings read from a `postgres://user:password@host:port/database?sslmode=…` URL.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    public let password: String?
    public let database: String
    /// `disable` (the default on loopback), `prefer` or `require`.
    public let sslMode: String

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty,
            let username = components.user, !username.isEmpty
        else {
            throw ConfigurationError("DATABASE_URL must look like postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ConfigurationError("DATABASE_URL names no database") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        self.password = components.password?.removingPercentEncoding
        self.database = database
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host)
        self.sslMode =
            components.queryItems?.first(where: { $0.name == "sslmode" })?.value
            ?? (loopback ? "disable" : "prefer")
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw ConfigurationError("DATABASE_URL sslmode must be disable, prefer or require")
        }
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> DatabaseURL {
        DatabaseURL(copying: self, database: database, username: username, password: password)
    }

    /// The same server and database, another role.
    public func with(username: String, password: String?) -> DatabaseURL {
        DatabaseURL(copying: self, database: database, username: username, password: password)
    }

    /// The same database on another port (a proxy in front of it, in the fault tests).
    public func with(port: Int) -> DatabaseURL {
        DatabaseURL(copying: self, database: database, username: username, password: password, port: port)
    }

    private init(copying other: DatabaseURL, database: String, username: String, password: String?, port: Int? = nil) {
        self.host = other.host
        self.port = port ?? other.port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = other.sslMode
    }

    /// How long a pooled connection may sit idle before the pool checks it with `SELECT 1`.
    public static let keepAliveSeconds: Int64 = 5
    /// How long a pooled connection may sit idle before the pool closes it.
    public static let idleSeconds: Int64 = 10

    /// The URL with the password left out, for logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// Pool settings for PostgresNIO: every connection gets the statement timeout of ``Database``.
    ///
    /// The idle timeout and keep-alive are short for the sake of memory: the pool arms both timers each time a
    /// connection falls idle, and a cancelled timer holds its memory until its deadline — at thousands of requests a
    /// second PostgresNIO's defaults (60 s, 30 s) held hundreds of megabytes. (Keeping the whole pool open instead,
    /// with `minimumConnections`, trips a precondition in PostgresNIO 1.33's pool when PostgreSQL restarts: the crash
    /// drill found it.)
    public func clientConfiguration(connectionsMax: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = connectionsMax
        configuration.options.connectionIdleTimeout = .seconds(Self.idleSeconds)
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(Self.keepAliveSeconds))
        configuration.options.connectTimeout = .seconds(Database.connectTimeoutSeconds)
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "\(Database.statementTimeoutMs)"),
            ("lock_timeout", "\(Database.lockTimeoutMs)"),
            ("idle_in_transaction_session_timeout", "\(Database.idleInTransactionTimeoutMs)"),
            ("application_name", "ecofund"),
            ("TimeZone", "UTC"),
        ]
        return configuration
    }
}

/// A configuration value that cannot be used. The message says which and why.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
