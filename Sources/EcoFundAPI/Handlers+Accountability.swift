import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// Targets, readings and the monitor; recoveries and receivables (DESIGN.md "Accountability").
extension Handlers {
    func listTargets(_ input: Operations.ListTargets.Input) async throws -> Operations.ListTargets.Output {
        let sets = try await assessment.targets(
            period: input.path.period, jurisdiction: nil, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: sets.map(Wire.targets)))))
    }

    func getTargets(_ input: Operations.GetTargets.Input) async throws -> Operations.GetTargets.Output {
        let sets = try await assessment.targets(
            period: input.path.period, jurisdiction: input.path.jurisdiction, by: try RequestScope.caller())
        guard let current = sets.last else {
            throw StoreError(.notFound, "\(input.path.jurisdiction) has no targets in period \(input.path.period)")
        }
        return .ok(.init(headers: .init(eTag: current.etag), body: .json(Wire.targets(current))))
    }

    func putTargets(_ input: Operations.PutTargets.Input) async throws -> Operations.PutTargets.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let targets = body.targets.map { Target(indicator: $0.indicator, value: $0.value, binding: $0.binding) }
        let (set, created) = try await assessment.putTargets(
            period: input.path.period, jurisdiction: input.path.jurisdiction, targets, reason: body.reason,
            ifMatch: input.headers.ifMatch, by: caller)
        if created { return .created(.init(headers: .init(eTag: set.etag), body: .json(Wire.targets(set)))) }
        return .ok(.init(headers: .init(eTag: set.etag), body: .json(Wire.targets(set))))
    }

    func getTargetHistory(_ input: Operations.GetTargetHistory.Input) async throws
        -> Operations.GetTargetHistory.Output
    {
        let sets = try await assessment.targets(
            period: input.path.period, jurisdiction: input.path.jurisdiction, history: true,
            by: try RequestScope.caller())
        guard !sets.isEmpty else {
            throw StoreError(.notFound, "\(input.path.jurisdiction) has no targets in period \(input.path.period)")
        }
        return .ok(.init(body: .json(.init(items: sets.map(Wire.targets)))))
    }

    func listReadings(_ input: Operations.ListReadings.Input) async throws -> Operations.ListReadings.Output {
        let sets = try await assessment.readings(
            period: input.path.period, jurisdiction: input.path.jurisdiction, month: nil,
            by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: sets.map(Wire.readings)))))
    }

    func getReadings(_ input: Operations.GetReadings.Input) async throws -> Operations.GetReadings.Output {
        let sets = try await assessment.readings(
            period: input.path.period, jurisdiction: input.path.jurisdiction, month: input.path.month,
            by: try RequestScope.caller())
        guard let current = sets.last else {
            throw StoreError(
                .notFound, "\(input.path.jurisdiction) has no readings for \(input.path.month) in \(input.path.period)")
        }
        return .ok(.init(headers: .init(eTag: current.etag), body: .json(Wire.readings(current))))
    }

    func putReadings(_ input: Operations.PutReadings.Input) async throws -> Operations.PutReadings.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let values = body.values.map { ReadingSet.Value(indicator: $0.indicator, value: $0.value) }
        let (set, created) = try await assessment.putReadings(
            period: input.path.period, jurisdiction: input.path.jurisdiction, month: input.path.month, values,
            reason: body.reason, ifMatch: input.headers.ifMatch, by: caller)
        if created { return .created(.init(headers: .init(eTag: set.etag), body: .json(Wire.readings(set)))) }
        return .ok(.init(headers: .init(eTag: set.etag), body: .json(Wire.readings(set))))
    }

    func getReadingHistory(_ input: Operations.GetReadingHistory.Input) async throws
        -> Operations.GetReadingHistory.Output
    {
        let sets = try await assessment.readings(
            period: input.path.period, jurisdiction: input.path.jurisdiction, month: input.path.month, history: true,
            by: try RequestScope.caller())
        guard !sets.isEmpty else {
            throw StoreError(
                .notFound, "\(input.path.jurisdiction) has no readings for \(input.path.month) in \(input.path.period)")
        }
        return .ok(.init(body: .json(.init(items: sets.map(Wire.readings)))))
    }

    func getMonitor(_ input: Operations.GetMonitor.Input) async throws -> Operations.GetMonitor.Output {
        let (period, _, rows) = try await assessment.monitor(period: input.path.period, by: try RequestScope.caller())
        let items = rows.map { row in
            Components.Schemas.Monitor.ItemsPayloadPayload(
                jurisdiction: row.jurisdiction, indicator: row.indicator, target: row.target, binding: row.binding,
                direction: row.direction == .higherIsBetter ? .higherIsBetter : .lowerIsBetter, month: row.month,
                reading: row.reading, status: Wire.monitorStatus(row.status))
        }
        return .ok(
            .init(
                body: .json(
                    .init(period: period.code, status: period.status == .open ? .open : .finalized, items: items)))
        )
    }

    func createRecovery(_ input: Operations.CreateRecovery.Input) async throws -> Operations.CreateRecovery.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try RecoveryRequest(
            recipient: body.recipient, amount: body.amount, valueDate: body.valueDate, bankReference: body.bankReference
        )
        let recovery = try await recoveries.record(
            request, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.recovery(recovery.value))))
    }

    func listRecoveries(_ input: Operations.ListRecoveries.Input) async throws -> Operations.ListRecoveries.Output {
        let items = try await recoveries.recoveries(recipient: input.query.recipient, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: items.map(Wire.recovery)))))
    }

    func listReceivables(_ input: Operations.ListReceivables.Input) async throws -> Operations.ListReceivables.Output {
        let items = try await recoveries.receivables(by: try RequestScope.caller()).map {
            Components.Schemas.ReceivableList.ItemsPayloadPayload(
                recipient: $0.recipient, clawedBack: Wire.money($0.clawedBack), recovered: Wire.money($0.recovered),
                outstanding: Wire.money($0.outstanding))
        }
        return .ok(.init(body: .json(.init(items: items))))
    }
}

extension Wire {
    static func targets(_ set: TargetSet) -> Components.Schemas.TargetSet {
        .init(
            period: set.period, jurisdiction: set.jurisdiction, revision: set.revision,
            targets: set.targets.map { .init(indicator: $0.indicator, value: $0.value, binding: $0.binding) },
            etag: set.etag, reason: set.reason, recordedBy: set.recordedBy, recordedAt: set.recordedAt)
    }

    static func readings(_ set: ReadingSet) -> Components.Schemas.ReadingSet {
        .init(
            period: set.period, jurisdiction: set.jurisdiction, month: set.month, revision: set.revision,
            values: set.values.map { .init(indicator: $0.indicator, value: $0.value) }, etag: set.etag,
            reason: set.reason, recordedBy: set.recordedBy, recordedAt: set.recordedAt)
    }

    static func monitorStatus(_ status: MonitorRow.Status)
        -> Components.Schemas.Monitor.ItemsPayloadPayload.StatusPayload
    {
        switch status {
        case .met: .met
        case .missed: .missed
        case .noReading: .noReading
        }
    }

    static func recovery(_ recovery: Recovery) -> Components.Schemas.Recovery {
        .init(
            id: recovery.id.text, recipient: recovery.recipient, amount: money(recovery.amount),
            valueDate: recovery.valueDate.description, bankReference: recovery.bankReference,
            entryId: recovery.entryID, recordedBy: recovery.recordedBy, recordedAt: recovery.recordedAt)
    }
}
