import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// Rules, previews and runs: translation only, the rules live in ``DisbursementService``.
extension Handlers {
    func publishAllocationRule(_ input: Operations.PublishAllocationRule.Input) async throws
        -> Operations.PublishAllocationRule.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let published = try await disbursements.publish(
            Wire.ruleDocument(body), by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.rule(published.value))))
    }

    func getAllocationRule(_ input: Operations.GetAllocationRule.Input) async throws
        -> Operations.GetAllocationRule.Output
    {
        let versions = try await disbursements.rules(input.path.code, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: versions.map(Wire.rule)))))
    }

    func previewAllocation(_ input: Operations.PreviewAllocation.Input) async throws
        -> Operations.PreviewAllocation.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let pool = try body.pool.map { (pool) throws(ValidationError) in
            try Money.positive(parsing: pool.amount, at: "/pool/amount")
        }
        let (rule, allocation, snapshot) = try await disbursements.preview(
            rule: input.path.code, version: body.version, pool: pool, by: caller)
        return .ok(
            .init(
                body: .json(
                    .init(
                        rule: rule.code, version: rule.version,
                        available: Wire.money(Money(fen: snapshot.inputs.availableFen)), period: snapshot.period,
                        periodRevision: snapshot.periodRevision, allocation: Wire.allocation(allocation)))))
    }

    func proposeRun(_ input: Operations.ProposeRun.Input) async throws -> Operations.ProposeRun.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let pool = try body.pool.map { (pool) throws(ValidationError) in
            try Money.positive(parsing: pool.amount, at: "/pool/amount")
        }
        let run = try await disbursements.propose(
            rule: body.rule, version: body.version, pool: pool,
            valueDate: try Wire.date(body.valueDate, at: "/valueDate"),
            by: caller, idempotencyKey: try IdempotencyKey(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.run(run.value))))
    }

    func listRuns(_ input: Operations.ListRuns.Input) async throws -> Operations.ListRuns.Output {
        let runs = try await disbursements.runs(
            status: input.query.status.map(Wire.runStatus), limit: input.query.limit, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: runs.map(Wire.runSummary)))))
    }

    func listRunAllocations(_ input: Operations.ListRunAllocations.Input) async throws
        -> Operations.ListRunAllocations.Output
    {
        let page = try await disbursements.allocations(
            of: try Wire.id(input.path.id), cursor: input.query.cursor, limit: input.query.limit,
            by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: page.items.map(Wire.allocationItem), nextCursor: page.nextCursor))))
    }

    func getRun(_ input: Operations.GetRun.Input) async throws -> Operations.GetRun.Output {
        let run = try await disbursements.run(try Wire.id(input.path.id), by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.run(run))))
    }

    func approveRun(_ input: Operations.ApproveRun.Input) async throws -> Operations.ApproveRun.Output {
        .ok(
            .init(
                body: .json(
                    try await transition(input.path.id, .approve, reason: nil, key: input.headers.idempotencyKey))))
    }

    func postRun(_ input: Operations.PostRun.Input) async throws -> Operations.PostRun.Output {
        .ok(
            .init(
                body: .json(try await transition(input.path.id, .post, reason: nil, key: input.headers.idempotencyKey)))
        )
    }

    func rejectRun(_ input: Operations.RejectRun.Input) async throws -> Operations.RejectRun.Output {
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        return .ok(
            .init(
                body: .json(
                    try await transition(input.path.id, .reject, reason: body.reason, key: input.headers.idempotencyKey)
                )))
    }

    func cancelRun(_ input: Operations.CancelRun.Input) async throws -> Operations.CancelRun.Output {
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        return .ok(
            .init(
                body: .json(
                    try await transition(input.path.id, .cancel, reason: body.reason, key: input.headers.idempotencyKey)
                )))
    }

    func confirmPayment(_ input: Operations.ConfirmPayment.Input) async throws -> Operations.ConfirmPayment.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let run = try await disbursements.confirmPayment(
            try Wire.id(input.path.id), recipient: body.recipient, bankReference: body.bankReference,
            valueDate: try Wire.date(body.valueDate, at: "/valueDate"),
            offset: try body.offset.map { try Money.positive(parsing: $0, at: "/offset") }, by: caller,
            idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .ok(.init(body: .json(Wire.run(run.value))))
    }

    private func transition(_ id: String, _ action: RunStatus.Action, reason: String?, key: String?) async throws
        -> Components.Schemas.Run
    {
        let caller = try RequestScope.caller()
        let run = try await disbursements.transition(
            try Wire.id(id), action, reason: reason, by: caller, idempotencyKey: try IdempotencyKey.parse(key))
        return Wire.run(run.value)
    }
}

extension Wire {
    static func ruleDocument(_ body: Components.Schemas.RuleDocument) -> RuleDocument {
        RuleDocument(
            code: body.code, title: body.title,
            pool: .init(kind: body.pool.kind.rawValue, amount: body.pool.amount, share: body.pool.share),
            tranches: body.tranches.map { .init(name: $0.name, share: $0.share, recipients: $0.recipients) },
            factors: body.factors.map { .init(key: $0.key.rawValue, weight: $0.weight) },
            assessmentPeriod: body.assessmentPeriod,
            scoreBands: body.scoreBands?.map { .init(minScore: $0.minScore, multiplier: $0.multiplier) },
            maxShareOfTranche: body.maxShareOfTranche, missingScore: body.missingScore?.rawValue,
            kind: body.kind?.rawValue, fiscalYear: body.fiscalYear, settles: body.settles,
            missedBindingTarget: body.missedBindingTarget.map { .init(multiplier: $0.multiplier) })
    }

