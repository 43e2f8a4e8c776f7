import EcoFundCore
import Foundation

/// A contribution to be written: its row, its journal entry (Dr `fund:cash` / Cr `contributions:{contributor}`) and
/// its audit event, all known before it reaches the database except the entry's id and the time it was recorded.
/// Made before the write is queued, so that the flusher can write many in one call (``ContributionRepository``
/// `record`); the same value, with the same id, is written again if its batch is.
struct NewContribution: Sendable {
    let id: UUID
    let request: ContributionRequest
    let principal: Principal
    let entry: JournalEntry
    /// The event's payload, without `entryID`: `record_contributions` adds it once the entry is written.
    let eventJSON: String

    init(_ request: ContributionRequest, by principal: Principal) throws {
        let id = UUID()
        self.id = id
        self.request = request
        self.principal = principal
        self.entry = JournalEntry.contribution(
            from: request.contributor, amount: request.amount, valueDate: request.valueDate,
            memo: "contribution \(request.reference)")
        self.eventJSON = try AuditRepository.Event(
            "contribution.recorded", actor: principal.subject, payload: ContributionEvent(id: id, request: request)
        ).json
    }

    /// The contributor's account, which must be open (``LedgerService`` `requireContributor`).
    var contributorAccount: AccountCode { .contributions(request.contributor) }

    func recorded(entryID: Int64, at recordedAt: Date) -> Contribution {
        Contribution(
            id: id, contributor: request.contributor, amount: request.amount, valueDate: request.valueDate,
            reference: request.reference, memo: request.memo, entryID: entryID, recordedBy: principal.subject,
            recordedAt: recordedAt, reversal: nil)
    }
}

/// The payload of `contribution.recorded`; the schema adds the entry's id as `entryID`.
struct ContributionEvent: Encodable, Sendable {
    let id: UUID
    let contributor: String
    let amount: String
    let currency = Money.currency
    let valueDate: String
    let reference: String

    init(id: UUID, request: ContributionRequest) {
        self.id = id
        self.contributor = request.contributor
        self.amount = request.amount.decimalString
        self.valueDate = request.valueDate.description
        self.reference = request.reference
    }
}
