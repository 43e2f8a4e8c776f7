import Foundation

/// What a run snapshots when it is proposed, besides the rule: enough to recompute its allocation offline.
public struct RunSnapshot: Hashable, Sendable, Codable {
    public let inputs: AllocationInputs
    /// The assessment period the rule used and its revision at the time (bumped by every finalize and reopen).
    public let period: String?
    public let periodRevision: Int?

    public init(inputs: AllocationInputs, period: String?, periodRevision: Int?) {
        self.inputs = inputs
        self.period = period
        self.periodRevision = periodRevision
    }
}

/// A disbursement run as shown: its allocation, its state, who did what, and its payments.
public struct DisbursementRun: Hashable, Sendable, Codable {
    public struct Payment: Hashable, Sendable, Codable {
        public let recipient: String
        public let amount: Money
        public let bankReference: String
        public let entryID: Int64
        public let confirmedBy: String
        public let confirmedAt: Date
        /// The part of the payment kept against the recipient's receivable (Dr payable / Cr receivable) rather than
        /// transferred; nil when the bank paid it all.
        public let offset: Money?

        public init(
            recipient: String, amount: Money, bankReference: String, entryID: Int64, confirmedBy: String,
            confirmedAt: Date, offset: Money? = nil
        ) {
            self.offset = offset
            self.recipient = recipient
            self.amount = amount
            self.bankReference = bankReference
            self.entryID = entryID
            self.confirmedBy = confirmedBy
            self.confirmedAt = confirmedAt
        }
    }

    public struct Transition: Hashable, Sendable, Codable {
        public let status: RunStatus
        public let actor: String
        public let at: Date
        public let reason: String?

        public init(status: RunStatus, actor: String, at: Date, reason: String?) {
            self.status = status
            self.actor = actor
            self.at = at
            self.reason = reason
        }
    }

    public let id: UUID
    public let rule: String
    public let ruleVersion: Int
    public let status: RunStatus
    public let valueDate: CalendarDate
    public let allocation: Allocation
    public let snapshot: RunSnapshot
    /// True when the assessment period the run used has been reopened (or re-finalized) since it was proposed.
    public let inputsRevised: Bool
    public let proposedBy: String
    public let postedEntryID: Int64?
    public let transitions: [Transition]
    public let payments: [Payment]

    public init(
        id: UUID, rule: String, ruleVersion: Int, status: RunStatus, valueDate: CalendarDate, allocation: Allocation,
        snapshot: RunSnapshot, inputsRevised: Bool, proposedBy: String, postedEntryID: Int64?,
        transitions: [Transition], payments: [Payment]
    ) {
        self.id = id
        self.rule = rule
        self.ruleVersion = ruleVersion
        self.status = status
        self.valueDate = valueDate
        self.allocation = allocation
        self.snapshot = snapshot
        self.inputsRevised = inputsRevised
        self.proposedBy = proposedBy
        self.postedEntryID = postedEntryID
        self.transitions = transitions
        self.payments = payments
    }

    /// What posting the run moves: Σ of the recipients' amounts (retained tranches stay in the fund).
    public var allocated: Money { allocation.allocated }

    /// The posting: Dr `disbursements:{r}` / Cr `payable:{r}` for every recipient with an amount.
    public func postingEntry(memo: String) -> JournalEntry? {
        let lines = allocation.allocations.filter { $0.amount.fen > 0 }.flatMap { recipient in
            [
                JournalEntry.Line(.debit, .disbursements(recipient.recipient), recipient.amount),
                JournalEntry.Line(.credit, .payable(recipient.recipient), recipient.amount),
            ]
        }
        guard !lines.isEmpty else { return nil }
        return JournalEntry(kind: .disbursement, valueDate: valueDate, memo: memo, lines: lines)
    }
}

extension JournalEntry {
    /// A confirmed transfer to a recipient: Dr `payable:{r}` / Cr `fund:cash`; with an offset, that part of it
    /// Cr `receivable:{r}` instead (what the recipient owes the fund is kept back from what it is paid).
    public static func payment(
        to recipient: String, amount: Money, offset: Money? = nil, valueDate: CalendarDate, memo: String
    ) -> JournalEntry {
        let kept = offset ?? .zero
        precondition(kept.fen >= 0 && kept <= amount, "an offset is at most the payment")
        var lines = [Line(.debit, .payable(recipient), amount)]
        if kept < amount { lines.append(Line(.credit, .fundCash, amount - kept)) }
        if kept.fen > 0 { lines.append(Line(.credit, .receivable(recipient), kept)) }
        return JournalEntry(kind: .payment, valueDate: valueDate, memo: memo, lines: lines)
    }
}

extension DisbursementRun {
    /// A posted settlement's clawbacks: one entry per recipient whose advances exceeded its final amount.
    public var clawbackEntries: [(recipient: String, amount: Money, entry: JournalEntry)] {
        allocation.allocations.compactMap { recipient in
            guard let owed = recipient.clawback, owed.fen > 0 else { return nil }
            let memo = "clawback of settlement run \(id.text) (\(rule) v\(ruleVersion)) from \(recipient.recipient)"
            return (
                recipient.recipient, owed,
                JournalEntry.clawback(from: recipient.recipient, amount: owed, valueDate: valueDate, memo: memo)
            )
        }
    }
}

extension JournalEntry {
    /// What a settlement takes back of a recipient's advances: Dr `receivable:{r}` / Cr `disbursements:{r}`.
    public static func clawback(from recipient: String, amount: Money, valueDate: CalendarDate, memo: String)
        -> JournalEntry
    {
        JournalEntry(
            kind: .clawback, valueDate: valueDate, memo: memo,
            lines: [Line(.debit, .receivable(recipient), amount), Line(.credit, .disbursements(recipient), amount)])
    }

    /// Money a recipient returns against its receivable: Dr `fund:cash` / Cr `receivable:{r}`.
    public static func recovery(from recipient: String, amount: Money, valueDate: CalendarDate, memo: String)
        -> JournalEntry
    {
        JournalEntry(
            kind: .recovery, valueDate: valueDate, memo: memo,
            lines: [Line(.debit, .fundCash, amount), Line(.credit, .receivable(recipient), amount)])
    }
}
