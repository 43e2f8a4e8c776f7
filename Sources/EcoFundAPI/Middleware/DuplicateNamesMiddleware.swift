import EcoFundCore
import HTTPTypes
import Hummingbird
import OpenAPIRuntime

/// Refuses a JSON body that gives one name twice in an object (422, naming it), before it is decoded. It runs after
/// authentication, so only a known caller's body is read, and within the body limit.
struct DuplicateNamesMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let body, request.headerFields[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            return try await next(request, body, metadata)
        }
        let bytes = try await [UInt8](collecting: body, upTo: BodyLimitMiddleware<BasicRequestContext>.bodyBytesMax)
        if let pointer = JSONDuplicateNames.firstDuplicate(in: bytes) {
            throw ValidationError(.invalidValue, at: pointer, "is given twice; give each field once")
        }
        return try await next(request, HTTPBody(bytes), metadata)
    }
}
