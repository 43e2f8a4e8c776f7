import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import Prometheus

/// The service's metrics, served at `GET /metrics` in Prometheus's text format.
///
/// Request counts and latencies are counted as requests end. What lives in the database (sealer lag, ledger entries)
/// is read when Prometheus scrapes, so every server reports the same figures and a restart loses nothing.
public final class Telemetry: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let database: Database
    private let connectionsMax: Int

    /// Latency buckets, in seconds: from a cached read to a request that waited out the lease timeout.
    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    static var requests: MetricNameDescriptor {
        metric("ecofund_http_requests_total", "HTTP requests answered, by method, route and status.")
    }
    static var requestDuration: MetricNameDescriptor {
        metric(
            "ecofund_http_request_duration_seconds",
            "Time from a request's head to its response's head, by method and route.")
    }

    init(database: Database, connectionsMax: Int) {
        self.database = database
        self.connectionsMax = connectionsMax
    }

    /// Counts one finished request. `route` is the matched route's pattern, never the raw path, so that ids in paths
    /// do not make a new series each.
    func record(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.requests, labels: [("method", method), ("route", route), ("status", "\(status)")]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.requestDuration, labels: [("method", method), ("route", route)], buckets: Self.buckets
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// The exposition: the request metrics, the pool's use now, and the database figures read now.
    func render() async -> [UInt8] {
        gauge("ecofund_db_pool_connections_max", "Connections the pool may open.").set(Int64(connectionsMax))
        gauge("ecofund_db_pool_connections_in_use", "Pooled connections doing a request's work now.")
            .set(Int64(database.usage.inUse.load(ordering: .relaxed)))
        gauge("ecofund_db_pool_waiting", "Requests waiting for a pooled connection now.")
            .set(Int64(database.usage.waiting.load(ordering: .relaxed)))
        let figures = try? await databaseFigures()
        gauge("ecofund_db_up", "1 when the database answered this scrape, else 0.").set(Int64(figures == nil ? 0 : 1))
        if let figures {
            gauge("ecofund_audit_unsealed_events", "Committed audit events the sealer has not yet added to the log.")
                .set(figures.unsealed)
            for (kind, count) in figures.entries {
                registry.makeGauge(
                    descriptor: Self.metric(
                        "ecofund_ledger_entries",
                        "Journal entries posted, by kind (counted in the database: the same on every server)."),
                    labels: [("kind", kind)]
                ).set(count)
            }
        }
        return registry.emitToBuffer()
    }

    private func gauge(_ name: String, _ help: String) -> Gauge {
        registry.makeGauge(descriptor: Self.metric(name, help))
    }

    /// A metric's whole name (units included, as Prometheus names them) and its help text.
    static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private struct Figures: Sendable {
        var unsealed: Int64 = 0
        var entries: [(String, Int64)] = []
    }

    private func databaseFigures() async throws -> Figures {
        let logger = database.logger
        return try await database.read { connection in
            var figures = Figures()
            let unsealed = try await connection.query(
                PostgresQuery(unsafeSQL: AuditLog.unsealedCountSQL), logger: logger)
            for try await count in unsealed.decode(Int64.self) { figures.unsealed = count }
            let entries = try await connection.query(
                "SELECT kind::text, count(*) FROM journal_entries GROUP BY kind ORDER BY kind", logger: logger)
            for try await (kind, count) in entries.decode((String, Int64).self) {
                figures.entries.append((kind, count))
            }
            return figures
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// The outermost middleware: gives every request an id (the caller's `X-Request-Id` when it is a sensible one), puts
/// it on every log line written while the request is handled and on the response, counts the request in
/// ``Telemetry``, and writes one access-log line.
struct RequestTelemetryMiddleware<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    let telemetry: Telemetry
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        let started = ContinuousClock.now
        return try await RequestScope.$requestID.withValue(id) {
            var status = 500
            defer {
                let duration = ContinuousClock.now - started
                let route = context.endpointPath ?? "unmatched"
                telemetry.record(
                    method: request.method.rawValue, route: route, status: status, duration: duration)
                if route != "/metrics" && route != "/healthz" && route != "/readyz" {
                    logger.info(
                        "request",
                        metadata: [
                            "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
                            "duration_ms": "\(duration.nanoseconds / 1_000_000)",
                        ])
                }
            }
            var response = try await next(request, context)
            status = response.status.code
            response.headers[Self.header] = id
            return response
        }
    }

    /// An incoming id is kept when it is 1 to 64 characters of letters, digits, `-`, `_` and `.`; else a new one is
    /// made (an id is written into logs, so it must not carry line breaks or quotes).
    static func acceptable(_ value: String) -> String? {
        guard (1...64).contains(value.count),
            value.unicodeScalars.allSatisfy({
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0))
            })
        else { return nil }
        return value
    }
}
