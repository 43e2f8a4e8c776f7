import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Contributions, reversals and balances: each write is one item of the commit queue (``Database/batched``) with its
/// journal entry, its audit event and its idempotency record, or nothing at all.
public struct LedgerService: Sendable {
    let database: Database
    /// Today in the fund's calendar: the value date of a reversal that names none.
    let today: @Sendable () -> CalendarDate
    var logger: Logger { database.logger }

    public init(database: Database, today: @escaping @Sendable () -> CalendarDate = CalendarDate.todayUTC) {
        self.database = database
        self.today = today
    }

    /// Records a contribution: Dr `fund:cash` / Cr `contributions:{contributor}`.
    ///
    /// - Throws: ``AuthorizationError`` when a finance caller acts for another jurisdiction; ``ValidationError``
    ///   for a jurisdiction that is not a contributor; ``StoreError`` for a reused idempotency key.
    public func recordContribution(
        _ request: ContributionRequest, by principal: Principal, idempotencyKey: IdempotencyKey
    ) async throws -> Keyed<Contribution> {
        try principal.authorize(.recordContributions)
        try principal.requireActsFor(request.contributor, to: "record a contribution", at: "/contributor")
        let contribution = try NewContribution(request, by: principal)
        return try await database.batched(
            contribution, moving: [.fundCash, contribution.contributorAccount], key: idempotencyKey,
            operation: "recordContribution"
        ) { connection in
            try await Self.requireContributor(request.contributor, in: database, on: connection, logger: logger)
            return try await ContributionRepository.record([contribution], on: connection, logger: logger)[0]
        }
    }

    /// A jurisdiction pays in (or pledges) only when it has a contributor account (`contributions:{code}`).
    static func requireContributor(
        _ code: String, in database: Database, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let account = AccountCode.contributions(code)
        guard try await database.openAccounts.contains(account, on: connection, logger: logger) else {
            throw ValidationError(
                .unknownReference, at: "/contributor",
                "\(code) is not a contributor to the fund (no account \(account))")
        }
    }

    /// Reverses a contribution with a mirror entry that names the original; a contribution is reversed at most once.
    ///
    /// - Throws: ``StoreError`` `.notFound`, `.conflict` when already reversed, `.fundInsufficient` when the money
    ///   has already gone out and `fund:cash` would fall below zero.
    public func reverseContribution(
        id: UUID, _ request: ReversalRequest, by principal: Principal, idempotencyKey: IdempotencyKey
    ) async throws -> Keyed<Contribution> {
        try principal.authorize(.reverseContributions)
        let today = self.today()
        // Who paid it in names the rows the reversal moves; it never changes, so it is read before the batch.
        let contributor = try await database.read { connection in
            try await ContributionRepository.find(id: id, on: connection, logger: logger)?.contributor
        }
        let moves = [AccountCode.fundCash] + (contributor.map { [AccountCode.contributions($0)] } ?? [])
        return try await database.batched(
            moving: moves, request: request, key: idempotencyKey, operation: "reverseContribution:\(id)", by: principal
        ) { connection in
            guard let original = try await ContributionRepository.find(id: id, on: connection, logger: logger)
            else {
                throw StoreError(.notFound, "no contribution \(id.text)")
            }
            try principal.requireActsFor(original.contributor, to: "reverse a contribution")
            guard original.reversal == nil else {
                throw StoreError(.conflict, "contribution \(id.text) was already reversed")
            }
            let valueDate = request.valueDate ?? today
            guard valueDate >= original.valueDate else {
                throw ValidationError(
                    .invalidDate, at: "/valueDate",
                    "must not be before the contribution's value date \(original.valueDate)")
            }
            let cash = try await JournalRepository.currentBalances([.fundCash], on: connection, logger: logger)
            guard let held = cash[AccountCode.fundCash.description], held >= original.amount else {
                throw StoreError(.fundInsufficient, "fund:cash holds less than the \(original.amount) to reverse")
            }
            let entry = JournalEntry.contribution(
                from: original.contributor, amount: original.amount, valueDate: original.valueDate, memo: ""
            ).reversal(
                of: original.entryID, valueDate: valueDate, memo: "reversal of contribution \(original.reference)")
            let entryID = try await JournalRepository.insert(
                entry, recordedBy: principal.subject, on: connection, logger: logger)
            try await ContributionRepository.insertReversal(
                of: id, entryID: entryID, reason: request.reason, by: principal, on: connection, logger: logger)
            try await AuditRepository.record(
                "contribution.reversed", actor: principal.subject,
                payload: ReversalEvent(
                    contributionID: id, entryID: entryID, reverses: original.entryID, request: request),
                on: connection, logger: logger)
            guard let reversed = try await ContributionRepository.find(id: id, on: connection, logger: logger)
            else {
                preconditionFailure("contribution \(id.text) vanished inside its own transaction")
            }
            return reversed
        }
    }

