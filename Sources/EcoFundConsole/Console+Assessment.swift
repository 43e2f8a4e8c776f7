import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// The assessment office's pages: the periods; a period's ranking as a chart, its score grid (jurisdictions ×
/// indicators, a message in the cell that is wrong, a reason for a revision, and — when someone else saved first —
/// their values beside yours to redo against), finalize, and reopen with a reason listing the runs it will mark; a
/// jurisdiction's history with what each revision changed.
extension Console {
    func registerAssessment(on router: Router<BasicRequestContext>) {
        router.get("assessment") { request, context in
            try await self.page(request, context) { visit in try await self.periodsPage(visit) }
        }
        router.get("assessment/:period") { request, context in
            let code = context.parameters.get("period") ?? ""
            return try await self.page(request, context) { visit in try await self.periodPage(visit, code: code) }
        }
        router.post("assessment/:period/scores/:jurisdiction") { request, context in
            let code = context.parameters.get("period") ?? ""
            let jurisdiction = context.parameters.get("jurisdiction") ?? ""
            return try await self.page(request, context) { visit in
                try await self.saveScore(visit, period: code, jurisdiction: jurisdiction)
            }
        }
        router.get("assessment/:period/scores/:jurisdiction/history") { request, context in
            let code = context.parameters.get("period") ?? ""
            let jurisdiction = context.parameters.get("jurisdiction") ?? ""
            return try await self.page(request, context) { visit in
                try await self.scoreHistoryPage(visit, period: code, jurisdiction: jurisdiction)
            }
        }
        router.post("assessment/:period/finalize") { request, context in
            let code = context.parameters.get("period") ?? ""
            return try await self.page(request, context) { visit in try await self.finalizePeriod(visit, code: code) }
        }
        router.post("assessment/:period/reopen") { request, context in
            let code = context.parameters.get("period") ?? ""
            return try await self.page(request, context) { visit in try await self.reopenPeriod(visit, code: code) }
        }
    }

