import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// The probe's allocation findings: `GET /v1/disbursement-runs?limit=3` sent 5.7 MB of derivations, and a tranche of
/// 1,000 recipients was accepted though the spec says 200. Lists now carry summaries, a run's allocations are paged,
/// and the spec and the code share each limit of a rule document.
@Suite struct RunListTests {
    @Test func runListsCarrySummariesAndFilterByStatus() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                ).status == 201)
            try await DisbursementTests.fund(api, "5000.00")
            let first = try await DisbursementTests.propose(api, key: "first")
            let second = try await DisbursementTests.propose(api, key: "second")
            #expect(
                try await api.call(
                    .post, "/v1/disbursement-runs/\(second)/reject", token: api.tokens.approver,
                    json: #"{"reason":"wrong date"}"#
                ).status == 200)
            let all = try await api.call(.get, "/v1/disbursement-runs", token: api.tokens.auditor)
            #expect(all.status == 200)
            #expect(all.items.map { $0["id"] as? String } == [second, first])
            for item in all.items {
                #expect(item["allocation"] == nil && item["derivation"] == nil, "\(item)")
                let pool = (item["pool"] as? [String: Any])?["amount"] as? String
                let paid = (item["paid"] as? [String: Any])?["amount"] as? String
                #expect(item["recipients"] as? Int == 2 && pool == "1000.00" && paid == "0.00", "\(item)")
                #expect(item["proposedBy"] as? String == "li.beijing")
            }
            let rejected = try await api.call(.get, "/v1/disbursement-runs?status=rejected", token: api.tokens.auditor)
            #expect(rejected.items.map { $0["id"] as? String } == [second])
            #expect(rejected.items.first?["status"] as? String == "rejected")
            let one = try await api.call(.get, "/v1/disbursement-runs?limit=1", token: api.tokens.auditor)
            #expect(one.items.count == 1)
            let bad = try await api.call(.get, "/v1/disbursement-runs?status=lost", token: api.tokens.auditor)
            #expect(bad.status == 400 && bad.isProblem)
        }
    }

    @Test func aRunsAllocationsArePagedWithTheirDerivations() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                ).status == 201)
            try await DisbursementTests.fund(api, "5000.00")
            let run = try await DisbursementTests.propose(api, key: "run")
            let whole = try await api.call(.get, "/v1/disbursement-runs/\(run)", token: api.tokens.auditor)
            let expected = ((whole.json["allocation"] as? [String: Any])?["allocations"] as? [[String: Any]] ?? [])
                .map { $0["recipient"] as? String }
            #expect(expected.count == 2)
            var seen: [String?] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let page = try await api.call(
                    .get, "/v1/disbursement-runs/\(run)/allocations?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: api.tokens.auditor)
                #expect(page.status == 200 && page.items.count == 1)
                #expect(page.items.allSatisfy { $0["derivation"] != nil })
                seen += page.items.map { $0["recipient"] as? String }
                cursor = page.string("nextCursor")
                pages += 1
            } while cursor != nil && pages < 5
            #expect(seen == expected && pages == 2)
            // A cursor of another list, and a page larger than 200, are refused naming the parameter.
            let entries = Cursor.encode(entryID: 1)
            let foreign = try await api.call(
                .get, "/v1/disbursement-runs/\(run)/allocations?cursor=\(entries)", token: api.tokens.auditor)
            #expect(foreign.status == 422 && foreign.problemPointer == "cursor")
            let large = try await api.call(
                .get, "/v1/disbursement-runs/\(run)/allocations?limit=201", token: api.tokens.auditor)
            #expect(large.status == 422 && large.problemPointer == "limit")
            let missing = try await api.call(
                .get, "/v1/disbursement-runs/\(UUID())/allocations", token: api.tokens.auditor)
            #expect(missing.status == 404)
        }
    }

    /// 201 recipients in a tranche: refused before anything is looked up or stored.
    @Test func aTrancheOfMoreThan200RecipientsIsRefused() async throws {
        try await APIHarness.with { api in
            let recipients = (1...201).map { #""r\#($0)""# }.joined(separator: ",")
            let rule = DisbursementTests.rule().replacingOccurrences(
                of: #"["zhangjiakou","chengde"]"#, with: "[\(recipients)]")
            let reply = try await api.call(.post, "/v1/allocation-rules", token: api.tokens.admin, json: rule)
            #expect(reply.status == 422 && reply.problemPointer == "/tranches/0/recipients", "\(reply.json)")
            #expect(reply.string("detail")?.contains("1 to 200 recipients") == true)
            #expect(try await api.count("allocation_rules") == 0)
        }
    }

    /// The OpenAPI document's limits on a rule document are the code's, read from the document itself.
    @Test func theSpecsRuleLimitsAreTheCodes() throws {
        let yaml = try String(contentsOf: Self.specification, encoding: .utf8)
        let rule = ["components", "schemas", "RuleDocument", "properties"]
        func value(_ path: [String]) -> Int? { YAMLPath.integer(in: yaml, at: rule + path) }
        #expect(value(["tranches", "maxItems"]) == AllocationRule.tranchesMax)
        #expect(
            value(["tranches", "items", "properties", "recipients", "maxItems"])
                == AllocationRule.recipientsPerTrancheMax)
        #expect(value(["factors", "maxItems"]) == AllocationRule.FactorKey.allCases.count)
        #expect(value(["scoreBands", "maxItems"]) == AllocationRule.bandsMax)
        #expect(value(["title", "maxLength"]) == AllocationRule.titleLengthMax)
    }

    static var specification: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/EcoFundAPI/openapi.yaml")
    }
}

/// Reads one integer out of a YAML document by its path of keys, for the block style the OpenAPI document is written
/// in (a key per line, nested by indentation, and `{key: value, …}` flow maps on one line).
enum YAMLPath {
    static func integer(in yaml: String, at path: [String]) -> Int? {
        var depth = 0
        /// The indentation of the keys searched now: the first line's, then that of the matched key's children.
        var keyIndent: Int? = 0
        var parentIndent = -1
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == " " }
            let indent = line.count - trimmed.count
            guard !trimmed.hasPrefix("#") else { continue }
            if indent <= parentIndent { return nil }
            if keyIndent == nil { keyIndent = indent }
            guard indent == keyIndent, trimmed.hasPrefix("\(path[depth]):") else { continue }
            let rest = trimmed.dropFirst(path[depth].count + 1).trimmingCharacters(in: .whitespaces)
            if depth == path.count - 1 { return Int(rest) }
            if rest.hasPrefix("{") { return depth == path.count - 2 ? flow(rest, path[depth + 1]) : nil }
            depth += 1
            parentIndent = indent
            keyIndent = nil
        }
        return nil
    }

    /// `key: value` in a one-line `{…}` map.
    private static func flow(_ map: String, _ key: String) -> Int? {
        for pair in map.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == key { return Int(parts[1]) }
        }
        return nil
    }
}
