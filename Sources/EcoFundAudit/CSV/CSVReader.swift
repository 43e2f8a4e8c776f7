import EcoFundCore
import Foundation

/// Reads RFC 4180 CSV fed in chunks of any size: quoted fields with doubled quotes and line breaks, CR LF or LF
/// row ends, and the byte order mark ahead of the first field. Rows are handed out as they complete, as a
/// ``CSVRow`` over buffers the reader reuses, so a file of millions of rows costs no allocation per row and no more
/// memory than its longest row.
public struct CSVReader {
    private var row = CSVRow()
    private var fieldStart = 0
    private var inQuotes = false
    private var quoteClosed = false
    public private(set) var rowsRead = 0

    public init() {}

    /// Whether the data began with the UTF-8 byte order mark (which is not part of the first field).
    public private(set) var hadByteOrderMark = false

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, onRow: (borrowing CSVRow, Int) throws -> Void) rethrows {
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
    public mutating func finish(onRow: (borrowing CSVRow, Int) throws -> Void) rethrows {
        if !row.bytes.isEmpty || !row.ends.isEmpty {
            endField()
            rowsRead += 1
            try onRow(row, rowsRead)
            row.removeAll()
        }
    }
}

extension CSVReader {
    /// Every row of a whole CSV file as strings, parsed as the verifier parses it (the byte order mark dropped).
    public static func rows(_ bytes: [UInt8]) -> [[String]] {
        var reader = CSVReader()
        var rows: [[String]] = []
        bytes.withUnsafeBytes { reader.feed($0) { row, _ in rows.append(row.strings) } }
        reader.finish { row, _ in rows.append(row.strings) }
        return rows
    }
}
