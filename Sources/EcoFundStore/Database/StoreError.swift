import EcoFundCore

/// An operating error of the store: the request was understood but cannot be carried out now or at all.
///
/// Each code names its HTTP status where it is declared; the front ends only ask (``ProblemDescribing``).
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// The HTTP status a front end answers with.
        public let status: Int
        private init(_ rawValue: String, status: Int) {
            self.rawValue = rawValue
            self.status = status
        }

        /// The thing asked for does not exist (404).
        public static let notFound = Code("not-found", status: 404)
        /// The request conflicts with the current state, such as a second reversal (409).
        public static let conflict = Code("conflict", status: 409)
        /// The caller's `If-Match` is missing or no longer current (412): reread and try again.
        public static let preconditionFailed = Code("precondition-failed", status: 412)
        /// The fund or an account would go below zero (409). Final until more money arrives.
        public static let fundInsufficient = Code("fund-insufficient", status: 409)
        /// An idempotency key was reused with a different body (422). Final.
        public static let idempotencyKeyReused = Code("idempotency-key-reused", status: 422)
        /// The database cannot be reached or is shutting down (503). Transient.
        public static let unavailable = Code("database-unavailable", status: 503)

        public var description: String { rawValue }
    }

    public let code: Code
    public let detail: String
    /// The JSON pointer of the field the conflict is about, when there is one (`/settles`, `/amount`).
    public let pointer: String?

    public init(_ code: Code, _ detail: String, pointer: String? = nil) {
        self.code = code
        self.detail = detail
        self.pointer = pointer
    }

    public var description: String { "\(code): \(detail)" }

    public var problem: ProblemFacts {
        // Nothing was written; the database may answer a moment later, with the same Idempotency-Key.
        ProblemFacts(
            status: code.status, kind: code.rawValue, detail: detail, pointer: pointer,
            retryAfterSeconds: code == .unavailable ? 1 : nil)
    }
}
