/// What a user may do. See DESIGN.md, "Users and what they do", and ``Permission`` for the table.
public enum Role: String, CaseIterable, Sendable, Codable {
    /// Records contributions and commitments of one jurisdiction; proposes disbursement runs.
    case finance
    /// Approves or rejects runs proposed by someone else; confirms payments.
    case approver
    /// Keeps indicator schemes and assessment scores.
    case assessor
    /// Reads and exports everything; changes nothing.
    case auditor
    /// Users, tokens, allocation rules and reference data.
    case admin
}
