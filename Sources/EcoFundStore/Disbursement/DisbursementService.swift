import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Rules, previews and runs: money leaves only by a published rule, through a run that someone other than its
/// proposer approved, and only while the fund holds enough.
public struct DisbursementService: Sendable {
    /// Runs per list: 20 unless the caller asks for up to 100.
    public static let page = PageLimit(itemsDefault: 20, itemsMax: 100)
    /// A run's allocations per page: 50 unless the caller asks for up to 200 (a whole tranche).
    public static let allocationsPage = PageLimit(itemsDefault: 50, itemsMax: 200)

    let database: Database
    /// Today in the fund's calendar: the value date of a run or payment that names none.
    let today: @Sendable () -> CalendarDate
    var logger: Logger { database.logger }

    public init(database: Database, today: @escaping @Sendable () -> CalendarDate = CalendarDate.todayUTC) {
        self.database = database
        self.today = today
    }

    /// Publishes a new immutable version of a rule (admin).
    public func publish(_ document: RuleDocument, by principal: Principal, idempotencyKey: IdempotencyKey?)
        async throws -> Keyed<RuleRecord>
    {
        try principal.authorize(.publishRules)
        _ = try AllocationRule(document)
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "publishRule", request: document, principal: principal,
                on: connection, logger: logger
            ) {
                try await RuleRepository.insert(document, by: principal, on: connection, logger: logger)
            }
        }
    }

    public func rules(_ code: String, by principal: Principal) async throws -> [RuleRecord] {
        try principal.authorize(.readBooks)
        let versions = try await database.read { connection in
            try await RuleRepository.rules(code: code, version: nil, on: connection, logger: logger)
        }
        guard !versions.isEmpty else { throw StoreError(.notFound, "no allocation rule \(code)") }
        return versions
    }

    /// Every published rule at its latest version, by code: what a run may be proposed under.
    public func latestRules(by principal: Principal) async throws -> [RuleRecord] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await RuleRepository.latest(on: connection, logger: logger)
        }
    }

    /// What the fund can still commit to a run now: cash less payables and approved runs not yet posted.
    public func uncommitted(by principal: Principal) async throws -> Money {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            Money(fen: try await RunRepository.uncommittedFen(on: connection, logger: logger))
        }
    }

    /// Computes an allocation from today's inputs with no side effects.
    public func preview(rule code: String, version: Int?, pool: Money?, by principal: Principal) async throws
        -> (rule: RuleRecord, allocation: Allocation, snapshot: RunSnapshot)
    {
        try principal.authorize(.previewAllocations)
        let (record, rule, snapshot) = try await database.read { connection in
            let record = try await RuleRepository.require(code: code, version: version, on: connection, logger: logger)
            let rule = try AllocationRule(record.document)
            let snapshot = try await RuleRepository.snapshot(
                for: rule, poolOverride: pool, on: connection, logger: logger)
            return (record, rule, snapshot)
        }
        // Computed after the connection is back in the pool: a preview waiting for a worker holds no connection.
        return (record, try await AllocationPool.shared.allocate(rule, inputs: snapshot.inputs), snapshot)
    }

    /// Proposes a run: snapshots every input, computes the allocation and stores both.
    public func propose(
        rule code: String, version: Int?, pool: Money?, valueDate: CalendarDate?, by principal: Principal,
        idempotencyKey: IdempotencyKey
    ) async throws -> Keyed<DisbursementRun> {
        try principal.authorize(.proposeRuns)
        let valueDate = valueDate ?? today()
        let request = ProposeRequest(rule: code, version: version, poolFen: pool?.fen, valueDate: valueDate.description)
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "proposeRun", request: request, principal: principal,
                on: connection, logger: logger
            ) {
                let record = try await RuleRepository.require(
                    code: code, version: version, on: connection, logger: logger)
                let rule = try AllocationRule(record.document)
                let snapshot = try await RuleRepository.snapshot(
                    for: rule, poolOverride: pool, on: connection, logger: logger)
                let allocation = try await AllocationPool.shared.allocate(rule, inputs: snapshot.inputs)
                let id = UUID()
                try await RunRepository.insert(
                    id: id, rule: record, snapshot: snapshot, allocation: allocation, valueDate: valueDate,
                    by: principal, on: connection, logger: logger)
                try await AuditRepository.record(
                    "disbursement.run.proposed", actor: principal.subject,
                    payload: RunEvent(
                        id: id, rule: record.code, ruleVersion: record.version, status: .proposed,
                        pool: allocation.pool.decimalString, allocated: allocation.allocated.decimalString, reason: nil),
                    on: connection, logger: logger)
                return try await RunRepository.find(id, on: connection, logger: logger)
            }
        }
    }

    public func run(_ id: UUID, by principal: Principal) async throws -> DisbursementRun {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await RunRepository.find(id, on: connection, logger: logger)
        }
    }

    /// The newest runs first, of one status when asked, without their allocations' working; `limit` as ``page``
    /// allows.
    public func runs(status: RunStatus? = nil, limit: Int?, by principal: Principal) async throws -> [RunSummary] {
        try principal.authorize(.readBooks)
        let limit = try Self.page.items(limit)
        return try await database.read { connection in
            try await RunRepository.summaries(status: status, limit: limit, on: connection, logger: logger)
        }
    }

    /// The runs that read an assessment period's scores as they stand (at its current revision): those a reopening
    /// of the period marks "inputs revised". Every one of them, newest first.
    public func runs(usingPeriod code: String, by principal: Principal) async throws -> [RunSummary] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await RunRepository.summaries(
                status: nil, period: code, limit: Int(Int32.max), on: connection, logger: logger)
        }
    }

    /// A run's allocation recipient by recipient, in the order it was computed, with every derivation.
    public func allocations(of id: UUID, cursor: String?, limit: Int?, by principal: Principal) async throws
        -> Page<Allocation.Recipient>
    {
        try principal.authorize(.readBooks)
        let limit = try Self.allocationsPage.items(limit)
        let start = try cursor.map { (text) throws(ValidationError) in Int(try Cursor.decode(text, .allocation)) } ?? 0
        let run = try await self.run(id, by: principal)
        let items = Array(run.allocation.allocations.dropFirst(start).prefix(limit))
        let end = start + items.count
        let next = end < run.allocation.allocations.count ? Cursor.encode(.allocation, Int64(end)) : nil
        return Page(items: items, nextCursor: next)
    }

    /// Approves, rejects, cancels or posts a run. Repeating what already happened answers with the run unchanged.
    ///
    /// - Throws: ``AuthorizationError`` (403) for anyone but an approver other than the proposer;
    ///   ``StoreError`` `.conflict` for an illegal transition, `.fundInsufficient` when the fund cannot cover it.
    public func transition(
        _ id: UUID, _ action: RunStatus.Action, reason: String?, by principal: Principal,
        idempotencyKey: IdempotencyKey?
    ) async throws -> Keyed<DisbursementRun> {
        try principal.authorize(action.permission)
        if action == .reject || action == .cancel {
            try Text.validate(reason ?? "", at: "/reason", lengthMax: 500)
        }
        return try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "\(action.rawValue):\(id)", request: ["reason": reason ?? ""],
                principal: principal, on: connection, logger: logger
            ) {
                try await RunRepository.lockFund(on: connection, logger: logger)
                let (status, proposer) = try await RunRepository.header(id, on: connection, logger: logger)
                guard proposer != principal.userID else {
                    throw MakerCheckerError(
                        detail: "\(principal.subject) proposed run \(id.text) and may not \(action.rawValue) it")
                }
                switch status.outcome(of: action) {
                case .failure(let error): throw StoreError(.conflict, error.description)
                case .success(.alreadyDone), .success(.recordPayment):
                    return try await RunRepository.find(id, on: connection, logger: logger)
                case .success(.moveTo(let next)):
                    try await move(id, from: status, to: next, reason: reason, by: principal, on: connection)
                    return try await RunRepository.find(id, on: connection, logger: logger)
                }
            }
        }
    }

    private func move(
        _ id: UUID, from status: RunStatus, to next: RunStatus, reason: String?, by principal: Principal,
        on connection: PostgresConnection
    ) async throws {
        let run = try await RunRepository.find(id, on: connection, logger: logger)
        var postedEntry: Int64?
        switch next {
        case .approved:
            let uncommitted = try await RunRepository.uncommittedFen(on: connection, logger: logger)
            guard uncommitted >= run.allocated.fen else {
                throw StoreError(
                    .fundInsufficient,
                    "run \(id.text) needs \(run.allocated); the fund has \(Money(fen: max(uncommitted, 0))) not yet committed"
                )
            }
        case .posted:
            if let entry = run.postingEntry(memo: "disbursement run \(id.text) (\(run.rule) v\(run.ruleVersion))") {
                for recipient in run.allocation.allocations where recipient.amount.fen > 0 {
                    for account in [AccountCode.disbursements(recipient.recipient), .payable(recipient.recipient)] {
                        try await JournalRepository.openAccount(account, on: connection, logger: logger)
                    }
                }
                postedEntry = try await JournalRepository.insert(
                    entry, recordedBy: principal.subject, on: connection, logger: logger)
            }
            try await RecoveryRepository.clawBack(run, by: principal, on: connection, logger: logger)
        case .proposed, .paid, .rejected, .cancelled:
            break
        }
        try await RunRepository.setStatus(
            id, from: status, to: next, approvedBy: next == .approved ? principal.userID : nil,
            postedEntry: postedEntry,
            on: connection, logger: logger)
        try await RunRepository.insertTransition(
            id, status: next, reason: reason, by: principal, on: connection, logger: logger)
        try await AuditRepository.record(
            "disbursement.run.\(next.rawValue)", actor: principal.subject,
            payload: RunEvent(
                id: id, rule: run.rule, ruleVersion: run.ruleVersion, status: next,
                pool: run.allocation.pool.decimalString, allocated: run.allocated.decimalString, reason: reason),
            on: connection, logger: logger)
    }

    /// Confirms that the bank paid a recipient: Dr `payable:{r}` / Cr `fund:cash`. The run is `paid` when every
    /// recipient with an amount is. Confirming again with the same bank reference changes nothing.
    ///
    /// - Parameter offset: the part of the payment kept back against what the recipient owes the fund (Cr
    ///   `receivable:{r}` instead of `fund:cash`): at most the payment and at most the receivable (422 at `/offset`).
    public func confirmPayment(
        _ id: UUID, recipient: String, bankReference: String, valueDate: CalendarDate?, offset: Money? = nil,
        by principal: Principal, idempotencyKey: IdempotencyKey?
    ) async throws -> Keyed<DisbursementRun> {
        try principal.authorize(.confirmPayments)
        try Jurisdiction.validateCode(recipient, at: "/recipient")
        try Text.validate(bankReference, at: "/bankReference", lengthMax: 100)
        let valueDate = valueDate ?? today()
        var fields = ["recipient": recipient, "bankReference": bankReference, "valueDate": valueDate.description]
        if let offset { fields["offset"] = offset.decimalString }
        let request = fields
        let moves = [AccountCode.fundCash, .payable(recipient)] + (offset == nil ? [] : [.receivable(recipient)])
        return try await database.batched(
            moving: moves, request: request, key: idempotencyKey, operation: "confirmPayment:\(id)", by: principal
        ) { connection in
            try await RunRepository.lockFund(on: connection, logger: logger)
            let (_, proposer) = try await RunRepository.header(id, on: connection, logger: logger)
            guard proposer != principal.userID else {
                throw MakerCheckerError(
                    detail: "\(principal.subject) proposed run \(id.text) and may not confirm its payments")
            }
            let run = try await RunRepository.find(id, on: connection, logger: logger)
            guard let allocation = run.allocation.allocations.first(where: { $0.recipient == recipient }) else {
                throw ValidationError(
                    .unknownReference, at: "/recipient", "\(recipient) is not a recipient of run \(id.text)")
            }
            if let paid = run.payments.first(where: { $0.recipient == recipient }) {
                guard paid.bankReference == bankReference else {
                    throw StoreError(
                        .conflict, "\(recipient) was already paid under bank reference \(paid.bankReference)")
                }
                return run
            }
            if case .failure(let error) = run.status.outcome(of: .confirmPayment) {
                throw StoreError(.conflict, error.description)
            }
            guard allocation.amount.fen > 0 else {
                throw ValidationError(
                    .invalidValue, at: "/recipient", "\(recipient) was allocated nothing in run \(id.text)")
            }
            if let offset { try await Self.checkOffset(offset, of: allocation, on: connection, logger: logger) }
            try await pay(
                allocation, of: run, offset: offset, bankReference: bankReference, valueDate: valueDate,
                by: principal, on: connection)
            return try await RunRepository.find(id, on: connection, logger: logger)
        }
    }

    /// An offset is above zero, at most the payment, and at most what the recipient owes (read under the fund's
    /// lock, which the caller holds).
    static func checkOffset(
        _ offset: Money, of allocation: Allocation.Recipient, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard offset <= allocation.amount else {
            throw ValidationError(
                .invalidValue, at: "/offset",
                "\(offset.decimalString) is more than the \(allocation.amount.decimalString) paid to \(allocation.recipient)"
            )
        }
        let account = AccountCode.receivable(allocation.recipient)
        let owed =
            try await JournalRepository.currentBalances([account], on: connection, logger: logger)[
                account.description] ?? .zero
        guard offset <= owed else {
            throw ValidationError(
                .invalidValue, at: "/offset",
                "\(allocation.recipient) owes the fund \(owed.decimalString); \(offset.decimalString) cannot be kept back"
            )
        }
    }

    /// The payment's entry, row and event; and the run's move to `paid` when it was the last one owed.
    private func pay(
        _ allocation: Allocation.Recipient, of run: DisbursementRun, offset: Money?, bankReference: String,
        valueDate: CalendarDate, by principal: Principal, on connection: PostgresConnection
    ) async throws {
        let recipient = allocation.recipient
        let kept = offset.map { " less \($0.decimalString) kept against its receivable" } ?? ""
        let entry = JournalEntry.payment(
            to: recipient, amount: allocation.amount, offset: offset, valueDate: valueDate,
            memo: "payment of run \(run.id.text) to \(recipient)\(kept), bank reference \(bankReference)")
        let entryID = try await JournalRepository.insert(
            entry, recordedBy: principal.subject, on: connection, logger: logger)
        try await RunRepository.insertPayment(
            run: run.id, recipient: recipient, amount: allocation.amount, offset: offset,
            bankReference: bankReference, entryID: entryID, by: principal, on: connection, logger: logger)
        try await AuditRepository.record(
            "disbursement.payment.confirmed", actor: principal.subject,
            payload: PaymentEvent(
                run: run.id, recipient: recipient, amount: allocation.amount.decimalString,
                bankReference: bankReference, entryID: entryID, offset: offset?.decimalString),
            on: connection, logger: logger)
        let unpaid = run.allocation.allocations.filter { candidate in
            candidate.amount.fen > 0 && candidate.recipient != recipient
                && !run.payments.contains { $0.recipient == candidate.recipient }
        }
        guard unpaid.isEmpty else { return }
        try await RunRepository.setStatus(run.id, from: .posted, to: .paid, on: connection, logger: logger)
        try await RunRepository.insertTransition(
            run.id, status: .paid, reason: nil, by: principal, on: connection, logger: logger)
        try await AuditRepository.record(
            "disbursement.run.paid", actor: principal.subject,
            payload: RunEvent(
                id: run.id, rule: run.rule, ruleVersion: run.ruleVersion, status: .paid,
                pool: run.allocation.pool.decimalString, allocated: run.allocated.decimalString, reason: nil),
            on: connection, logger: logger)
    }
}

struct ProposeRequest: Codable, Sendable {
    let rule: String
    let version: Int?
    let poolFen: Int64?
    let valueDate: String
}

struct RunEvent: Encodable, Sendable {
    let id: UUID
    let rule: String
    let ruleVersion: Int
    let status: RunStatus
    let pool: String
    let allocated: String
    let reason: String?
}

struct PaymentEvent: Encodable, Sendable {
    let run: UUID
    let recipient: String
    let amount: String
    let bankReference: String
    let entryID: Int64
    /// Present only for a payment with an offset, so that other payments' events keep their bytes.
    let offset: String?
}