    /// A stored rule document on the wire. It was checked when it was published, so a pool kind, factor key or
    /// missing-score rule the wire does not know is a broken store, not a value to hide.
    static func ruleDocument(_ document: RuleDocument) -> Components.Schemas.RuleDocument {
        typealias Wired = Components.Schemas.RuleDocument
        func known<Value: RawRepresentable<String>>(_ text: String, _ what: String) -> Value {
            guard let value = Value(rawValue: text) else {
                preconditionFailure("rule \(document.code) has \(what) \(text), which publishing does not allow")
            }
            return value
        }
        return .init(
            code: document.code, title: document.title, kind: document.kind.map { known($0, "kind") },
            fiscalYear: document.fiscalYear, settles: document.settles,
            missedBindingTarget: document.missedBindingTarget.map { .init(multiplier: $0.multiplier) },
            pool: .init(
                kind: known(document.pool.kind, "pool kind"), amount: document.pool.amount, share: document.pool.share),
            tranches: document.tranches.map { .init(name: $0.name, share: $0.share, recipients: $0.recipients) },
            factors: document.factors.map { .init(key: known($0.key, "factor"), weight: $0.weight) },
            assessmentPeriod: document.assessmentPeriod,
            scoreBands: document.scoreBands?.map { .init(minScore: $0.minScore, multiplier: $0.multiplier) },
            maxShareOfTranche: document.maxShareOfTranche,
            missingScore: document.missingScore.map { known($0, "missingScore") })
    }

    static func rule(_ record: RuleRecord) -> Components.Schemas.Rule {
        .init(
            code: record.code, version: record.version, document: ruleDocument(record.document),
            publishedBy: record.publishedBy, publishedAt: record.publishedAt)
    }

    static func allocation(_ allocation: Allocation) -> Components.Schemas.Allocation {
        .init(
            pool: money(allocation.pool),
            tranches: allocation.tranches.map { .init(name: $0.name, amount: money($0.amount), retained: $0.retained) },
            allocations: allocation.allocations.map(allocationItem))
    }

    static func allocationItem(_ recipient: Allocation.Recipient) -> Components.Schemas.AllocationItem {
        let derivation = recipient.derivation
        return .init(
            recipient: recipient.recipient, tranche: recipient.tranche, amount: money(recipient.amount),
            withheld: recipient.withheld, withheldReason: recipient.withheldReason,
            clawback: recipient.clawback.map(money),
            derivation: .init(
                factors: derivation.factors.map {
                    .init(
                        key: $0.key, weight: $0.weight.description, value: $0.value.description,
                        total: $0.total.description, share: $0.share.description)
                },
                weightedShare: derivation.weightedShare.description, composite: derivation.composite,
                bandMinScore: derivation.bandMinScore?.description,
                multiplier: derivation.multiplier.description,
                adjustedWeight: derivation.adjustedWeight.description, share: derivation.share.description,
                cappedShare: derivation.cappedShare.description, capped: derivation.capped,
                exactAmount: derivation.exactAmount.description, floorFen: derivation.floorFen,
                remainderFen: derivation.remainderFen, missedTargets: derivation.missedTargets,
                bandMultiplier: derivation.bandMultiplier?.description,
                targetMultiplier: derivation.targetMultiplier?.description,
                settlement: derivation.settlement.map {
                    .init(
                        finalAmount: money($0.finalAmount), advanced: money($0.advanced), advanceRuns: $0.advanceRuns,
                        difference: money($0.difference))
                }))
    }

    static func runSummary(_ run: RunSummary) -> Components.Schemas.RunSummary {
        .init(
            id: run.id.text, rule: run.rule, ruleVersion: run.ruleVersion,
            status: runStatus(run.status), valueDate: run.valueDate.description, pool: money(run.pool),
            allocated: money(run.allocated), available: money(run.available), period: run.period,
            periodRevision: run.periodRevision, inputsRevised: run.inputsRevised, recipients: run.recipients,
            paid: money(run.paid), proposedBy: run.proposedBy, proposedAt: run.proposedAt,
            postedEntryId: run.postedEntryID)
    }

    static func runStatus(_ status: Components.Schemas.RunStatus) -> RunStatus {
        switch status {
        case .proposed: .proposed
        case .approved: .approved
        case .posted: .posted
        case .paid: .paid
        case .rejected: .rejected
        case .cancelled: .cancelled
        }
    }

    static func run(_ run: DisbursementRun) -> Components.Schemas.Run {
        .init(
            id: run.id.text, rule: run.rule, ruleVersion: run.ruleVersion,
            status: runStatus(run.status), valueDate: run.valueDate.description,
            available: money(Money(fen: run.snapshot.inputs.availableFen)), allocated: money(run.allocated),
            period: run.snapshot.period, periodRevision: run.snapshot.periodRevision, inputsRevised: run.inputsRevised,
            allocation: allocation(run.allocation), proposedBy: run.proposedBy, postedEntryId: run.postedEntryID,
            transitions: run.transitions.map {
                .init(status: $0.status.rawValue, actor: $0.actor, at: $0.at, reason: $0.reason)
            },
            payments: run.payments.map {
                .init(
                    recipient: $0.recipient, amount: money($0.amount), bankReference: $0.bankReference,
                    entryId: $0.entryID, confirmedBy: $0.confirmedBy, confirmedAt: $0.confirmedAt,
                    offset: $0.offset.map(money))
            })
    }

    static func runStatus(_ status: RunStatus) -> Components.Schemas.RunStatus {
        switch status {
        case .proposed: .proposed
        case .approved: .approved
        case .posted: .posted
        case .paid: .paid
        case .rejected: .rejected
        case .cancelled: .cancelled
        }
    }
}
