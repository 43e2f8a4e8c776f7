import EcoFundCore

/// A request refused because the caller is not known: no token, or one that is wrong, expired or revoked (401).
public struct AuthenticationError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    /// Which of missing, wrong, expired or revoked it was: for the log, never for the caller.
    public let detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
    public var problem: ProblemFacts {
        ProblemFacts(status: 401, kind: "unauthenticated", detail: "a valid bearer token is required")
    }
}
