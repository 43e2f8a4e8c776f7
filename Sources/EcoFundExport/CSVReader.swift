import EcoFundCore
import Foundation

/// Reads RFC 4180 CSV fed in chunks of any size: quoted fields with doubled quotes and line breaks, CR LF or LF
/// row ends. Rows are handed out as they complete, as a ``CSVRow`` over buffers the reader reuses, so a file of
/// millions of rows costs no allocation per row and no more memory than its longest row.
struct CSVReader {
    private var row = CSVRow()
    private var fieldStart = 0
    private var inQuotes = false
    private var quoteClosed = false
    private(set) var rowsRead = 0

    /// Whether the data began with the UTF-8 byte order mark (which is not part of the first field).
    private(set) var hadByteOrderMark = false

    mutating func feed(_ bytes: UnsafeRawBufferPointer, onRow: (borrowing CSVRow, Int) throws -> Void) rethrows {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            if inQuotes {
                // Copy up to the next quote in one go.
                var end = index
                while end < count, base[end] != UInt8(ascii: "\"") { end += 1 }
                row.bytes.append(contentsOf: UnsafeBufferPointer(start: base + index, count: end - index))
                if end < count {
                    inQuotes = false
                    quoteClosed = true
                    end += 1
                }
                index = end
                continue
            }
            // Copy an unquoted run up to the next special byte in one go.
            var end = index
            while end < count {
                let byte = base[end]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\"")
                    || byte == UInt8(ascii: "\r")
                {
                    break
                }
                end += 1
            }
            if end > index {
                quoteClosed = false
                row.bytes.append(contentsOf: UnsafeBufferPointer(start: base + index, count: end - index))
            }
            guard end < count else { return }
            switch base[end] {
            case UInt8(ascii: "\""):
                // A quote right after a closing quote is a doubled quote inside the field.
                if quoteClosed { row.bytes.append(UInt8(ascii: "\"")) }
                inQuotes = true
                quoteClosed = false
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                endField()
                rowsRead += 1
                try onRow(row, rowsRead)
                row.removeAll()
                fieldStart = 0
            default:  // CR: only ever before LF outside quotes
                quoteClosed = false
            }
            index = end + 1
        }
    }

    private mutating func endField() {
        if rowsRead == 0, row.ends.isEmpty, row.bytes.starts(with: ExportFormat.byteOrderMark) {
            row.bytes.removeFirst(ExportFormat.byteOrderMark.count)
            hadByteOrderMark = true
        }
        row.ends.append(row.bytes.count)
        fieldStart = row.bytes.count
        quoteClosed = false
    }

    /// Hands out a last row that did not end in a line break.
    mutating func finish(onRow: (borrowing CSVRow, Int) throws -> Void) rethrows {
        if !row.bytes.isEmpty || !row.ends.isEmpty {
            endField()
            rowsRead += 1
            try onRow(row, rowsRead)
            row.removeAll()
        }
    }
}

/// One row: the unescaped bytes of its fields, back to back, and where each field ends.
struct CSVRow {
    fileprivate(set) var bytes: [UInt8] = []
    fileprivate(set) var ends: [Int] = []

    fileprivate mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    var count: Int { ends.count }

    private func range(_ field: Int) -> Range<Int>? {
        guard field >= 0, field < ends.count else { return nil }
        return (field == 0 ? 0 : ends[field - 1])..<ends[field]
    }

    func string(_ field: Int) -> String {
        guard let range = range(field) else { return "" }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    var strings: [String] { (0..<count).map { string($0) } }

    func isEmpty(_ field: Int) -> Bool { range(field)?.isEmpty ?? true }

    /// Whether the field is exactly `text` (ASCII), without making a string.
    func equals(_ field: Int, _ text: StaticString) -> Bool {
        guard let range = range(field), range.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return bytes[range].elementsEqual(expected)
    }

    /// Whether the field is exactly these bytes.
    func equals(_ field: Int, _ other: [UInt8]) -> Bool {
        guard let range = range(field), range.count == other.count else { return false }
        return bytes.withUnsafeBufferPointer { mine in
            other.withUnsafeBufferPointer { theirs in
                memcmp(mine.baseAddress! + range.lowerBound, theirs.baseAddress!, range.count) == 0
            }
        }
    }

    func bytes(_ field: Int) -> [UInt8] {
        guard let range = range(field) else { return [] }
        return Array(bytes[range])
    }

    /// A whole number of up to 18 digits with an optional minus sign, or nil.
    func int64(_ field: Int) -> Int64? {
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
    func fen(_ field: Int) -> Int64? {
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

/// A CSV file's header: which column is where, checked against the columns the verifier needs.
struct CSVTable {
    let name: String
    private var columns: [String: Int] = [:]
    private(set) var hasHeader = false

    init(name: String) { self.name = name }

    /// Takes the header row; returns the missing columns, if any.
    mutating func readHeader(_ row: borrowing CSVRow, required: [String]) -> [String] {
        hasHeader = true
        columns = Dictionary(row.strings.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return required.filter { columns[$0] == nil }
    }

    /// The position of a column (a position no row has when the column is missing).
    func index(_ column: String) -> Int { columns[column] ?? -1 }
}
