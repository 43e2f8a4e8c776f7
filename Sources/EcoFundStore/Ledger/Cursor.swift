import EcoFundCore
import Foundation

/// The opaque cursors of paged lists: base64url of a letter naming the list and a position, `e:{entryID}` for
/// contributions and the journal (newest entry first), `a:{index}` for a run's allocations, `p:{count}` for people,
/// `l:{days}.{entryID}.{line}` for an account's ledger (value date as days since 1970, then posting order). A cursor
/// of one list is refused by another.
public enum Cursor {
    public enum Kind: String, Sendable {
        case entry = "e"
        case allocation = "a"
        /// People, by login name: the count of those before.
        case person = "p"
        /// An account's ledger: the last line shown, as value date (days since 1970), entry id and line number.
        case ledgerLine = "l"
    }

    public static func encode(entryID: Int64) -> String { encode(.entry, entryID) }

    public static func decode(_ text: String) throws(ValidationError) -> Int64 { try decode(text, .entry) }

    public static func encode(_ kind: Kind, _ position: Int64) -> String { encode(kind, [position]) }

    public static func decode(_ text: String, _ kind: Kind) throws(ValidationError) -> Int64 {
        try decode(text, kind, count: 1)[0]
    }

    public static func encode(_ kind: Kind, _ positions: [Int64]) -> String {
        Data("\(kind.rawValue):\(positions.map(String.init).joined(separator: "."))".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The `count` positions of a cursor of list `kind`, each at least 1 (a ledger's days excepted: 0 and up).
    public static func decode(_ text: String, _ kind: Kind, count: Int) throws(ValidationError) -> [Int64] {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 64, let data = Data(base64Encoded: base64),
            let plain = String(data: data, encoding: .utf8), plain.hasPrefix("\(kind.rawValue):")
        else {
            throw ValidationError(.invalidValue, at: "cursor", "is not a cursor this server handed out")
        }
        let positions = plain.dropFirst(2).split(separator: ".", omittingEmptySubsequences: false).compactMap {
            Int64($0)
        }
        guard positions.count == count, positions.allSatisfy({ $0 >= 0 }), kind == .ledgerLine || positions[0] > 0
        else {
            throw ValidationError(.invalidValue, at: "cursor", "is not a cursor this server handed out")
        }
        return positions
    }
}
