/// How many items one page of a list may hold, and how many it holds when the caller does not say: each list names
/// its own (the audit log's pages are larger than a ledger's), and they are all checked here.
public struct PageLimit: Hashable, Sendable {
    /// Items per page when the caller does not say.
    public let itemsDefault: Int
    /// The most items a caller may ask for.
    public let itemsMax: Int

    public init(itemsDefault: Int, itemsMax: Int) {
        precondition(1 <= itemsDefault && itemsDefault <= itemsMax, "a page limit's default must be 1 to its maximum")
        self.itemsDefault = itemsDefault
        self.itemsMax = itemsMax
    }

    /// The number of items to return for `requested` (the `limit` parameter).
    public func items(_ requested: Int?) throws(ValidationError) -> Int {
        guard let requested else { return itemsDefault }
        guard (1...itemsMax).contains(requested) else {
            throw ValidationError(.invalidValue, at: "limit", "must be 1 to \(itemsMax)")
        }
        return requested
    }
}
