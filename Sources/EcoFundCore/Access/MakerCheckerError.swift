/// Someone acting on what they started themselves, where a second person must (403 with its own problem type): no
/// single person moves money.
public struct MakerCheckerError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public let detail: String
    public init(detail: String) { self.detail = detail }
    public var description: String { detail }
    public var problem: ProblemFacts { ProblemFacts(status: 403, kind: "maker-checker", detail: detail) }
}
