import Foundation

/// A submitted HTML form (`application/x-www-form-urlencoded`): each name once. A name sent twice is refused, as the
/// API refuses a JSON name given twice, so that what the page shows is what is acted on.
struct Form: Sendable {
    /// The largest form the console reads; its forms are a few fields of short text.
    static let bytesMax = 64 * 1024

    let fields: [String: String]

    struct Malformed: Error {}

    init(fields: [String: String]) { self.fields = fields }

    init(parsing body: String) throws(Malformed) {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw Malformed()
            }
            guard fields[name] == nil else { throw Malformed() }
            fields[name] = value
        }
        self.fields = fields
    }

    static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String { fields[name] ?? "" }

    /// The field, or nil when it is absent or blank.
    func optional(_ name: String) -> String? {
        let value = self[name].trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }
}
