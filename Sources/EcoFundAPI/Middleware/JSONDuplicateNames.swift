/// Finds a name given twice in one JSON object, which the JSON decoder would accept with the first value winning
/// while most proxies and other readers take the last: two readers of one body would then see two different
/// requests (`"amount":"1.00","amount":"999999.00"`). Returns the JSON pointer of the second occurrence, or nil when
/// there is none or the body is not JSON (the decoder then says what is wrong).
///
/// A scanner, not a parser: it keeps one set of names per open object and never recurses, so a body nested a
/// hundred thousand deep costs memory for the stack of containers only, up to ``depthMax``.
enum JSONDuplicateNames {
    /// Deeper bodies are left to the decoder, which refuses them.
    static let depthMax = 256

    private enum Container {
        case object(names: Set<String>, pointer: String, pendingName: String?)
        case array(pointer: String, index: Int)
    }

    static func firstDuplicate(in bytes: [UInt8]) -> String? {
        var stack: [Container] = []
        var index = 0
        var expectName = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < depthMax else { return nil }
                let pointer = valuePointer(&stack)
                stack.append(
                    byte == UInt8(ascii: "{")
                        ? .object(names: [], pointer: pointer, pendingName: nil) : .array(pointer: pointer, index: 0))
                expectName = byte == UInt8(ascii: "{")
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                expectName = false
                index += 1
            case UInt8(ascii: ","):
                if case .array(let pointer, let position) = stack.last {
                    stack[stack.count - 1] = .array(pointer: pointer, index: position + 1)
                }
                if case .object = stack.last { expectName = true }
                index += 1
            case UInt8(ascii: "\""):
                guard let (text, end) = string(bytes, from: index) else { return nil }
                index = end
                guard expectName, case .object(var names, let pointer, _) = stack.last else { continue }
                guard names.insert(text).inserted else { return pointer + "/" + escape(text) }
                stack[stack.count - 1] = .object(names: names, pointer: pointer, pendingName: text)
                expectName = false
            default:
                index += 1
            }
        }
        return nil
    }

    /// The pointer of the value that starts now, inside the innermost container.
    private static func valuePointer(_ stack: inout [Container]) -> String {
        switch stack.last {
        case .object(_, let pointer, let name?): pointer + "/" + escape(name)
        case .array(let pointer, let position): pointer + "/\(position)"
        case .object(_, let pointer, nil): pointer
        case nil: ""
        }
    }

    /// The string starting at `start` (a quote), unescaped, and the index after its closing quote.
    private static func string(_ bytes: [UInt8], from start: Int) -> (String, Int)? {
        var scalars = String.UnicodeScalarView()
        var index = start + 1
        var utf8: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                return (String(scalars), index + 1)
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { return nil }
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll()
                guard let (scalar, end) = escaped(bytes, at: index + 1) else { return nil }
                scalars.append(scalar)
                index = end
                continue
            }
            utf8.append(byte)
            index += 1
        }
        return nil
    }

    /// The escape after a backslash, and the index after it. Surrogate pairs of `\u` escapes make one scalar.
    private static func escaped(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        switch bytes[index] {
        case UInt8(ascii: "b"): return ("\u{08}", index + 1)
        case UInt8(ascii: "f"): return ("\u{0C}", index + 1)
        case UInt8(ascii: "n"): return ("\n", index + 1)
        case UInt8(ascii: "r"): return ("\r", index + 1)
        case UInt8(ascii: "t"): return ("\t", index + 1)
        case UInt8(ascii: "u"):
            guard let high = hex4(bytes, index + 1) else { return nil }
            if (0xD800..<0xDC00).contains(high), index + 10 < bytes.count, bytes[index + 5] == UInt8(ascii: "\\"),
                bytes[index + 6] == UInt8(ascii: "u"), let low = hex4(bytes, index + 7),
                (0xDC00..<0xE000).contains(low),
                let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            {
                return (scalar, index + 11)
            }
            return (Unicode.Scalar(high) ?? "\u{FFFD}", index + 5)
        default: return (Unicode.Scalar(bytes[index]), index + 1)
        }
    }

    private static func hex4(_ bytes: [UInt8], _ index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        return UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
    }

    /// RFC 6901: `~` as `~0`, `/` as `~1`.
    private static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
