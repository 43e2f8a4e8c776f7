/// Reads RFC 4180 CSV fed in chunks of any size: quoted fields with doubled quotes and line breaks, CR LF or LF
/// row ends. Rows are handed out as they complete, so a file of millions of rows needs no more memory than a row.
struct CSVReader {
    private var field: [UInt8] = []
    private var row: [String] = []
    private var inQuotes = false
    private var quoteClosed = false
    private(set) var rowsRead = 0

    /// Whether the data began with the UTF-8 byte order mark (which is not part of the first field).
    private(set) var hadByteOrderMark = false

    mutating func feed(_ bytes: UnsafeRawBufferPointer, onRow: ([String], Int) throws -> Void) rethrows {
        try consume(bytes, from: 0, onRow: onRow)
    }

    private mutating func consume(
        _ bytes: UnsafeRawBufferPointer, from start: Int, onRow: ([String], Int) throws -> Void
    )
        rethrows
    {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    quoteClosed = true
                } else {
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                // A quote right after a closing quote is a doubled quote inside the field.
                if quoteClosed { field.append(byte) }
                inQuotes = true
                quoteClosed = false
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                endField()
                let complete = row
                row.removeAll(keepingCapacity: true)
                rowsRead += 1
                try onRow(complete, rowsRead)
            case UInt8(ascii: "\r"):
                quoteClosed = false
            default:
                quoteClosed = false
                field.append(byte)
            }
        }
    }

    private mutating func endField() {
        if rowsRead == 0, row.isEmpty, field.starts(with: ExportFormat.byteOrderMark) {
            field.removeFirst(ExportFormat.byteOrderMark.count)
            hadByteOrderMark = true
        }
        row.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        quoteClosed = false
    }

    /// Hands out a last row that did not end in a line break.
    mutating func finish(onRow: ([String], Int) throws -> Void) rethrows {
        if !field.isEmpty || !row.isEmpty {
            endField()
            let complete = row
            row.removeAll()
            rowsRead += 1
            try onRow(complete, rowsRead)
        }
    }
}

/// A CSV file's rows by column name, checked against the columns the verifier needs.
struct CSVTable {
    let name: String
    private var columns: [String: Int] = [:]
    private var header: [String]?

    init(name: String) { self.name = name }

    /// Takes the header row; returns the missing columns, if any.
    mutating func readHeader(_ row: [String], required: [String]) -> [String] {
        header = row
        columns = Dictionary(row.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return required.filter { columns[$0] == nil }
    }

    var hasHeader: Bool { header != nil }

    func value(_ row: [String], _ column: String) -> String {
        guard let index = columns[column], index < row.count else { return "" }
        return row[index]
    }
}
