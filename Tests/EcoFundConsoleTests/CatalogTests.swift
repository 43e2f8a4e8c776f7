import EcoFundCore
import Foundation
import Testing

@testable import EcoFundConsole

/// Both languages are complete: the two catalogs have the same keys, and every key a template names exists.
@Suite struct CatalogTests {
    @Test func bothCatalogsHaveTheSameKeys() {
        let zh = Set(Catalog.of(.zh).texts.keys)
        let en = Set(Catalog.of(.en).texts.keys)
        #expect(zh.subtracting(en).sorted() == [], "in Chinese only")
        #expect(en.subtracting(zh).sorted() == [], "in English only")
        #expect(Catalog.of(.zh).texts.values.allSatisfy { !$0.isEmpty })
    }

    @Test func everyKeyATemplateOrTheCodeNamesIsInTheCatalogs() throws {
        let keys = Set(Catalog.of(.zh).texts.keys)
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/EcoFundConsole").standardizedFileURL
        var named: Set<String> = []
        let pattern = try Regex(#"\{\{t\.([a-z-]+_[a-z_-]+)\}\}|text\("([a-z-]+_[a-z_-]+)""#)
        for name in try FileManager.default.subpathsOfDirectory(atPath: directory.path)
        where name.hasSuffix(".mustache") || name.hasSuffix(".swift") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let key = match.output[1].substring ?? match.output[2].substring { named.insert(String(key)) }
            }
        }
        // Keys made from a value: every role, request kind and refusal the services give.
        for role in ["finance", "approver", "assessor", "auditor", "admin"] { named.insert("role_\(role)") }
        for kind in ["token", "role", "person"] { named.insert("request_kind_\(kind)") }
        for status in RunStatus.allCases {
            named.insert("run_status_\(status.rawValue)")
        }
        for done in ["proposed", "approved", "rejected", "posted", "paid"] { named.insert("run_done_\(done)") }
        for done in ["recorded", "reversed"] { named.insert("contrib_done_\(done)") }
        for kind in JournalEntry.Kind.allCases { named.insert("entry_kind_\(kind.rawValue)") }
        for factor in AllocationRule.FactorKey.allCases { named.insert("factor_\(factor.rawValue)") }
        for kind in [
            "invalid-amount", "amount-too-large", "invalid-date", "invalid-value", "unknown-reference", "missing-field",
            "wrong-credentials", "wrong-code", "unknown-activation-code", "wrong-current-password", "no-session",
            "not-found", "conflict", "forbidden", "maker-checker", "fund-insufficient", "idempotency-key-reused",
            "database-unavailable", "precondition-failed", "unauthenticated", "too-many-exports",
        ] { named.insert("error_\(kind)") }
        #expect(named.count > 100)
        #expect(named.subtracting(keys).sorted() == [], "named but in neither catalog")
    }

    /// The explanations' shares: exact fractions as percentages with two decimals, rounded half-up (the words
    /// around them are checked in the browser journeys, on every recipient of a real run).
    @Test func sharesReadAsPercentagesRoundedHalfUp() {
        #expect(Explanation.percent(Exact(3, 8)) == "37.50%")
        #expect(Explanation.percent(Exact(1, 3)) == "33.33%")
        #expect(Explanation.percent(Exact(2, 3)) == "66.67%")
    }

    @Test func amountsReadAsYuanWithSeparators() {
        #expect(Format.money(fen: 3_000_000_000) == "¥30,000,000.00")
        #expect(Format.money(fen: 5) == "¥0.05")
        #expect(Format.money(fen: -123_456) == "-¥1,234.56")
        #expect(Format.money(fen: Int64.max) == "¥92,233,720,368,547,758.07")
    }
}
