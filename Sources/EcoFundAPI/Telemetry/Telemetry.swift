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
        renderCommitQueue()
        let figures = try? await StoreFigures.read(database)
        gauge("ecofund_db_up", "1 when the database answered this scrape, else 0.").set(Int64(figures == nil ? 0 : 1))
        if let figures {
            gauge("ecofund_audit_unsealed_events", "Committed audit events the sealer has not yet added to the log.")
                .set(figures.unsealedEvents)
            for (kind, count) in figures.entriesByKind.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                registry.makeGauge(
                    descriptor: Self.metric(
                        "ecofund_ledger_entries",
                        "Journal entries posted, by kind (counted in the database: the same on every server)."),
                    labels: [("kind", kind.rawValue)]
                ).set(count)
            }
        }
        return registry.emitToBuffer()
    }

    /// The commit queue of this server: writes waiting now, and since start the batches committed, by how many
    /// writes each committed, and writes refused because the queue was full.
    private func renderCommitQueue() {
        let counts = database.commits.figures.now
        gauge("ecofund_commit_queue_length", "Writes waiting for this server's commit queue now.")
            .set(Int64(database.commits.length))
        gauge("ecofund_commit_batches", "Batches this server has committed since it started.").set(
            Int64(counts.batches))
        gauge("ecofund_commit_writes", "Writes this server's batches have committed since it started.")
            .set(Int64(counts.writes))
        gauge("ecofund_commit_batch_writes_max", "The most writes one batch of this server has committed.")
            .set(Int64(counts.largest))
        gauge("ecofund_commit_refused", "Writes refused at once (503) because the commit queue was full.")
            .set(Int64(counts.refused))
        gauge("ecofund_commit_retried", "Writes rolled back after a deadlock or lock timeout and queued again.")
            .set(Int64(counts.retried))
        gauge(
            "ecofund_commit_rewritten",
            "Batches rolled back because one of their writes failed, and written again with a savepoint per write."
        ).set(Int64(counts.rewritten))
        gauge(
            "ecofund_commit_written_together",
            "Writes committed that were written in one call with the contributions beside them."
        ).set(Int64(counts.together))
        var lower = 1
        for (bound, count) in zip(CommitFigures.bucketBounds, counts.bySize) {
            registry.makeGauge(
                descriptor: Self.metric("ecofund_commit_batches_by_writes", "Batches committed, by writes committed."),
                labels: [("writes", bound == Int.max ? "\(lower)+" : lower == bound ? "\(bound)" : "\(lower)-\(bound)")]
            ).set(Int64(count))
            lower = bound == Int.max ? bound : bound + 1
        }
    }

    private func gauge(_ name: String, _ help: String) -> Gauge {
        registry.makeGauge(descriptor: Self.metric(name, help))
    }

    /// A metric's whole name (units included, as Prometheus names them) and its help text.
    static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
