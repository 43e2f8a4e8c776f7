import Hummingbird
import Logging

/// Caps request bodies at ``bodyBytesMax`` before the OpenAPI transport, which would otherwise collect a body of
/// any size. Also turns HTTP errors raised outside the generated routes (unknown path, too large) into problems.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest request body accepted: 1 MiB.
    static var bodyBytesMax: Int { 1 << 20 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.bodyBytesMax {
                throw HTTPError(.contentTooLarge)
            }
            var request = request
            if request.method == .post || request.method == .put || request.method == .patch {
                _ = try await request.collectBody(upTo: Self.bodyBytesMax)
            }
            return try await next(request, context)
        } catch let error as HTTPError {
            let detail: String =
                switch error.status {
                case .contentTooLarge: "the body is larger than \(Self.bodyBytesMax) bytes (1 MiB)"
                case .notFound: "no such route: \(request.method) \(request.uri.path)"
                default: error.body ?? error.status.reasonPhrase
                }
            let problem = Problem(httpStatus: error.status, detail: detail)
            var headers: HTTPFields = [.contentType: Problem.mediaType]
            if error.status == .contentTooLarge { headers[.connection] = "close" }
            return Response(
                status: error.status, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: problem.encoded())))
        }
    }
}
