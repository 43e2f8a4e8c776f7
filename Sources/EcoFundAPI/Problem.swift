import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird
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
    /// Sent as `Retry-After`: when the same request may be sent again.
    let retryAfterSeconds: Int?

    init(
        _ status: HTTPResponse.Status, _ kind: String, _ detail: String, pointer: String? = nil,
        retryAfterSeconds: Int? = nil
    ) {
        self.status = status
        self.kind = kind
        self.detail = detail
        self.pointer = pointer
        self.retryAfterSeconds = retryAfterSeconds
    }

    var type: String { "https://ecofund.example/problems/\(kind)" }

    var body: Components.Schemas.Problem {
        Components.Schemas.Problem(
            _type: type, title: status.reasonPhrase, status: status.code, detail: detail, pointer: pointer)
    }

    /// The status of `code` with its standard reason phrase (the problem's `title`): `Status(code:)` alone has none.
    static func status(code: Int) -> HTTPResponse.Status {
        let known: [HTTPResponse.Status] = [
            .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .notAcceptable, .conflict, .gone,
            .preconditionFailed, .contentTooLarge, .unsupportedMediaType, .unprocessableContent, .preconditionRequired,
            .tooManyRequests, .internalServerError, .serviceUnavailable,
        ]
        return known.first { $0.code == code } ?? HTTPResponse.Status(code: code)
    }

    /// Whether the server is at fault (and the log must say more than the response does).
    var isServerFault: Bool { status.kind == .serverError }

    /// Maps any error to its problem: an error of this system describes its own (``ProblemDescribing``); the
    /// frameworks' errors are described here. Unknown errors are a 500 that says nothing about their cause.
    init(error: any Error) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as any ProblemDescribing:
            let facts = error.problem
            self.init(
                Self.status(code: facts.status), facts.kind, facts.detail, pointer: facts.pointer,
                retryAfterSeconds: facts.retryAfterSeconds)
        case let error as HTTPError where error.status.kind == .clientError:
            // Hummingbird's own refusals, such as a body found over the limit as it streams in.
            self.init(httpStatus: error.status, detail: error.body ?? error.status.reasonPhrase)
        case let error as DecodingError:
            self.init(decodingError: error)
        case let error as ServerError:
            self.init(serverError: error)
        case is CancellationError:
            // The request's work was stopped before it finished (the server is shutting down): its transaction was
            // rolled back, so it may be sent again.
            self.init(
                .serviceUnavailable, "unavailable", "the server stopped this request before it finished; send it again",
                retryAfterSeconds: 1)
        default:
            self.init(.internalServerError, "internal", "the server failed to handle this request; it has been logged")
        }
    }

    private init(serverError error: ServerError) {
        let underlying = error.underlyingError
        if underlying is any ProblemDescribing || underlying is DecodingError || underlying is Problem
            || underlying is CancellationError || underlying is HTTPError
        {
            self.init(error: underlying)
        } else if error.httpStatus.kind == .clientError {
            // The runtime's own request checks (content type, a required header, parameter or body missing): its
            // description is ours to show, since it speaks only of the request, and it names what is missing.
            self.init(
                error.httpStatus, Self.kind(of: error.httpStatus), error.causeDescription,
                pointer: Self.missingParameter(in: "\(error.underlyingError)"))
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
            } else if context.debugDescription.lowercased().contains("additional properties") {
                // The generated decoder says "Additional properties are disabled…", pointing at the first unknown name.
                self.init(
                    .unprocessableContent, "unknown-field", "is not a field this operation takes",
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

    /// The parameter a runtime refusal names as missing (an `Idempotency-Key` the spec requires, say), from the
    /// runtime's descriptions "…header field named 'X' is missing." and "Missing required … parameter named: X".
    static func missingParameter(in description: String) -> String? {
        if let start = description.range(of: "header field named '"),
            let end = description[start.upperBound...].firstIndex(of: "'")
        {
            return String(description[start.upperBound..<end])
        }
        if description.hasPrefix("Missing required"), let start = description.range(of: "named: ") {
            return String(description[start.upperBound...])
        }
        return nil
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
