import Foundation

/// A disbursement run as a list shows it: its state and totals, without its allocation's derivations (a run of 200
/// recipients carries hundreds of kilobytes of working; a list of runs is read often and needs none of it).
public struct RunSummary: Hashable, Sendable, Codable {
    public let id: UUID
    public let rule: String
    public let ruleVersion: Int
    public let status: RunStatus
    public let valueDate: CalendarDate
    public let pool: Money
    public let allocated: Money
    /// What the fund had uncommitted when the run was proposed.
    public let available: Money
    public let period: String?
    public let periodRevision: Int?
    /// True when the assessment period the run used has been reopened (or re-finalized) since it was proposed.
    public let inputsRevised: Bool
    public let recipients: Int
    public let paid: Money
    public let proposedBy: String
    public let proposedAt: Date
    public let postedEntryID: Int64?

    public init(
        id: UUID, rule: String, ruleVersion: Int, status: RunStatus, valueDate: CalendarDate, pool: Money,
        allocated: Money, available: Money, period: String?, periodRevision: Int?, inputsRevised: Bool, recipients: Int,
        paid: Money, proposedBy: String, proposedAt: Date, postedEntryID: Int64?
    ) {
        self.id = id
        self.rule = rule
        self.ruleVersion = ruleVersion
        self.status = status
        self.valueDate = valueDate
        self.pool = pool
        self.allocated = allocated
        self.available = available
        self.period = period
        self.periodRevision = periodRevision
        self.inputsRevised = inputsRevised
        self.recipients = recipients
        self.paid = paid
        self.proposedBy = proposedBy
        self.proposedAt = proposedAt
        self.postedEntryID = postedEntryID
    }
}
