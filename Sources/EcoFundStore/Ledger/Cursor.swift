import EcoFundCore
import Foundation

/// The opaque cursors of paged lists: base64url of a letter naming the list and a position, `e:{entryID}` for
/// contributions (newest entry first), `a:{index}` for a run's allocations, `p:{count}` for people. A cursor of one list is refused by another.
public enum Cursor {
    public enum Kind: String, Sendable {
        case entry = "e"
        case allocation = "a"
        /// People, by login name: the count of those before.
        case person = "p"
    }

    public static func encode(entryID: Int64) -> String { encode(.entry, entryID) }

    public static func decode(_ text: String) throws(ValidationError) -> Int64 { try decode(text, .entry) }

    public static func encode(_ kind: Kind, _ position: Int64) -> String {
        Data("\(kind.rawValue):\(position)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String, _ kind: Kind) throws(ValidationError) -> Int64 {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 64, let data = Data(base64Encoded: base64),
            let plain = String(data: data, encoding: .utf8), plain.hasPrefix("\(kind.rawValue):"),
            let position = Int64(plain.dropFirst(2)), position > 0
        else {
            throw ValidationError(.invalidValue, at: "cursor", "is not a cursor this server handed out")
        }
        return position
    }
}
