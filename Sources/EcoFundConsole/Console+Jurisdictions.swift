import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// The jurisdictions' reference data — names, population, ecological area, environmental spending per resident, the
/// figures the allocation rules weigh — listed for everyone and edited by an administrator, every field checked by
/// Core's own rules and every error beside its field.
extension Console {
    func registerJurisdictions(on router: Router<BasicRequestContext>) {
        router.get("jurisdictions") { request, context in
            try await self.page(request, context) { visit in try await self.jurisdictionsPage(visit) }
        }
        router.get("jurisdictions/:code") { request, context in
            let code = context.parameters.get("code") ?? ""
            return try await self.page(request, context) { visit in
                try await self.jurisdictionForm(visit, code: code, input: nil, errors: [:])
            }
        }
        router.post("jurisdictions/:code") { request, context in
            let code = context.parameters.get("code") ?? ""
            return try await self.page(request, context) { visit in try await self.saveJurisdiction(visit, code: code) }
        }
    }

    func jurisdictionsPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let places = try await jurisdictions.list(by: principal)
        let names = Dictionary(uniqueKeysWithValues: places.map { ($0.code, $0) })
        let ordered = places.sorted {
            ($0.parent ?? $0.code, $0.level == .province ? 0 : 1, $0.code)
                < ($1.parent ?? $1.code, $1.level == .province ? 0 : 1, $1.code)
        }
        let rows: [[String: Any]] = ordered.map { place in
            [
                "code": place.code, "name": Format.place(place.code, names, visit.language),
                "other": visit.language == .zh ? place.name : place.nameZh, "city": place.level == .city,
                "level": visit.text("level_\(place.level.rawValue)"),
                "population": Format.whole(place.population), "area": place.ecologicalArea.description,
                "spending": place.envSpendingPerCapita.description,
            ]
        }
        var data: [String: Any] = ["rows": rows, "mayEdit": principal.may(.changeReferenceData)]
        if let saved = visit.query.optional("saved"), names[saved] != nil {
            data["notice"] = visit.text("jurisdiction_saved", ["place": Format.place(saved, names, visit.language)])
        }
        return views.page("jurisdictions", title: visit.text("jurisdictions_title"), visit: visit, data: data)
    }

    func jurisdictionForm(
        _ visit: Visit, code: String, input: [String: String]?, errors: [String: String],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let place = try await jurisdictions.get(code, by: principal)
        let names = try await placeNames(principal)
        let fields =
            input ?? [
                "name": place.name, "nameZh": place.nameZh, "population": place.population.description,
                "ecologicalArea": place.ecologicalArea.description,
                "envSpendingPerCapita": place.envSpendingPerCapita.description,
            ]
        var data: [String: Any] = [
            "code": code, "csrf": visit.session?.csrfToken ?? "", "mayEdit": principal.may(.changeReferenceData),
            "level": visit.text("level_\(place.level.rawValue)"),
            // Accounts are never closed: a contributor stays one, and the box says so.
            "isContributor": (try? await ledger.account("contributions:\(code)", asOf: nil, by: principal)) != nil,
            "asksContributor": fields["contributor"] == "on",
        ]
        // Only when there is one: an empty string still opens a Mustache section.
        if let parent = place.parent { data["parent"] = Format.place(parent, names, visit.language) }
        for (name, value) in fields { data[name] = value }
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "jurisdiction",
            title: visit.text("jurisdiction_title", ["place": Format.place(code, names, visit.language)]),
            visit: visit, data: data, status: status, current: "/jurisdictions", address: "/jurisdictions/\(code)")
    }

    /// Saves an edit: each figure read by Core's exact-decimal rule (so every wrong one is said at once), then the
    /// service checks the rest and records it with its audit event.
    func saveJurisdiction(_ visit: Visit, code: String) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let place = try await jurisdictions.get(code, by: principal)
        var errors: [String: String] = [:]
        func figure(_ name: String) -> ExactDecimal? {
            do {
                return try ExactDecimal(parsing: form[name].trimmingCharacters(in: .whitespaces), at: "/\(name)")
            } catch {
                errors[name] = visit.catalog.message(kind: error.code.rawValue, pointer: "/\(name)")
                return nil
            }
        }
        let population = figure("population")
        let area = figure("ecologicalArea")
        let spending = figure("envSpendingPerCapita")
        if errors.isEmpty, let population, let area, let spending {
            let edited = Jurisdiction(
                code: code, name: form["name"], nameZh: form["nameZh"], level: place.level, parent: place.parent,
                population: population, ecologicalArea: area, envSpendingPerCapita: spending)
            do {
                _ = try await jurisdictions.put(edited, contributor: form["contributor"] == "on", by: principal)
                throw PageOutcome.redirect("/jurisdictions?saved=\(code)")
            } catch let outcome as PageOutcome {
                throw outcome
            } catch {
                errors.merge(try fieldError(error, visit)) { first, _ in first }
            }
        }
        return try await jurisdictionForm(
            visit, code: code, input: form.fields, errors: errors, status: .unprocessableContent)
    }
}
