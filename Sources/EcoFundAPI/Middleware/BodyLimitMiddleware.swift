import Hummingbird
import Logging

/// Caps request bodies at ``bodyBytesMax``, before the OpenAPI transport, which would otherwise collect a body of
/// any size. A body announced as larger is refused at once; any other is limited as it streams, so nothing is read
/// before the routes (and the authentication in front of them) ask for it. Also turns HTTP errors raised outside
/// the generated routes (unknown path, too large) into problems.
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
            request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, bytesMax: Self.bodyBytesMax))
            return try await next(request, context)
        } catch let error as HTTPError {
            let detail: String =
                switch error.status {
                case .contentTooLarge: Self.tooLarge
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

    static var tooLarge: String { "the body is larger than \(bodyBytesMax) bytes (1 MiB)" }
}

/// A request body that fails with 413 once more than `bytesMax` bytes have passed.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let bytesMax: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let bytesMax: Int
        var bytes = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            bytes += chunk.readableBytes
            guard bytes <= bytesMax else {
                throw HTTPError(.contentTooLarge, message: BodyLimitMiddleware<BasicRequestContext>.tooLarge)
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), bytesMax: bytesMax) }
}
