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

    /// The positions of several columns, in order.
    func indexes(_ names: [String]) -> [Int] { names.map(index) }
}
