import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Restores the `ETag` and `Content-Disposition` response headers to their literal form.
///
/// The OpenAPI runtime writes header values in the URI "simple" style, so the quoted entity tag
/// `"2025/chengde/r1"` would leave as `%222025%2Fchengde%2Fr1%22`, which HTTP clients and caches do not
/// recognise (nor would browsers the export's file name). Incoming `If-Match` values are decoded by the runtime, so either form is accepted there.
struct EntityTagMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, body) = try await next(request, body, metadata)
        for name in [HTTPField.Name.eTag, .contentDisposition] {
            if let value = response.headerFields[name], let literal = value.removingPercentEncoding {
                response.headerFields[name] = literal
            }
        }
        return (response, body)
    }
}
