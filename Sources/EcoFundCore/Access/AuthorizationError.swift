/// Why a caller may not do something (403).
public struct AuthorizationError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public let detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
    public var problem: ProblemFacts { ProblemFacts(status: 403, kind: "forbidden", detail: detail) }
}
