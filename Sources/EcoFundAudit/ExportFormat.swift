import EcoFundCore

/// The layout of an audit export (DESIGN.md "Tamper evidence"): its files and their columns, the one definition the
/// writer (EcoFundExport), the verifier and the report share.
///
/// CSV files follow RFC 4180, start with the UTF-8 byte order mark (so Excel on a Chinese desktop reads 北京市), end
/// rows with CR LF, and carry a header row naming the columns below in this order. Amounts are yuan with exactly two
/// decimals (`-1234.05`), plain numbers; dates `YYYY-MM-DD`, instants UTC RFC 3339 with microseconds, people by their
/// login name, jurisdictions by code with the Chinese name in a column beside it where a person reads them.
///
/// Text a person typed (references, memos, reasons, names; the columns marked "text" below) is safe to open in a
/// spreadsheet (OWASP's rule against CSV injection): a cell whose first character is `=`, `+`, `-`, `@`, a tab, a
/// carriage return, or `'` itself is written with one `'` before it, so `=1+2` arrives as the text `'=1+2`, never
/// as a formula. ``original(_:)`` undoes it (one leading `'` dropped), which is unambiguous because a `'` typed
/// first is itself escaped. The database writes cells with `csv_text()` (Schema/014), the same rule.
public enum ExportFormat {
    public static let version = "ecofund-audit-export/3"

    /// The first characters a spreadsheet would read as the start of a formula, and the escape itself. Scalars, not
    /// characters: "\r\n" is one Swift character, and it starts with a carriage return.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "'"]

    /// A text cell as the export writes it.
    public static func neutralised(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, formulaStarts.contains(first) else { return text }
        return "'" + text
    }

    /// A text cell as the person typed it: the export's leading `'` removed.
    public static func original(_ cell: String) -> String {
        cell.unicodeScalars.first == "'" ? String(cell.unicodeScalars.dropFirst()) : cell
    }

    /// What every CSV file starts with: the UTF-8 byte order mark, so that Excel reads Chinese names correctly.
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A file of the archive.
    public enum File: String, CaseIterable, Hashable, Sendable {
        case jurisdictions = "jurisdictions.csv"
        case journalEntries = "journal_entries.csv"
        case journalLines = "journal_lines.csv"
        case accounts = "accounts.csv"
        case trialBalance = "trial_balance.csv"
        case contributions = "contributions.csv"
        case commitments = "commitments.csv"
        case runs = "disbursement_runs.csv"
        case runTransitions = "disbursement_run_transitions.csv"
        case allocations = "allocations.csv"
        case payments = "payments.csv"
        case scores = "assessment_scores.csv"
        case clawbacks = "clawbacks.csv"
        case recoveries = "recoveries.csv"
        case targets = "assessment_targets.csv"
        case readings = "assessment_readings.csv"
        /// Every event up to the checkpoint, one RFC 8785 object per line: the very bytes the Merkle leaves hash.
        case events = "events.jsonl"
        /// The signed checkpoint the events end at, with the public key that signed it.
        case checkpoint = "checkpoint.json"
        /// The books for people: fund statement, per-resident figures, pledges, disbursements, a chart.
        case report = "report.html"
        /// What was exported, from which snapshot, and every other file's size and SHA-256.
        case manifest = "manifest.json"

        /// The name inside the archive.
        public var name: String { rawValue }

        public var isCSV: Bool { !columns.isEmpty }

        /// The columns of a CSV file, in order; empty for the other files.
        public var columns: [Column] {
            switch self {
            case .jurisdictions: Column.jurisdictions
            case .journalEntries: Column.journalEntries
            case .journalLines: Column.journalLines
            case .accounts: Column.accounts
            case .trialBalance: Column.trialBalance
            case .contributions: Column.contributions
            case .commitments: Column.commitments
            case .runs: Column.runs
            case .runTransitions: Column.runTransitions
            case .allocations: Column.allocations
            case .payments: Column.payments
            case .scores: Column.scores
            case .clawbacks: Column.clawbacks
            case .recoveries: Column.recoveries
            case .targets: Column.targets
            case .readings: Column.readings
            case .events, .checkpoint, .report, .manifest: []
            }
        }
    }

    /// Every file the manifest lists, in the order they are written (the manifest itself comes last, unlisted).
    public static let files: [File] = File.allCases.filter { $0 != .manifest }

    /// A CSV column: its name in the header row and what it holds.
    public struct Column: Hashable, Sendable {
        public let name: String
        public let meaning: String

        init(_ name: String, _ meaning: String) {
            self.name = name
            self.meaning = meaning
        }
    }
}
