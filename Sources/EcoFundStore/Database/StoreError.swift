/// An operating error of the store: the request was understood but cannot be carried out now or at all.
///
/// Each code maps to one problem type and HTTP status in EcoFundAPI, in one place.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The thing asked for does not exist (404).
        public static let notFound = Code("not-found")
        /// The request conflicts with the current state, such as a second reversal (409).
        public static let conflict = Code("conflict")
        /// The caller's `If-Match` is missing or no longer current (412): reread and try again.
        public static let preconditionFailed = Code("precondition-failed")
        /// The fund or an account would go below zero (409). Final until more money arrives.
        public static let fundInsufficient = Code("fund-insufficient")
        /// An idempotency key was reused with a different body (422). Final.
        public static let idempotencyKeyReused = Code("idempotency-key-reused")
        /// The database cannot be reached or is shutting down (503). Transient.
        public static let unavailable = Code("database-unavailable")

        public var description: String { rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}

/// A request refused because the caller is not known: no token, or one that is wrong, expired or revoked (401).
public struct AuthenticationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
}
