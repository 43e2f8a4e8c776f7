import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Pledges per contributor and fiscal year, and how far each is fulfilled by contributions.
public struct CommitmentService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    /// Records a pledge. One pledge per contributor and fiscal year: a second is a conflict.
    public func create(_ request: CommitmentRequest, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<Commitment>
    {
        try principal.authorize(.recordCommitments)
        try principal.requireActsFor(request.contributor, to: "record a commitment", at: "/contributor")
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createCommitment", request: request, principal: principal,
                on: connection, logger: logger
            ) {
                try await LedgerService.requireContributor(
                    request.contributor, in: database, on: connection, logger: logger)
                let id = UUID()
                guard
                    try await CommitmentRepository.insert(
                        id: id, request, by: principal, on: connection, logger: logger)
                else {
                    throw StoreError(
                        .conflict, "\(request.contributor) already has a commitment for \(request.fiscalYear)")
                }
                try await AuditRepository.record(
                    "commitment.recorded", actor: principal.subject,
                    payload: CommitmentEvent(
                        id: id, contributor: request.contributor, fiscalYear: request.fiscalYear,
                        amount: request.amount.decimalString),
                    on: connection, logger: logger)
                guard
                    let commitment = try await CommitmentRepository.list(
                        id: id, fiscalYear: nil, contributor: nil, on: connection, logger: logger
                    ).first
                else {
                    preconditionFailure("commitment \(id.text) vanished inside its own transaction")
                }
                return commitment
            }
        }
    }

    /// Commitments, optionally of one fiscal year or contributor, ordered by year and contributor.
    public func list(fiscalYear: Int?, contributor: String?, by principal: Principal) async throws -> [Commitment] {
        try principal.authorize(.readBooks)
        if let fiscalYear { try CalendarDate.validateFiscalYear(fiscalYear, at: "fiscalYear") }
        if let contributor { try Jurisdiction.validateCode(contributor, at: "contributor") }
        return try await database.read { connection in
            try await CommitmentRepository.list(
                id: nil, fiscalYear: fiscalYear, contributor: contributor, on: connection, logger: logger)
        }
    }
}

struct CommitmentEvent: Encodable, Sendable {
    let id: UUID
    let contributor: String
    let fiscalYear: Int
    let amount: String
    let currency = Money.currency
}
