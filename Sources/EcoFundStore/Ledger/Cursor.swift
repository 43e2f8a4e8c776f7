import EcoFundCore
import Foundation

/// The opaque cursor of contribution pages: base64url of `e:{entryID}`.
public enum Cursor {
    public static func encode(entryID: Int64) -> String {
        Data("e:\(entryID)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) throws(ValidationError) -> Int64 {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 64, let data = Data(base64Encoded: base64),
            let plain = String(data: data, encoding: .utf8), plain.hasPrefix("e:"),
            let entryID = Int64(plain.dropFirst(2)), entryID > 0
        else {
            throw ValidationError(.invalidValue, at: "cursor", "is not a cursor this server handed out")
        }
        return entryID
    }
}
