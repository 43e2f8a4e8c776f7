import EcoFundCore

/// What a check of a CSV file does with its rows. ``CSVCheck`` reads the file, checks its byte order mark and
/// header, and hands each row over.
protocol RowCheck {
    static var file: ExportFormat.File { get }
    /// The columns the check reads; a file without one of them is not checked further.
    static var required: [String] { get }
    /// Where the columns are, from the header row.
    mutating func header(_ table: CSVTable)
    mutating func row(_ row: borrowing CSVRow, at place: RowPlace, _ report: inout ExportVerifier.Report)
    mutating func finish(_ report: inout ExportVerifier.Report)
}

/// A CSV file of the export read through its ``RowCheck``.
struct CSVCheck<Rows: RowCheck>: FileCheck {
    private(set) var rows: Rows
    private var reader = CSVReader()
    private var table = CSVTable(name: Rows.file.name)
    private var failed = false

    init(_ rows: Rows) { self.rows = rows }

    /// The row check, handed over rather than shared: what it found (a million entries' arrays) moves to the next
    /// check instead of being copied the first time that check writes to it.
    consuming func take() -> Rows { rows }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ report: inout ExportVerifier.Report) {
        guard !failed else { return }
        var reader = self.reader
        reader.feed(bytes) { row, number in take(row, number, &report) }
        self.reader = reader
    }

    mutating func finish(_ report: inout ExportVerifier.Report) {
        var reader = self.reader
        if !failed { reader.finish { row, number in take(row, number, &report) } }
        self.reader = reader
        let name = Rows.file.name
        if !reader.hadByteOrderMark, reader.rowsRead > 0 {
            report.fail("\(name) does not start with the UTF-8 byte order mark")
        }
        if !table.hasHeader, !failed { report.fail("\(name) is empty: it has not even its header row") }
        if !failed { rows.finish(&report) }
    }

    private mutating func take(_ row: borrowing CSVRow, _ number: Int, _ report: inout ExportVerifier.Report) {
        guard !failed else { return }
        guard table.hasHeader else {
            let missing = table.readHeader(row, required: Rows.required)
            if missing.isEmpty {
                rows.header(table)
            } else {
                report.fail("\(Rows.file.name) lacks the columns \(missing.joined(separator: ", "))")
                failed = true
            }
            return
        }
        rows.row(row, at: RowPlace(file: Rows.file.name, number: number), &report)
    }
}

/// Where a row is, for messages: made into text only when something fails.
struct RowPlace: CustomStringConvertible {
    let file: String
    let number: Int
    var description: String { "\(file) row \(number)" }
}

extension CSVRow {
    /// The amount in `field`, or nil after reporting that it is not one.
    func amount(
        _ field: Int, _ column: String, at place: RowPlace, _ report: inout ExportVerifier.Report
    ) -> Int64? {
        reported(fen(field), field, column, "an amount", at: place, &report)
    }

    /// The whole number in `field`, or nil after reporting that it is not one.
    func integer(
        _ field: Int, _ column: String, at place: RowPlace, _ report: inout ExportVerifier.Report
    ) -> Int64? {
        reported(int64(field), field, column, "a whole number", at: place, &report)
    }

    private func reported(
        _ value: Int64?, _ field: Int, _ column: String, _ what: String, at place: RowPlace,
        _ report: inout ExportVerifier.Report
    ) -> Int64? {
        if value == nil { report.fail("\(place): \(column) \"\(string(field))\" is not \(what)") }
        return value
    }
}
