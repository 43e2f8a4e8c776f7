import EcoFundStore
import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Turns every error of an operation, from body decoding to the database, into a problem+json response.
///
/// Outermost of the OpenAPI middlewares, so nothing an operation throws escapes as an empty 500.
struct ProblemMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch {
            let problem = Problem(error: error)
            let underlying = (error as? ServerError)?.underlyingError ?? error
            var metadata: Logger.Metadata = [
                "operation": "\(operationID)", "status": "\(problem.status.code)", "problem": "\(problem.kind)",
            ]
            if let principal = RequestScope.principal { metadata["subject"] = "\(principal.subject)" }
            if problem.isServerFault {
                metadata["error"] = "\(String(reflecting: underlying))"
                logger.error("request failed", metadata: metadata)
            } else if problem.status == .unauthorized || problem.status == .forbidden {
                metadata["reason"] = "\(String(describing: underlying))"
                logger.notice("request denied", metadata: metadata)
            } else {
                logger.debug("request refused", metadata: metadata)
            }
            return Self.response(problem)
        }
    }

    static func response(_ problem: Problem) -> (HTTPResponse, HTTPBody?) {
        var response = HTTPResponse(status: problem.status)
        response.headerFields[.contentType] = Problem.mediaType
        if problem.status == .unauthorized { response.headerFields[.wwwAuthenticate] = "Bearer" }
        // The database is down, every connection is taken, enough exports run: the request wrote nothing and may be
        // sent again (with the same Idempotency-Key) after this long.
        if let seconds = problem.retryAfterSeconds { response.headerFields[.retryAfter] = "\(seconds)" }
        return (response, HTTPBody(problem.encoded()))
    }
}
