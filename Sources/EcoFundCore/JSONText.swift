/// A JSON document written by hand, for the few values too large for `JSONEncoder`'s pace: a 10,000-recipient
/// allocation took the encoder half a second, most of it building and sorting a dictionary per object.
///
/// It writes what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes, byte for byte (a test holds
/// the two side by side): the caller gives each object's keys in sorted order, strings are escaped as Foundation
/// escapes them, nothing is indented.
public struct JSONText {
    public private(set) var bytes: [UInt8] = []
    /// Whether the container being written has no member yet (so the next one needs no comma).
    private var atFirstMember = true

    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// `{ … }`; inside, every member starts with ``key(_:)``.
    public mutating func object(_ members: (inout JSONText) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        atFirstMember = true
        members(&self)
        bytes.append(UInt8(ascii: "}"))
        atFirstMember = false
    }

    /// `[ … ]` with one element per item.
    public mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONText, Items.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        atFirstMember = true
        for item in items {
            separate()
            element(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
        atFirstMember = false
    }

    /// A member's name: a key that needs no escaping (the caller's own literal).
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func separate() {
        if !atFirstMember { bytes.append(UInt8(ascii: ",")) }
        atFirstMember = false
    }

    public mutating func string(_ value: String) { Self.appendString(value, to: &bytes) }

    /// A JSON string as both Foundation and ECMAScript's JSON.stringify write it (so also RFC 8785's form, which
    /// ``JSONValue/canonicalBytes`` writes through this): quotes, backslashes and control characters escaped,
    /// everything else as its UTF-8.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { utf8 in
            var start = 0
            for (offset, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<offset]))
                appendEscaped(byte, to: &bytes)
                start = offset + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The two-letter forms for `\b \t \n \f \r " \`, `\u00xx` (lower-case) for the other control characters.
    private static func appendEscaped(_ byte: UInt8, to bytes: inout [UInt8]) {
        let short: UInt8? =
            switch byte {
            case 0x08: UInt8(ascii: "b")
            case 0x09: UInt8(ascii: "t")
            case 0x0A: UInt8(ascii: "n")
            case 0x0C: UInt8(ascii: "f")
            case 0x0D: UInt8(ascii: "r")
            case UInt8(ascii: "\""), 0x5C: byte
            default: nil
            }
        bytes.append(0x5C)
        if let short {
            bytes.append(short)
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(contentsOf: [Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    public mutating func integer(_ value: Int64) { bytes.append(contentsOf: String(value).utf8) }

    public mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }

    /// An exact value, as ``Exact`` encodes itself: its lowest-terms text as a string.
    public mutating func exact(_ value: Exact) { string(value.description) }

    /// An amount, as `Money` encodes itself: `{"fen":…}`.
    public mutating func money(_ value: Money) {
        object {
            $0.key("fen")
            $0.integer(value.fen)
        }
    }
}
