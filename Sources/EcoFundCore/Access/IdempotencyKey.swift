/// The `Idempotency-Key` of a write (DESIGN.md invariant 5): 1 to ``lengthMax`` printable ASCII characters, chosen by
/// the client once per intended write. The console makes one per form it shows.
public struct IdempotencyKey: Hashable, Sendable, CustomStringConvertible {
    /// The longest key accepted, in characters.
    public static let lengthMax = 200

    public let text: String

    /// Checks a key as a client sent it.
    public init(_ text: String) throws(IdempotencyKeyError) {
        guard (1...Self.lengthMax).contains(text.unicodeScalars.count),
            text.unicodeScalars.allSatisfy({ (0x20..<0x7f).contains($0.value) })
        else { throw IdempotencyKeyError() }
        self.text = text
    }

    /// Checks an optional key: none is none.
    public static func parse(_ text: String?) throws(IdempotencyKeyError) -> IdempotencyKey? {
        guard let text else { return nil }
        return try IdempotencyKey(text)
    }

    public var description: String { text }
}

/// An `Idempotency-Key` that is empty, too long or not printable ASCII (400: the request itself is malformed).
public struct IdempotencyKeyError: Error, Hashable, Sendable, ProblemDescribing {
    public var problem: ProblemFacts {
        ProblemFacts(
            status: 400, kind: "invalid-idempotency-key",
            detail: "Idempotency-Key must be 1 to \(IdempotencyKey.lengthMax) printable ASCII characters",
            pointer: "Idempotency-Key")
    }
}
