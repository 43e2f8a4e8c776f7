/// The tables of an audit export, each one CSV file of EcoFundAudit's format, read by a `COPY (…) TO STDOUT` of its
/// own in the export's snapshot. The SQL is ``ExportRepository``'s; the file names and columns are the format's, and a
/// test holds each query's header to the format's columns.
public enum ExportTable: String, CaseIterable, Sendable {
    case jurisdictions, journalEntries, journalLines, accounts, trialBalance, contributions, commitments, runs
    case runTransitions, allocations, payments, scores, clawbacks, recoveries, targets, readings
}
