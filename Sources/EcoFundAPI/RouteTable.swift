import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime

/// The transport the generated routes register on: the router, plus what RFC 9110 asks of every resource that the
/// router alone does not do. A path that answers GET answers HEAD the same way without the body (§9.3.2), and every
/// path answers OPTIONS with `Allow` listing its methods (§9.3.7); before, both were 404. Used while the router is
/// built, before the server starts.
final class RouteTable: ServerTransport {
    typealias Handler =
        @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
            HTTPResponse, HTTPBody?
        )

    private let router: Router<BasicRequestContext>
    /// Methods per path, in the order they were registered.
    private var methods: [(path: String, methods: [HTTPRequest.Method])] = []

    init(router: Router<BasicRequestContext>) { self.router = router }

    func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
        router.register(handler, method: method, path: path)
        if method == .get {
            router.register(
                { request, body, metadata in
                    var get = request
                    get.method = .get
                    let (response, _) = try await handler(get, body, metadata)
                    return (response, nil)
                }, method: .head, path: path)
        }
        if let index = methods.firstIndex(where: { $0.path == path }) {
            methods[index].methods.append(method)
        } else {
            methods.append((path, [method]))
        }
    }

    /// Adds OPTIONS to every path registered so far (and to `extra` paths the router serves itself).
    func answerOptions(extra: [(path: String, methods: [HTTPRequest.Method])] = []) {
        for (path, registered) in methods + extra {
            var allowed = registered
            if allowed.contains(.get) { allowed.append(.head) }
            allowed.append(.options)
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            router.on(RouterPath(path), method: .options) { _, _ in
                Response(status: .noContent, headers: [.allow: allow])
            }
        }
    }
}
