/// A request that cannot be carried out as sent, with the JSON pointer of what is wrong (422).
///
/// Validation errors are operating errors: the caller can fix the input and try again.
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    /// Stable kinds of invalid input; each maps to its own problem type.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        public static let invalidAmount = Code("invalid-amount")
        public static let amountTooLarge = Code("amount-too-large")
        public static let invalidDate = Code("invalid-date")
        public static let invalidValue = Code("invalid-value")
        public static let unknownReference = Code("unknown-reference")
        public static let missingField = Code("missing-field")

        public var description: String { rawValue }
    }

    /// What kind of invalid input this is.
    public let code: Code
    /// The JSON pointer (RFC 6901) of the offending value, such as `/amount`; `""` for the whole body.
    public let pointer: String
    /// A sentence for people, saying what the value must be.
    public let detail: String

    public init(_ code: Code, at pointer: String, _ detail: String) {
        self.code = code
        self.pointer = pointer
        self.detail = detail
    }

    public var description: String { "\(pointer.isEmpty ? "body" : pointer) \(detail)" }

    public var problem: ProblemFacts {
        ProblemFacts(status: 422, kind: code.rawValue, detail: detail, pointer: pointer)
    }
}
