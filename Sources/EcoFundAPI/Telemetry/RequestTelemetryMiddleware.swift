import Foundation
import HTTPTypes
import Hummingbird
import Logging

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
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? UUID().text
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