    public func contribution(id: UUID, by principal: Principal) async throws -> Contribution {
        try principal.authorize(.readBooks)
        guard
            let contribution = try await database.read({ connection in
                try await ContributionRepository.find(id: id, on: connection, logger: logger)
            })
        else {
            throw StoreError(.notFound, "no contribution \(id.text)")
        }
        return contribution
    }

    /// A contribution with what it wrote: its journal entry (and its reversal's), their lines, and the audit
    /// events of those transactions.
    public func contributionRecord(id: UUID, by principal: Principal) async throws -> ContributionRecord {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            guard let contribution = try await ContributionRepository.find(id: id, on: connection, logger: logger)
            else {
                throw StoreError(.notFound, "no contribution \(id.text)")
            }
            let ids = [contribution.entryID] + (contribution.reversal.map { [$0.entryID] } ?? [])
            return ContributionRecord(
                contribution: contribution,
                entries: try await JournalRepository.entries(ids, on: connection, logger: logger),
                events: try await AuditRepository.events(ofEntries: ids, on: connection, logger: logger))
        }
    }

    /// One page of contributions, newest first.
    public func contributions(_ filter: ContributionFilter, by principal: Principal) async throws -> Page<Contribution>
    {
        try principal.authorize(.readBooks)
        let rows = try await database.read { connection in
            try await ContributionRepository.list(filter, on: connection, logger: logger)
        }
        let items = Array(rows.prefix(filter.limit))
        let next = rows.count > filter.limit ? items.last.map { Cursor.encode(entryID: $0.entryID) } : nil
        return Page(items: items, nextCursor: next)
    }

    /// Every account with its stored balance, or its balance from the lines as of a value date.
    public func accounts(asOf: CalendarDate?, by principal: Principal) async throws -> [AccountBalance] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await JournalRepository.balances(codes: nil, asOf: asOf, on: connection, logger: logger)
        }
    }

    /// One account by its code (`fund:cash`, `payable:chengde`); a code that is not an account's is not found.
    public func account(_ code: String, asOf: CalendarDate?, by principal: Principal) async throws -> AccountBalance {
        try principal.authorize(.readBooks)
        guard let account = AccountCode(code),
            let balance = try await database.read({ connection in
                try await JournalRepository.balances(
                    codes: [account.description], asOf: asOf, on: connection, logger: logger
                ).first
            })
        else {
            throw StoreError(.notFound, "no account \(code)")
        }
        return balance
    }

    public func trialBalance(asOf: CalendarDate?, by principal: Principal) async throws -> TrialBalance {
        TrialBalance(asOf: asOf, balances: try await accounts(asOf: asOf, by: principal))
    }

    /// Accounts whose stored balance is not the sum of their lines, account-days whose kept movements are not
    /// (`fund:cash 2025-03-15`), and contributors' yearly totals that are not the sum of their contributions
    /// (`contributions:beijing 2025`). Empty unless the books were tampered with. For
    /// operators and drills, which hold the database's credentials already.
    public func mismatchedBalances() async throws -> [String] {
        try await database.read { connection in
            try await JournalRepository.mismatchedBalances(on: connection, logger: logger)
                + JournalRepository.mismatchedMovements(on: connection, logger: logger)
                + ContributionRepository.mismatchedYearTotals(on: connection, logger: logger)
        }
    }
}

struct ReversalEvent: Encodable, Sendable {
    let contributionID: UUID
    let entryID: Int64
    let reverses: Int64
    let reason: String
    let valueDate: String?

    init(contributionID: UUID, entryID: Int64, reverses: Int64, request: ReversalRequest) {
        self.contributionID = contributionID
        self.entryID = entryID
        self.reverses = reverses
        self.reason = request.reason
        self.valueDate = request.valueDate?.description
    }
}

/// A contribution and everything it wrote, for reading it whole.
public struct ContributionRecord: Hashable, Sendable {
    public let contribution: Contribution
    public let entries: [PostedEntry]
    public let events: [RecordedEvent]
}
