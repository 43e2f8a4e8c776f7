import EcoFundCore
import EcoFundStore
import HTTPTypes
import OpenAPIRuntime

/// Resolves the bearer token of every operation but the health checks, before any body is read or decoded, and
/// hands the caller to the handlers below (``RequestScope/principal``). Whether the caller may do what it asks is
/// the services' to decide.
struct AuthenticationMiddleware: ServerMiddleware {
    /// Operations anyone may call without a token.
    static let publicOperations: Set<String> = ["getHealth", "getReadiness"]

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
        return try await RequestScope.$principal.withValue(principal) {
            try await next(request, body, metadata)
        }
    }
}
