/// Why a caller may not do something (403).
public struct AuthorizationError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public let detail: String
    /// The field of the request that names what the caller may not act for, when one does.
    public let pointer: String?
    public init(_ detail: String, at pointer: String? = nil) {
        self.detail = detail
        self.pointer = pointer
    }
    public var description: String { detail }
    public var problem: ProblemFacts { ProblemFacts(status: 403, kind: "forbidden", detail: detail, pointer: pointer) }
}
