import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// The assessment office's set-up: a scheme's next version from a table of indicators (each wrong cell said in its
/// cell), and a period opened under a scheme for the jurisdictions it assesses.
extension Console {
    /// Rows of the indicator table: the scheme's own, and blank ones to add.
    static let indicatorRowsMax = 12

    func registerAssessmentSetup(on router: Router<BasicRequestContext>) {
        router.get("schemes/new") { request, context in
            try await self.page(request, context) { visit in try await self.schemeForm(visit, input: nil, errors: [:]) }
        }
        router.post("schemes") { request, context in
            try await self.page(request, context) { visit in try await self.createScheme(visit) }
        }
        router.get("periods/new") { request, context in
            try await self.page(request, context) { visit in try await self.periodForm(visit, input: nil, errors: [:]) }
        }
        router.post("periods") { request, context in
            try await self.page(request, context) { visit in try await self.openPeriod(visit) }
        }
    }

    static let indicatorFields = ["code", "nameZh", "name", "weight", "direction", "floor", "ceiling", "unit"]

    func schemeForm(
        _ visit: Visit, input: [String: String]?, errors: [String: String], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let schemes = try await assessment.latestSchemes(by: principal)
        let base = schemes.first { $0.code == (visit.query.optional("from") ?? "") } ?? schemes.first
        var fields = input ?? [:]
        if input == nil, let base {
            fields["code"] = base.code
            fields["name"] = base.name
            for (index, indicator) in base.indicators.enumerated() {
                let values = [
                    indicator.code, indicator.nameZh, indicator.name, indicator.weight, indicator.direction.rawValue,
                    indicator.floor, indicator.ceiling, indicator.unit,
                ]
                for (field, value) in zip(Self.indicatorFields, values) { fields["i\(index).\(field)"] = value }
            }
        }
        let rows: [[String: Any]] = (0..<Self.indicatorRowsMax).map { index in
            [
                "index": "\(index)", "number": "\(index + 1)",
                "cells": Self.indicatorFields.filter { $0 != "direction" }.map { field -> [String: Any] in
                    var cell: [String: Any] = [
                        "name": "i\(index).\(field)", "value": fields["i\(index).\(field)"] ?? "",
                        "label": visit.text("scheme_\(field)"), "id": "i\(index)-\(field)",
                    ]
                    if let error = errors["i\(index).\(field)"] { cell["error"] = error }
                    return cell
                },
                "higher": fields["i\(index).direction"] != "lowerIsBetter",
                "directionName": "i\(index).direction",
            ]
        }
        var data: [String: Any] = [
            "rows": rows, "code": fields["code"] ?? "", "name": fields["name"] ?? "",
            "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": UUID().uuidString,
            "schemes": schemes.map { ["code": $0.code, "version": "\($0.version)"] },
        ]
        for field in ["code", "name", "indicators"] { if let error = errors[field] { data["\(field)Error"] = error } }
        return views.page(
            "scheme-new", title: visit.text("scheme_new_title"), visit: visit, data: data, status: status,
            current: "/assessment", address: "/schemes/new")
    }

    func createScheme(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        var errors: [String: String] = [:]
        var indicators: [IndicatorScheme.Indicator] = []
        var texts: [IndicatorTexts] = []
        var rowOf: [Int] = []  // the table row of each indicator, for errors that name /indicators/{n}
        for index in 0..<Self.indicatorRowsMax {
            func field(_ name: String) -> String { form["i\(index).\(name)"].trimmingCharacters(in: .whitespaces) }
            guard !field("code").isEmpty else { continue }
            func decimal(_ name: String) -> Rational? {
                do { return try parseDecimal(field(name), at: "/\(name)") } catch {
                    errors["i\(index).\(name)"] = visit.catalog.message(kind: error.code.rawValue, pointer: "/value")
                    return nil
                }
            }
            let (weight, floor, ceiling) = (decimal("weight"), decimal("floor"), decimal("ceiling"))
            guard let weight, let floor, let ceiling else { continue }
            indicators.append(
                IndicatorScheme.Indicator(
                    code: field("code"), name: field("name"), nameZh: field("nameZh"), weight: weight,
                    direction: field("direction") == "lowerIsBetter" ? .lowerIsBetter : .higherIsBetter,
                    floor: floor, ceiling: ceiling, unit: field("unit")))
            texts.append(IndicatorTexts(weight: field("weight"), floor: field("floor"), ceiling: field("ceiling")))
            rowOf.append(index)
        }
        if errors.isEmpty {
            do {
                let scheme = try IndicatorScheme(
                    code: form["code"], version: 1, name: form["name"], indicators: indicators)
                let created = try await assessment.createScheme(
                    scheme, texts: texts, by: principal, idempotencyKey: try idempotencyKey(form))
                throw PageOutcome.redirect("/periods/new?scheme=\(created.value.code)&created=\(created.value.version)")
            } catch let outcome as PageOutcome {
                throw outcome
            } catch let error as ValidationError {
                // "/indicators/2/weight" → the cell of that row; "/code", "/name", "/indicators" → their fields.
                let parts = error.pointer.split(separator: "/").map(String.init)
                let message = visit.catalog.message(kind: error.code.rawValue, pointer: error.pointer)
                if parts.count >= 3, parts[0] == "indicators", let n = Int(parts[1]), rowOf.indices.contains(n) {
                    errors["i\(rowOf[n]).\(parts[2])"] = message + "（\(error.detail)）"
                } else {
                    errors[parts.first ?? "indicators"] = message + "（\(error.detail)）"
                }
            }
        }
        return try await schemeForm(visit, input: form.fields, errors: errors, status: .unprocessableContent)
    }

