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
        // The database is down or every connection is taken: the request wrote nothing and may be sent again, with
        // the same Idempotency-Key, shortly.
        if problem.status == .serviceUnavailable { response.headerFields[.retryAfter] = "1" }
        return (response, HTTPBody(problem.encoded()))
    }
}

/// Resolves the bearer token of every operation but the health checks, and demands an `Idempotency-Key` on
/// the writes that move money, before any body is decoded.
struct AuthenticationMiddleware: ServerMiddleware {
    /// Operations anyone may call without a token.
    static let publicOperations: Set<String> = ["getHealth", "getReadiness"]
    /// Operations that move money: a missing `Idempotency-Key` is a 400.
    static let keyRequiredOperations: Set<String> = ["createContribution", "reverseContribution", "proposeRun"]
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    let tokens: TokenService

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if Self.publicOperations.contains(operationID) { return try await next(request, body, metadata) }
        guard let header = request.headerFields[.authorization], header.hasPrefix("Bearer ") else {
            throw AuthenticationError("no bearer token")
        }
        let principal = try await tokens.authenticate(String(header.dropFirst("Bearer ".count)))
        if let key = request.headerFields[Self.idempotencyKey] {
            guard (1...200).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace || $0 == " " }),
                key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f })
            else {
                throw Problem(
                    .badRequest, "invalid-idempotency-key",
                    "Idempotency-Key must be 1 to 200 printable ASCII characters",
                    pointer: "Idempotency-Key")
            }
        } else if Self.keyRequiredOperations.contains(operationID) {
            throw Problem(
                .badRequest, "idempotency-key-required",
                "this operation moves money and needs an Idempotency-Key header (a fresh UUID per intended write)",
                pointer: "Idempotency-Key")
        }
        return try await RequestScope.$principal.withValue(principal) {
            try await next(request, body, metadata)
        }
    }
}

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
