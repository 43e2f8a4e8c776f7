import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// An RFC 9457 problem: what went wrong, for a client program (`type`) and for a person (`detail`, `pointer`).
///
/// Every error a request can meet is turned into one of these in ``Problem/init(error:)``, and nowhere else.
/// A problem never carries driver text, SQL or a stack trace; the log gets those.
struct Problem: Error, Sendable, Equatable {
    /// The media type of problem documents.
    static let mediaType = "application/problem+json"

    let status: HTTPResponse.Status
    /// The last path segment of the stable `type` URI, such as `invalid-amount`.
    let kind: String
    let detail: String
    let pointer: String?

    init(_ status: HTTPResponse.Status, _ kind: String, _ detail: String, pointer: String? = nil) {
        self.status = status
        self.kind = kind
        self.detail = detail
        self.pointer = pointer
    }

    var type: String { "https://ecofund.example/problems/\(kind)" }

    var body: Components.Schemas.Problem {
        Components.Schemas.Problem(
            _type: type, title: status.reasonPhrase, status: status.code, detail: detail, pointer: pointer)
    }

    /// Whether the server is at fault (and the log must say more than the response does).
    var isServerFault: Bool { status.kind == .serverError }

    /// Maps any error to its problem. Unknown errors are a 500 that says nothing about their cause.
    init(error: any Error) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as ValidationError:
            self.init(.unprocessableContent, error.code.rawValue, error.detail, pointer: error.pointer)
        case is AuthenticationError:
            // Which of missing, wrong, expired or revoked goes to the log, not to the caller.
            self.init(.unauthorized, "unauthenticated", "a valid bearer token is required")
        case let error as AuthorizationError:
            self.init(.forbidden, "forbidden", error.detail)
        case let error as MakerCheckerError:
            self.init(.forbidden, "maker-checker", error.detail)
        case let error as AllocationError:
            self.init(.unprocessableContent, "allocation-infeasible", error.detail, pointer: error.pointer)
        case let error as StoreError:
            self.init(storeError: error)
        case let error as DecodingError:
            self.init(decodingError: error)
        case let error as ServerError:
            self.init(serverError: error)
        case is CancellationError:
            // The request's work was stopped before it finished (the server is shutting down): its transaction was
            // rolled back, so it may be sent again.
            self.init(
                .serviceUnavailable, "unavailable", "the server stopped this request before it finished; send it again")
        default:
            self.init(.internalServerError, "internal", "the server failed to handle this request; it has been logged")
        }
    }

    private init(storeError error: StoreError) {
        let status: HTTPResponse.Status =
            switch error.code {
            case .notFound: .notFound
            case .conflict, .fundInsufficient: .conflict
            case .idempotencyKeyReused: .unprocessableContent
            case .preconditionFailed: .preconditionFailed
            case .unavailable: .serviceUnavailable
            default: .internalServerError
            }
        self.init(status, error.code.rawValue, error.detail)
    }

    private init(serverError error: ServerError) {
        let underlying = error.underlyingError
        if underlying is ValidationError || underlying is StoreError || underlying is AuthorizationError
            || underlying is AuthenticationError || underlying is DecodingError || underlying is Problem
            || underlying is MakerCheckerError || underlying is AllocationError || underlying is CancellationError
        {
            self.init(error: underlying)
        } else if error.httpStatus.kind == .clientError {
            // The runtime's own request checks (content type, missing header or body): its description is ours
            // to show, since it speaks only of the request.
            self.init(error.httpStatus, Self.kind(of: error.httpStatus), error.causeDescription)
        } else {
            self.init(error: underlying)
        }
    }

    private init(decodingError error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self.init(
                .unprocessableContent, "invalid-type", "must be \(Self.jsonType(type))",
                pointer: Self.pointer(context.codingPath))
        case .keyNotFound(let key, let context):
            self.init(
                .unprocessableContent, "missing-field", "is required",
                pointer: Self.pointer(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            self.init(
                .unprocessableContent, "missing-field", "must not be null", pointer: Self.pointer(context.codingPath))
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.init(.badRequest, "malformed-json", "the body is not valid JSON", pointer: "")
            } else if context.debugDescription.contains("additional properties") {
                self.init(
                    .unprocessableContent, "unknown-field",
                    "has fields this operation does not take: \(context.debugDescription)",
                    pointer: Self.pointer(context.codingPath))
            } else {
                self.init(
                    .unprocessableContent, "invalid-value", "is not an allowed value",
                    pointer: Self.pointer(context.codingPath))
            }
        @unknown default:
            self.init(.unprocessableContent, "invalid-body", "the body does not match the operation's schema")
        }
    }

    /// RFC 6901 pointer of a coding path: `/tranches/1/share`.
    static func pointer(_ path: [any CodingKey]) -> String {
        path.map { key in
            let segment = key.intValue.map(String.init) ?? key.stringValue
            return "/" + segment.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }.joined()
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        default: "of another JSON type"
        }
    }

    private static func kind(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 413: "body-too-large"
        case 415: "unsupported-media-type"
        case 404: "not-found"
        case 405: "method-not-allowed"
        default: "bad-request"
        }
    }

    /// A problem for an HTTP-level status raised outside the generated handlers (unknown route, body too large).
    init(httpStatus status: HTTPResponse.Status, detail: String) {
        self.init(status, Self.kind(of: status), detail)
    }

    /// The encoded document.
    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and integers cannot fail.
        return (try? encoder.encode(body)) ?? Data("{}".utf8)
    }
}