    func periodsPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let periods = try await assessment.periods(by: principal)
        let rows: [[String: Any]] = periods.map { period in
            [
                "code": period.code, "scheme": "\(period.schemeCode) v\(period.schemeVersion)",
                "schemeCode": period.schemeCode, "schemeVersion": "\(period.schemeVersion)",
                "status": visit.text("period_status_\(period.status.rawValue)"),
                "members": "\(period.jurisdictions.count)", "revision": "\(period.revision)",
            ]
        }
        return views.page(
            "assessment-periods", title: visit.text("assessment_title"), visit: visit,
            data: [
                "rows": rows, "empty": rows.isEmpty,
                "maySetUp": principal.may(.openPeriods) && principal.may(.defineSchemes),
            ])
    }

    /// What the grid shows for one jurisdiction: its values (as saved, or as the person typed them back), the cells'
    /// errors, and a conflict with someone else's save.
    struct GridRow {
        var input: [String: String] = [:]
        var errors: [String: String] = [:]
        var reason = ""
        var reasonError: String?
        var conflict: ScoreRecord?
    }

    func periodPage(
        _ visit: Visit, code: String, rows edited: [String: GridRow] = [:], notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let period = try await assessment.period(code, by: principal)
        let scheme = try await assessment.scheme(ofPeriod: code, by: principal)
        let ranking = try await assessment.ranking(period: code, by: principal).scores
        let names = try await placeNames(principal)
        let current = Dictionary(uniqueKeysWithValues: ranking.map { ($0.score.jurisdiction, $0.score) })
        let open = period.status == .open
        let mayEnter = principal.may(.enterScores) && open
        func indicatorName(_ indicator: SchemeRecord.Indicator) -> String {
            visit.language == .zh ? indicator.nameZh : indicator.name
        }
        let indicators: [[String: Any]] = scheme.indicators.map { indicator in
            [
                "code": indicator.code, "name": indicatorName(indicator), "unit": indicator.unit,
                "direction": visit.text("direction_\(indicator.direction.rawValue)"), "weight": indicator.weight,
            ]
        }
        let grid = gridRows(
            period, scheme: scheme, current: current, edited: edited, mayEnter: mayEnter, names: names, visit)
        let bars = rankingBars(ranking, names, visit)
        let runs = try await disbursements.runs(usingPeriod: code, by: principal)
        var data: [String: Any] = [
            "code": code, "scheme": "\(scheme.name) (\(scheme.code) v\(scheme.version))",
            "status": visit.text("period_status_\(period.status.rawValue)"), "open": open,
            "revision": "\(period.revision)", "indicators": indicators, "grid": grid, "mayEnter": mayEnter,
            "bars": bars, "hasBars": !bars.isEmpty, "chartHeight": "\(64 + bars.count * 26)",
            "ticks": [0, 25, 50, 75, 100].map { ["x": "\(150 + $0 * 5)", "label": "\($0)"] },
            "axisY": "\(30 + bars.count * 26)", "tickY": "\(30 + bars.count * 26 + 14)",
            "transitions": period.transitions.map { transition in
                var view = [
                    "action": visit.text("period_action_\(transition.action)"), "actor": transition.actor,
                    "at": Format.time(transition.at),
                ]
                // Only when there is one: an empty string still opens a Mustache section.
                if let reason = transition.reason { view["reason"] = reason }
                return view
            },
            "mayFinalize": open && principal.may(.finalizePeriods),
            "mayReopen": !open && principal.may(.reopenPeriods),
            "runsMarked": runs.map { run in
                [
                    "id": run.id.text, "short": String(run.id.text.prefix(8)),
                    "rule": "\(run.rule) v\(run.ruleVersion)",
                    "status": visit.text("run_status_\(run.status.rawValue)"),
                ]
            },
            "hasRunsMarked": !runs.isEmpty,
            "reopenReason": edited["_period"]?.reason ?? "",
            "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": UUID().uuidString,
        ]
        if let error = edited["_period"]?.reasonError { data["reopenReasonError"] = error }
        if let notice { data["notice"] = notice }
        if let saved = visit.query.optional("saved"), period.jurisdictions.contains(saved) {
            data["notice"] = visit.text("score_saved", ["place": Format.place(saved, names, visit.language)])
        }
        if let done = visit.query.optional("done"), ["finalized", "reopened"].contains(done) {
            data["notice"] = visit.text("period_done_\(done)")
        }
        return views.page(
            "assessment-period", title: visit.text("period_title", ["code": code]), visit: visit, data: data,
            status: status, current: "/assessment", address: "/assessment/\(code)")
    }

    /// The grid's rows: each jurisdiction's saved values, or what the person typed with the cells' errors and a
    /// conflicting save's values.
    func gridRows(
        _ period: PeriodRecord, scheme: SchemeRecord, current: [String: ScoreRecord], edited: [String: GridRow],
        mayEnter: Bool, names: [String: Jurisdiction], _ visit: Visit
    ) -> [[String: Any]] {
        func indicatorName(_ indicator: SchemeRecord.Indicator) -> String {
            visit.language == .zh ? indicator.nameZh : indicator.name
        }
        return period.jurisdictions.map { jurisdiction in
            let saved = current[jurisdiction]
            let edit = edited[jurisdiction]
            let savedValues = Dictionary(uniqueKeysWithValues: (saved?.lines ?? []).map { ($0.code, $0.value) })
            var row: [String: Any] = [
                "jurisdiction": jurisdiction, "name": Format.place(jurisdiction, names, visit.language),
                "composite": saved?.composite ?? "—", "etag": saved?.etag ?? "",
                "revision": saved.map { "\($0.revision)" } ?? "", "hasScore": saved != nil,
                "reason": edit?.reason ?? "", "mayEnter": mayEnter,
                "cells": scheme.indicators.map { indicator -> [String: Any] in
                    var cell: [String: Any] = [
                        "code": indicator.code, "name": indicatorName(indicator), "jurisdiction": jurisdiction,
                        "place": Format.place(jurisdiction, names, visit.language),
                        "value": edit?.input[indicator.code] ?? savedValues[indicator.code] ?? "", "mayEnter": mayEnter,
                    ]
                    if let error = edit?.errors[indicator.code] { cell["error"] = error }
                    if let theirs = edit?.conflict?.lines.first(where: { $0.code == indicator.code }) {
                        cell["theirs"] = theirs.value
                    }
                    return cell
                },
            ]
            if let error = edit?.reasonError { row["reasonError"] = error }
            if let conflict = edit?.conflict {
                row["conflict"] = visit.text(
                    "score_conflict",
                    [
                        "who": conflict.recordedBy, "when": Format.time(conflict.recordedAt),
                        "revision": "\(conflict.revision)",
                    ])
            }
            return row
        }
    }

    /// The ranking as horizontal bars on a 0–100 axis, drawn on the server.
    func rankingBars(_ ranking: [RankedScore], _ names: [String: Jurisdiction], _ visit: Visit) -> [[String: Any]] {
        ranking.enumerated().map { index, ranked in
            // 5 px a point; the composite is exact to the hundredth, so whole pixels come from whole numbers.
            let hundredths = (try? ExactDecimal(parsing: ranked.score.composite, at: ""))?.hundredths ?? 0
            let width = Int(min(100 * 100, hundredths) * 5 / 100)
            return [
                "y": "\(24 + index * 26)", "textY": "\(24 + index * 26 + 15)", "width": "\(width)",
                "labelX": "\(150 + width + 6)",
                "name": Format.place(ranked.score.jurisdiction, names, visit.language),
                "composite": ranked.score.composite, "rank": "\(ranked.rank)",
            ]
        }
    }

    /// Saves one jurisdiction's row. Each cell is read by Core's own decimal rule first, so that every wrong cell is
    /// marked at once; the service decides the rest (the reason, the If-Match, the period being open).
    func saveScore(_ visit: Visit, period code: String, jurisdiction: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let scheme = try await assessment.scheme(ofPeriod: code, by: principal)
        var row = GridRow()
        row.reason = form["reason"]
        for indicator in scheme.indicators {
            let value = form["v_\(indicator.code)"].trimmingCharacters(in: .whitespaces)
            row.input[indicator.code] = value
            if value.isEmpty {
                row.errors[indicator.code] = visit.catalog.message(kind: "missing-field", pointer: "/value")
            } else {
                do { _ = try parseDecimal(value, at: "/value") } catch {
                    row.errors[indicator.code] = visit.catalog.message(kind: error.code.rawValue, pointer: "/value")
                }
            }
        }
        let names = try await placeNames(principal)
        let place = Format.place(jurisdiction, names, visit.language)
        guard row.errors.isEmpty else {
            return try await periodPage(
                visit, code: code, rows: [jurisdiction: row], notice: visit.text("score_fix_cells", ["place": place]),
                status: .unprocessableContent)
        }
        let etag = form.optional("etag")
        let reason = form.optional("reason")
        let input = AssessmentService.ScoreInput(
            values: scheme.indicators.map { ($0.code, row.input[$0.code] ?? "") }, reason: reason)
        do {
            _ = try await assessment.putScore(
                period: code, jurisdiction: jurisdiction, input, ifMatch: etag, by: principal)
        } catch let error as StoreError where error.code == .preconditionFailed {
            let theirs = try? await assessment.score(period: code, jurisdiction: jurisdiction, by: principal)
            // The same values saved by this person a moment ago (a second click): saved, not a conflict.
            if let theirs, theirs.recordedBy == principal.subject,
                theirs.lines.allSatisfy({ row.input[$0.code] == $0.value })
            {
                throw PageOutcome.redirect("/assessment/\(code)?saved=\(jurisdiction)")
            }
            row.conflict = theirs
            return try await periodPage(
                visit, code: code, rows: [jurisdiction: row],
                notice: visit.text("score_conflict_notice", ["place": place]), status: .preconditionFailed)
        } catch {
            let field = try fieldError(error, visit)
            if let message = field["reason"] {
                row.reasonError = message
            } else if let message = field["indicators"] {
                // The service's pointer names the cell by its place in the row.
                let index = (error as? ValidationError)?.pointer.split(separator: "/").dropFirst().first.flatMap {
                    Int($0)
                }
                let code = index.flatMap { scheme.indicators.indices.contains($0) ? scheme.indicators[$0].code : nil }
                row.errors[code ?? scheme.indicators[0].code] = message
            } else {
                throw error
            }
            return try await periodPage(
                visit, code: code, rows: [jurisdiction: row], notice: visit.text("score_fix_cells", ["place": place]),
                status: .unprocessableContent)
        }
        throw PageOutcome.redirect("/assessment/\(code)?saved=\(jurisdiction)")
    }

    func finalizePeriod(_ visit: Visit, code: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        _ = try await assessment.finalize(period: code, by: principal, idempotencyKey: try idempotencyKey(form))
        throw PageOutcome.redirect("/assessment/\(code)?done=finalized")
    }

    func reopenPeriod(_ visit: Visit, code: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        do {
            _ = try await assessment.reopen(
                period: code, reason: form["reason"], by: principal, idempotencyKey: try idempotencyKey(form))
        } catch {
            var row = GridRow()
            row.reason = form["reason"]
            row.reasonError = try fieldError(error, visit)["reason"]
            guard row.reasonError != nil else { throw error }
            return try await periodPage(visit, code: code, rows: ["_period": row], status: .unprocessableContent)
        }
        throw PageOutcome.redirect("/assessment/\(code)?done=reopened")
    }

    /// Every revision of one jurisdiction's score, oldest first, each value marked where it differs from the
    /// revision before.
    func scoreHistoryPage(_ visit: Visit, period code: String, jurisdiction: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let history = try await assessment.history(period: code, jurisdiction: jurisdiction, by: principal)
        let scheme = try await assessment.scheme(ofPeriod: code, by: principal)
        let names = try await placeNames(principal)
        var previous: [String: String] = [:]
        var previousComposite: String?
        let revisions: [[String: Any]] = history.map { record in
            let values = Dictionary(uniqueKeysWithValues: record.lines.map { ($0.code, $0.value) })
            let cells: [[String: Any]] = scheme.indicators.map { indicator in
                let value = values[indicator.code] ?? ""
                let before = previous[indicator.code]
                return [
                    "value": value, "changed": before != nil && before != value,
                    "before": before ?? "",
                ]
            }
            let row: [String: Any] = [
                "revision": "\(record.revision)", "cells": cells, "composite": record.composite,
                "compositeChanged": previousComposite != nil && previousComposite != record.composite,
                "by": record.recordedBy, "at": Format.time(record.recordedAt), "reason": record.reason ?? "",
            ]
            previous = values
            previousComposite = record.composite
            return row
        }
        let place = Format.place(jurisdiction, names, visit.language)
        return views.page(
            "score-history", title: visit.text("history_title", ["place": place, "code": code]), visit: visit,
            data: [
                "code": code, "revisions": revisions,
                "indicators": scheme.indicators.map { visit.language == .zh ? $0.nameZh : $0.name },
            ], current: "/assessment")
    }
}
