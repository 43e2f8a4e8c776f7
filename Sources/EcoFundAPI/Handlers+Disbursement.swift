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
            Wire.ruleDocument(body), by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.rule(published.value))))
    }

    func getAllocationRule(_ input: Operations.GetAllocationRule.Input) async throws
        -> Operations.GetAllocationRule.Output
    {
        _ = try RequestScope.caller()
        return .ok(.init(body: .json(.init(items: try await disbursements.rules(input.path.code).map(Wire.rule)))))
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
        let valueDate = try Wire.date(body.valueDate, at: "/valueDate") ?? today()
        let run = try await disbursements.propose(
            rule: body.rule, version: body.version, pool: pool, valueDate: valueDate, by: caller,
            idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.run(run.value))))
    }

    func listRuns(_ input: Operations.ListRuns.Input) async throws -> Operations.ListRuns.Output {
        _ = try RequestScope.caller()
        let limit = input.query.limit ?? 20
        guard (1...DisbursementService.listLimitMax).contains(limit) else {
            throw ValidationError(.invalidValue, at: "limit", "must be 1 to \(DisbursementService.listLimitMax)")
        }
        return .ok(.init(body: .json(.init(items: try await disbursements.runs(limit: limit).map(Wire.run)))))
    }

    func getRun(_ input: Operations.GetRun.Input) async throws -> Operations.GetRun.Output {
        _ = try RequestScope.caller()
        return .ok(.init(body: .json(Wire.run(try await disbursements.run(try Wire.id(input.path.id))))))
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
        try Jurisdiction.validateCode(body.recipient, at: "/recipient")
        let run = try await disbursements.confirmPayment(
            try Wire.id(input.path.id), recipient: body.recipient, bankReference: body.bankReference,
            valueDate: try Wire.date(body.valueDate, at: "/valueDate") ?? today(), by: caller,
            idempotencyKey: input.headers.idempotencyKey)
        return .ok(.init(body: .json(Wire.run(run.value))))
    }

    private func transition(_ id: String, _ action: RunStatus.Action, reason: String?, key: String?) async throws
        -> Components.Schemas.Run
    {
        let caller = try RequestScope.caller()
        let run = try await disbursements.transition(
            try Wire.id(id), action, reason: reason, by: caller, idempotencyKey: key)
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
            maxShareOfTranche: body.maxShareOfTranche, missingScore: body.missingScore?.rawValue)
    }

    static func ruleDocument(_ document: RuleDocument) -> Components.Schemas.RuleDocument {
        .init(
            code: document.code, title: document.title,
            pool: .init(
                kind: .init(rawValue: document.pool.kind) ?? .fixed, amount: document.pool.amount,
                share: document.pool.share),
            tranches: document.tranches.map { .init(name: $0.name, share: $0.share, recipients: $0.recipients) },
            factors: document.factors.compactMap { factor in
                Components.Schemas.RuleDocument.FactorsPayloadPayload.KeyPayload(rawValue: factor.key).map {
                    .init(key: $0, weight: factor.weight)
                }
            },
            assessmentPeriod: document.assessmentPeriod,
            scoreBands: document.scoreBands?.map { .init(minScore: $0.minScore, multiplier: $0.multiplier) },
            maxShareOfTranche: document.maxShareOfTranche,
            missingScore: document.missingScore.flatMap { .init(rawValue: $0) })
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
            allocations: allocation.allocations.map { recipient in
                let derivation = recipient.derivation
                return .init(
                    recipient: recipient.recipient, tranche: recipient.tranche, amount: money(recipient.amount),
                    withheld: recipient.withheld, withheldReason: recipient.withheldReason,
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
                        remainderFen: derivation.remainderFen))
            })
    }

    static func run(_ run: DisbursementRun) -> Components.Schemas.Run {
        .init(
            id: run.id.uuidString.lowercased(), rule: run.rule, ruleVersion: run.ruleVersion,
            status: .init(rawValue: run.status.rawValue) ?? .proposed, valueDate: run.valueDate.description,
            available: money(Money(fen: run.snapshot.inputs.availableFen)), allocated: money(run.allocated),
            period: run.snapshot.period, periodRevision: run.snapshot.periodRevision, inputsRevised: run.inputsRevised,
            allocation: allocation(run.allocation), proposedBy: run.proposedBy, postedEntryId: run.postedEntryID,
            transitions: run.transitions.map {
                .init(status: $0.status.rawValue, actor: $0.actor, at: $0.at, reason: $0.reason)
            },
            payments: run.payments.map {
                .init(
                    recipient: $0.recipient, amount: money($0.amount), bankReference: $0.bankReference,
                    entryId: $0.entryID, confirmedBy: $0.confirmedBy, confirmedAt: $0.confirmedAt)
            })
    }
}