    func periodForm(
        _ visit: Visit, input: [String: String]?, errors: [String: String], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let schemes = try await assessment.latestSchemes(by: principal)
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        let chosen = input?["scheme"] ?? visit.query.optional("scheme") ?? schemes.first?.code ?? ""
        var data: [String: Any] = [
            "code": input?["code"] ?? "", "csrf": visit.session?.csrfToken ?? "", "idempotencyKey": UUID().uuidString,
            "schemes": schemes.map { scheme in
                [
                    "code": scheme.code, "label": "\(scheme.name) (\(scheme.code) v\(scheme.version))",
                    "selected": scheme.code == chosen,
                ] as [String: Any]
            },
            // Every city and the two municipalities by default: Hebei itself is scored through its cities.
            "places": places.sorted { $0.code < $1.code }.map { place in
                [
                    "code": place.code, "name": Format.place(place.code, names, visit.language),
                    "checked": input.map { $0["j_\(place.code)"] == "on" } ?? (place.code != "hebei"),
                ] as [String: Any]
            },
        ]
        if let created = visit.query.optional("created") {
            data["notice"] = visit.text("scheme_created", ["version": created])
        }
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "period-new", title: visit.text("period_new_title"), visit: visit, data: data, status: status,
            current: "/assessment", address: "/periods/new")
    }

    func openPeriod(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let chosen = form.fields.keys.filter { $0.hasPrefix("j_") && form[$0] == "on" }.map { String($0.dropFirst(2)) }
            .sorted()
        do {
            let request = try PeriodRequest(
                code: form["code"], schemeCode: form["scheme"], schemeVersion: nil, jurisdictions: chosen)
            let created = try await assessment.createPeriod(
                request, by: principal, idempotencyKey: try idempotencyKey(form))
            throw PageOutcome.redirect("/assessment/\(created.value.code)")
        } catch let outcome as PageOutcome {
            throw outcome
        } catch let error as StoreError where error.code == .conflict {
            return try await periodForm(
                visit, input: form.fields, errors: ["code": visit.text("period_code_taken")], status: .conflict)
        } catch {
            return try await periodForm(
                visit, input: form.fields, errors: try fieldError(error, visit), status: .unprocessableContent)
        }
    }
}

/// A scheme's versions, each with its indicator table: what a period opened under it scores by.
extension Console {
    func registerSchemes(on router: Router<BasicRequestContext>) {
        router.get("schemes/:code") { request, context in
            let code = context.parameters.get("code") ?? ""
            return try await self.page(request, context) { visit in try await self.schemePage(visit, code: code) }
        }
    }

    func schemePage(_ visit: Visit, code: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let versions = try await assessment.schemeVersions(code, by: principal)
        let asked = visit.query.optional("v").flatMap(Int.init) ?? versions.last?.version
        guard let shown = versions.first(where: { $0.version == asked }) else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        let data: [String: Any] = [
            "code": code, "name": shown.name, "version": "\(shown.version)", "by": shown.createdBy,
            "at": Format.time(shown.createdAt),
            "versions": versions.reversed().map { version in
                ["version": "\(version.version)", "current": version.version == shown.version] as [String: Any]
            },
            "indicators": shown.indicators.map { indicator in
                [
                    "code": indicator.code, "name": visit.language == .zh ? indicator.nameZh : indicator.name,
                    "weight": indicator.weight, "direction": visit.text("direction_\(indicator.direction.rawValue)"),
                    "floor": indicator.floor, "ceiling": indicator.ceiling, "unit": indicator.unit,
                ]
            },
            "mayPublish": principal.may(.defineSchemes),
        ]
        return views.page(
            "scheme", title: visit.text("scheme_title", ["code": code, "version": "\(shown.version)"]), visit: visit,
            data: data, current: "/assessment")
    }
}
