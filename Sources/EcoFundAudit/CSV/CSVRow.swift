import EcoFundCore
import Foundation

/// One row: the unescaped bytes of its fields, back to back, and where each field ends.
public struct CSVRow {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    public var count: Int { ends.count }

    private func range(_ field: Int) -> Range<Int>? {
        guard field >= 0, field < ends.count else { return nil }
        return (field == 0 ? 0 : ends[field - 1])..<ends[field]
    }

    public func string(_ field: Int) -> String {
        guard let range = range(field) else { return "" }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    public var strings: [String] { (0..<count).map { string($0) } }

    public func isEmpty(_ field: Int) -> Bool { range(field)?.isEmpty ?? true }

    /// Whether the field is exactly `text` (ASCII), without making a string.
    public func equals(_ field: Int, _ text: StaticString) -> Bool {
        guard let range = range(field), range.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return bytes[range].elementsEqual(expected)
    }

    /// Whether the field is exactly these bytes.
    public func equals(_ field: Int, _ other: [UInt8]) -> Bool {
        guard let range = range(field), range.count == other.count else { return false }
        return bytes.withUnsafeBufferPointer { mine in
            other.withUnsafeBufferPointer { theirs in
                memcmp(mine.baseAddress! + range.lowerBound, theirs.baseAddress!, range.count) == 0
            }
        }
    }

    public func bytes(_ field: Int) -> [UInt8] {
        guard let range = range(field) else { return [] }
        return Array(bytes[range])
    }

    /// A whole number of up to 18 digits with an optional minus sign, or nil.
    public func int64(_ field: Int) -> Int64? {
        guard let range = range(field), !range.isEmpty, range.count <= 19 else { return nil }
        var value: Int64 = 0
        var negative = false
        for index in range {
            let byte = bytes[index]
            if index == range.lowerBound, byte == UInt8(ascii: "-"), range.count > 1 {
                negative = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }

    /// An amount as the export writes it ("-1234.05": digits, a point, exactly two decimals) in fen, or nil.
    public func fen(_ field: Int) -> Int64? {
        guard let range = range(field), range.count >= 4, range.count <= 20,
            bytes[range.upperBound - 3] == UInt8(ascii: ".")
        else { return nil }
        var value: Int64 = 0
        var negative = false
        var digits = 0
        for index in range where index != range.upperBound - 3 {
            let byte = bytes[index]
            if index == range.lowerBound, byte == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        guard digits >= 3, value <= Money.fenMax * 2 else { return nil }
        return negative ? -value : value
    }
}
