/// An operating error that knows how it is shown to a client: each error type says so where it is declared, and the
/// front ends (the API's problem+json, the console's message beside a field) only ask.
public protocol ProblemDescribing: Error {
    var problem: ProblemFacts { get }
}

/// What a front end needs to show an error: an HTTP status, a stable kind (the last segment of the problem `type`,
/// and the key of the console's message), a sentence for people, and where the offending input is.
public struct ProblemFacts: Hashable, Sendable {
    /// The HTTP status, such as 422.
    public let status: Int
    /// Stable and machine-readable, such as `invalid-amount`.
    public let kind: String
    /// A sentence for people, in English; it never carries driver text, SQL or a stack.
    public let detail: String
    /// The JSON pointer (RFC 6901) of the offending value, such as `/amount`, or a parameter's name.
    public let pointer: String?

    /// When the same request may be sent again, in seconds: set for failures that pass (a busy database, too many
    /// exports at once), nil for those that do not.
    public let retryAfterSeconds: Int?

    public init(status: Int, kind: String, detail: String, pointer: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.kind = kind
        self.detail = detail
        self.pointer = pointer
        self.retryAfterSeconds = retryAfterSeconds
    }
}
