import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// Allocation rules: the rules and their versions, a version's document with its difference from the version
/// before, what it would give today (the preview, no side effects), and — for administrators — publishing a new
/// version from its JSON, each error naming the place in the document it is about.
extension Console {
    func registerRules(on router: Router<BasicRequestContext>) {
        router.get("rules") { request, context in
            try await self.page(request, context) { visit in try await self.rulesPage(visit) }
        }
        router.get("rules/:code") { request, context in
            let code = context.parameters.get("code") ?? ""
            return try await self.page(request, context) { visit in try await self.rulePage(visit, code: code) }
        }
        router.post("rules") { request, context in
            try await self.page(request, context) { visit in try await self.publishRule(visit) }
        }
    }

    static let documentEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func pretty(_ document: RuleDocument) -> String {
        (try? String(decoding: documentEncoder.encode(document), as: UTF8.self)) ?? ""
    }

    func rulesPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let rules = try await disbursements.latestRules(by: principal)
        let rows: [[String: Any]] = rules.map { rule in
            var row: [String: Any] = [
                "code": rule.code, "title": rule.document.title, "version": "\(rule.version)",
                "by": rule.publishedBy, "at": Format.time(rule.publishedAt),
            ]
            if let period = rule.document.assessmentPeriod {
                row["kind"] = visit.text("rule_uses_period", ["period": period])
            }
            return row
        }
        return views.page(
            "rules", title: visit.text("rules_title"), visit: visit,
            data: ["rows": rows, "empty": rows.isEmpty, "mayPublish": principal.may(.publishRules)])
    }

    func rulePage(
        _ visit: Visit, code: String, draft: String? = nil, errors: [String] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let versions = try await disbursements.rules(code, by: principal)
        guard let latest = versions.last else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        let asked = visit.query.optional("v").flatMap(Int.init) ?? latest.version
        guard let shown = versions.first(where: { $0.version == asked }) else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        let text = Self.pretty(shown.document)
        var data: [String: Any] = [
            "code": code, "title": shown.document.title, "version": "\(shown.version)", "document": text,
            "by": shown.publishedBy, "at": Format.time(shown.publishedAt),
            "versions": versions.reversed().map { version in
                [
                    "version": "\(version.version)", "current": version.version == shown.version,
                    "by": version.publishedBy, "at": Format.time(version.publishedAt),
                ] as [String: Any]
            },
            "mayPublish": principal.may(.publishRules), "csrf": visit.session?.csrfToken ?? "",
            "idempotencyKey": UUID().uuidString, "draft": draft ?? Self.pretty(latest.document),
            "errors": errors, "hasErrors": !errors.isEmpty,
        ]
        if let previous = versions.last(where: { $0.version < shown.version }) {
            let changes = LineDiff.changes(
                from: Self.pretty(previous.document).split(separator: "\n").map(String.init),
                to: text.split(separator: "\n").map(String.init))
            data["previous"] = "\(previous.version)"
            data["diff"] = changes.map { change -> [String: Any] in
                switch change {
                case .kept(let line): ["line": line, "mark": " ", "css": "kept"]
                case .removed(let line): ["line": line, "mark": "−", "css": "removed"]
                case .added(let line): ["line": line, "mark": "+", "css": "added"]
                }
            }
            data["unchanged"] = changes.allSatisfy { if case .kept = $0 { true } else { false } }
        }
        if principal.may(.previewAllocations) {
            do {
                let preview = try await disbursements.preview(
                    rule: code, version: shown.version, pool: nil, by: principal)
                let names = try await placeNames(principal)
                data["preview"] = [
                    "pool": Format.money(preview.allocation.pool), "tranches": trancheRows(preview.allocation, visit),
                    "rows": allocationRows(preview.allocation, payments: [], names, visit),
                ]
            } catch let error as any ProblemDescribing where error.problem.status < 500 {
                data["previewRefused"] = visit.catalog.message(kind: error.problem.kind, pointer: nil)
            }
        }
        if visit.query.optional("done") == "published" { data["notice"] = visit.text("rule_published_notice") }
        return views.page(
            "rule", title: visit.text("rule_title", ["code": code, "version": "\(shown.version)"]), visit: visit,
            data: data, status: status, current: "/rules", address: "/rules/\(code)")
    }

    /// Publishes the pasted document as the next version of its code. A document that does not read, names a field
    /// the format does not have, or breaks a rule is shown again with each error and the place it is at.
    func publishRule(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let form = try await self.form(visit)
        let text = form["document"]
        let code = form["code"]
        func refused(_ errors: [String]) async throws -> Response {
            try await rulePage(visit, code: code, draft: text, errors: errors, status: .unprocessableContent)
        }
        let document: RuleDocument
        do {
            document = try JSONDecoder().decode(RuleDocument.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            return try await refused([Self.describe(error, visit)])
        } catch {
            return try await refused([visit.text("rule_not_json")])
        }
        // A name the format does not know would be dropped without a word; say it instead.
        if let given = try? JSONValue(parsing: Array(text.utf8)),
            let kept = try? JSONValue(parsing: Array(Self.documentEncoder.encode(document)))
        {
            let unknown = Self.unknownNames(given, kept, at: "")
            if !unknown.isEmpty {
                return try await refused(unknown.map { visit.text("rule_unknown_field", ["at": $0]) })
            }
        }
        do {
            let published = try await disbursements.publish(
                document, by: principal, idempotencyKey: try idempotencyKey(form))
            throw PageOutcome.redirect("/rules/\(published.value.code)?v=\(published.value.version)&done=published")
        } catch let outcome as PageOutcome {
            throw outcome
        } catch let error as any ProblemDescribing where error.problem.status < 500 {
            let facts = error.problem
            let at = facts.pointer.map { visit.text("rule_error_at", ["at": $0]) } ?? ""
            // The service's sentence is English: a Chinese page says the kind in Chinese and keeps the sentence.
            let said =
                visit.language == .en
                ? facts.detail : visit.catalog.message(kind: facts.kind, pointer: nil) + "（\(facts.detail)）"
            return try await refused([at + said])
        }
    }

    /// JSON pointers of object members in `given` that the decoded document does not have.
    static func unknownNames(_ given: JSONValue, _ kept: JSONValue, at path: String) -> [String] {
        switch (given, kept) {
        case (.object(let mine), .object(let theirs)):
            return mine.sorted { $0.key < $1.key }.flatMap { key, value -> [String] in
                guard let other = theirs[key] else {
                    // An absent optional member written as null is not unknown.
                    if case .null = value { return [] }
                    return ["\(path)/\(key)"]
                }
                return unknownNames(value, other, at: "\(path)/\(key)")
            }
        case (.array(let mine), .array(let theirs)):
            return zip(mine, theirs).enumerated().flatMap { index, pair in
                unknownNames(pair.0, pair.1, at: "\(path)/\(index)")
            }
        default: return []
        }
    }

    /// A decoding error as a person reads it, with the place in the document.
    static func describe(_ error: DecodingError, _ visit: Visit) -> String {
        func pointer(_ path: [any CodingKey]) -> String {
            "/" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return visit.text("rule_missing_field", ["at": pointer(context.codingPath + [key])])
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return visit.text("rule_wrong_type", ["at": pointer(context.codingPath)])
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? visit.text("rule_not_json") : visit.text("rule_wrong_type", ["at": pointer(context.codingPath)])
        @unknown default:
            return visit.text("rule_not_json")
        }
    }
}
