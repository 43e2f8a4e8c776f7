import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// A jurisdiction's targets and monthly readings in a period: the forms, the readings by month and the history.
extension Console {
    func measuresPage(_ visit: Visit, _ form: MeasuresForm) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let period = try await assessment.period(form.period, by: principal)
        guard period.jurisdictions.contains(form.jurisdiction) else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        let scheme = try await assessment.scheme(ofPeriod: form.period, by: principal)
        let history = try await assessment.targets(
            period: form.period, jurisdiction: form.jurisdiction, history: true, by: principal)
        let readings = try await assessment.readings(
            period: form.period, jurisdiction: form.jurisdiction, month: nil, by: principal)
        let names = try await placeNames(principal)
        let mayEnter = principal.may(.enterScores) && period.status == .open
        let month = form.readingMonth ?? visit.query.optional("month")
        let editing = month.flatMap { month in readings.first { $0.month == month } }
        var data: [String: Any] = [
            "code": form.period, "jurisdiction": form.jurisdiction,
            "place": Format.place(form.jurisdiction, names, visit.language), "mayEnter": mayEnter,
            "csrf": visit.session?.csrfToken ?? "",
            "targetRows": targetRows(scheme, current: history.last, form: form, visit),
            "targetETag": history.last?.etag ?? "", "hasTargets": history.last != nil,
            "targetReason": form.targetReason, "readingReason": form.readingReason,
            "readingRows": readingRows(scheme, editing: editing, form: form, visit),
            "readingETag": editing?.etag ?? "", "month": month ?? "", "editingMonth": editing != nil,
            "indicatorNames": scheme.indicators.map { ["name": visit.language == .zh ? $0.nameZh : $0.name] },
            "readings": readings.map { set in
                [
                    "month": set.month, "revision": "\(set.revision)", "by": set.recordedBy,
                    "cells": scheme.indicators.map { indicator in
                        ["value": set.values.first { $0.indicator == indicator.code }?.value ?? "—"]
                    },
                    "edit": Views.address(
                        "/assessment/\(form.period)/measures/\(form.jurisdiction)", [("month", set.month)]),
                ] as [String: Any]
            },
            "hasReadings": !readings.isEmpty, "savedTargets": visit.query.optional("saved") == "targets",
            "savedReadings": visit.query.optional("saved") == "readings",
            "history": history.reversed().map { set in targetRevision(set, scheme: scheme, visit) },
        ]
        for (key, value) in [
            ("targetNotice", form.targetNotice), ("readingNotice", form.readingNotice),
            ("targetReasonError", form.targetErrors["reason"]), ("targetsError", form.targetErrors["targets"]),
            ("readingReasonError", form.readingErrors["reason"]), ("monthError", form.readingErrors["month"]),
            ("valuesError", form.readingErrors["values"]),
        ] {
            if let value { data[key] = value }
        }
        return views.page(
            "measures",
            title: visit.text("measures_title", ["place": data["place"] as? String ?? "", "period": form.period]),
            visit: visit, data: data, status: form.status, current: "/assessment",
            address: "/assessment/\(form.period)/measures/\(form.jurisdiction)")
    }

    /// One row per indicator: its current target (or what was typed), whether binding, and its error.
    func targetRows(_ scheme: SchemeRecord, current: TargetSet?, form: MeasuresForm, _ visit: Visit) -> [[String: Any]]
    {
        scheme.indicators.map { indicator in
            let saved = current?.targets.first { $0.indicator == indicator.code }
            let typed = form.targetInput?[indicator.code]
            var row: [String: Any] = [
                "code": indicator.code, "name": visit.language == .zh ? indicator.nameZh : indicator.name,
                "unit": indicator.unit, "direction": visit.text("direction_\(indicator.direction.rawValue)"),
                "value": typed?.value ?? saved?.value ?? "", "binding": typed?.binding ?? saved?.binding ?? false,
                "valueField": MeasuresForm.field("t", indicator.code),
                "bindingField": MeasuresForm.field("b", indicator.code),
            ]
            if let error = form.targetErrors[indicator.code] { row["error"] = error }
            return row
        }
    }

    func readingRows(_ scheme: SchemeRecord, editing: ReadingSet?, form: MeasuresForm, _ visit: Visit)
        -> [[String: Any]]
    {
        scheme.indicators.map { indicator in
            var row: [String: Any] = [
                "code": indicator.code, "name": visit.language == .zh ? indicator.nameZh : indicator.name,
                "unit": indicator.unit, "field": MeasuresForm.field("r", indicator.code),
                "value": form.readingInput?[indicator.code]
                    ?? editing?.values.first { $0.indicator == indicator.code }?.value ?? "",
            ]
            if let error = form.readingErrors[indicator.code] { row["error"] = error }
            return row
        }
    }

    func targetRevision(_ set: TargetSet, scheme: SchemeRecord, _ visit: Visit) -> [String: Any] {
        var view: [String: Any] = [
            "revision": "\(set.revision)", "by": set.recordedBy, "at": Format.time(set.recordedAt),
            "targets": set.targets.map { target in
                let indicator = scheme.indicators.first { $0.code == target.indicator }
                return [
                    "name": indicator.map { visit.language == .zh ? $0.nameZh : $0.name } ?? target.indicator,
                    "value": target.value, "unit": indicator?.unit ?? "",
                    "binding": visit.text(target.binding ? "measures_binding_yes" : "measures_binding_no"),
                ]
            },
        ]
        if let reason = set.reason { view["reason"] = reason }
        return view
    }

    func saveTargets(_ visit: Visit, _ page: MeasuresForm) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let scheme = try await assessment.scheme(ofPeriod: page.period, by: principal)
        var state = page
        state.targetReason = form["reason"]
        var input: [String: (value: String, binding: Bool)] = [:]
        var targets: [Target] = []
        for indicator in scheme.indicators {
            let value = form[MeasuresForm.field("t", indicator.code)].trimmingCharacters(in: .whitespaces)
            let binding = form.optional(MeasuresForm.field("b", indicator.code)) != nil
            input[indicator.code] = (value, binding)
            // A blank value sets no target for that indicator.
            if !value.isEmpty { targets.append(Target(indicator: indicator.code, value: value, binding: binding)) }
        }
        state.targetInput = input
        do {
            _ = try await assessment.putTargets(
                period: page.period, jurisdiction: page.jurisdiction, targets, reason: form.optional("reason"),
                ifMatch: form.optional("etag"), by: principal)
        } catch {
            state.status = .unprocessableContent
            if let error = error as? StoreError, error.code == .preconditionFailed {
                state.targetNotice = visit.text("measures_conflict")
                state.status = .preconditionFailed
            } else {
                let field = try fieldError(error, visit)
                if let indicator = MeasuresForm.indicator(of: error, sent: targets.map(\.indicator)) {
                    state.targetErrors[indicator] = field["targets"]
                } else {
                    state.targetErrors.merge(field) { first, _ in first }
                }
                state.targetNotice = visit.text("form_has_errors")
            }
            return try await measuresPage(visit, state)
        }
        throw PageOutcome.redirect("/assessment/\(page.period)/measures/\(page.jurisdiction)?saved=targets")
    }

    func saveReadings(_ visit: Visit, _ page: MeasuresForm) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let scheme = try await assessment.scheme(ofPeriod: page.period, by: principal)
        var state = page
        state.readingReason = form["reason"]
        state.readingMonth = form["month"].trimmingCharacters(in: .whitespaces)
        var input: [String: String] = [:]
        var values: [ReadingSet.Value] = []
        for indicator in scheme.indicators {
            let value = form[MeasuresForm.field("r", indicator.code)].trimmingCharacters(in: .whitespaces)
            input[indicator.code] = value
            if !value.isEmpty { values.append(.init(indicator: indicator.code, value: value)) }
        }
        state.readingInput = input
        do {
            _ = try await assessment.putReadings(
                period: page.period, jurisdiction: page.jurisdiction, month: state.readingMonth ?? "", values,
                reason: form.optional("reason"), ifMatch: form.optional("etag"), by: principal)
        } catch {
            state.status = .unprocessableContent
            if let error = error as? StoreError, error.code == .preconditionFailed {
                state.readingNotice = visit.text("measures_reading_conflict")
                state.status = .preconditionFailed
            } else {
                let field = try fieldError(error, visit)
                if let indicator = MeasuresForm.indicator(of: error, sent: values.map(\.indicator)) {
                    state.readingErrors[indicator] = field["values"]
                } else {
                    state.readingErrors.merge(field) { first, _ in first }
                }
                state.readingNotice = visit.text("form_has_errors")
            }
            return try await measuresPage(visit, state)
        }
        throw PageOutcome.redirect(
            Views.address(
                "/assessment/\(page.period)/measures/\(page.jurisdiction)",
                [("month", state.readingMonth ?? ""), ("saved", "readings")]))
    }
}
