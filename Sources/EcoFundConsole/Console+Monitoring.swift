import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// Targets (责任目标) and monthly readings (动态监控): the monitor, the early-warning list of a period, and a
/// jurisdiction's page where the assessment office enters and revises its targets and readings, with history.
extension Console {
    func registerMonitoring(on router: Router<BasicRequestContext>) {
        router.get("assessment/:period/monitor") { request, context in
            let code = context.parameters.get("period") ?? ""
            return try await self.page(request, context) { visit in try await self.monitorPage(visit, code: code) }
        }
        router.get("assessment/:period/measures/:jurisdiction") { request, context in
            let code = context.parameters.get("period") ?? ""
            let jurisdiction = context.parameters.get("jurisdiction") ?? ""
            return try await self.page(request, context) { visit in
                try await self.measuresPage(visit, MeasuresForm(period: code, jurisdiction: jurisdiction))
            }
        }
        router.post("assessment/:period/targets/:jurisdiction") { request, context in
            let code = context.parameters.get("period") ?? ""
            let jurisdiction = context.parameters.get("jurisdiction") ?? ""
            return try await self.page(request, context) { visit in
                try await self.saveTargets(visit, MeasuresForm(period: code, jurisdiction: jurisdiction))
            }
        }
        router.post("assessment/:period/readings/:jurisdiction") { request, context in
            let code = context.parameters.get("period") ?? ""
            let jurisdiction = context.parameters.get("jurisdiction") ?? ""
            return try await self.page(request, context) { visit in
                try await self.saveReadings(visit, MeasuresForm(period: code, jurisdiction: jurisdiction))
            }
        }
    }

    func monitorPage(_ visit: Visit, code: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let (period, scheme, rows) = try await assessment.monitor(period: code, by: principal)
        let names = try await placeNames(principal)
        let indicators = Dictionary(uniqueKeysWithValues: scheme.indicators.map { ($0.code, $0) })
        let view: [[String: Any]] = rows.map { row in
            var item: [String: Any] = [
                "place": Format.place(row.jurisdiction, names, visit.language), "jurisdiction": row.jurisdiction,
                "indicator": indicators[row.indicator].map { visit.language == .zh ? $0.nameZh : $0.name }
                    ?? row.indicator,
                "unit": indicators[row.indicator]?.unit ?? "", "target": row.target,
                "direction": visit.text("direction_\(row.direction.rawValue)"),
                "binding": row.binding, "status": row.status.rawValue,
                "statusText": visit.text("monitor_status_\(row.status.rawValue)"),
                "warn": row.status == .missed && row.binding,
            ]
            if let month = row.month, let reading = row.reading {
                item["month"] = month
                item["reading"] = reading
            }
            return item
        }
        let missed = rows.filter { $0.status == .missed && $0.binding }.count
        let members = period.jurisdictions.map { code in
            ["member": code, "name": Format.place(code, names, visit.language)]
        }
        return views.page(
            "monitor", title: visit.text("monitor_title", ["period": code]), visit: visit,
            data: [
                "code": code, "rows": view, "empty": view.isEmpty, "missed": "\(missed)", "hasMissed": missed > 0,
                "open": period.status == .open, "members": members,
                "status": visit.text("period_status_\(period.status.rawValue)"),
            ], current: "/assessment")
    }
}

/// What the jurisdiction's targets and readings page shows: the typed values back after a refusal, and the errors
/// beside their fields.
struct MeasuresForm {
    let period: String
    let jurisdiction: String
    var targetInput: [String: (value: String, binding: Bool)]?
    var targetErrors: [String: String] = [:]
    var targetReason = ""
    var targetNotice: String?
    var readingMonth: String?
    var readingInput: [String: String]?
    var readingErrors: [String: String] = [:]
    var readingReason = ""
    var readingNotice: String?
    var status: HTTPResponse.Status = .ok

    init(period: String, jurisdiction: String) {
        self.period = period
        self.jurisdiction = jurisdiction
    }

    /// The form field of an indicator's target value, binding flag or reading.
    static func field(_ prefix: String, _ indicator: String) -> String { "\(prefix)_\(indicator)" }

    /// The indicator a service's pointer (`/targets/1/value`) names, given the indicators sent in order.
    static func indicator(of error: any Error, sent: [String]) -> String? {
        guard let pointer = (error as? ValidationError)?.pointer else { return nil }
        let parts = pointer.split(separator: "/")
        guard parts.count >= 2, let index = Int(parts[1]), sent.indices.contains(index) else { return nil }
        return sent[index]
    }
}
