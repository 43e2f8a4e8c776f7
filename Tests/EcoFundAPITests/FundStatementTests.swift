import Foundation
import Testing

/// The fund statement of a year (DESIGN.md "Accountability"): every figure ties to the trial balance of the year's
/// last day, Hebei's cities are summed under Hebei, and a year that is not one is refused naming the parameter.
@Suite struct FundStatementTests {
    static func fen(_ money: Any?) -> Int64? {
        guard let amount = (money as? [String: Any])?["amount"] as? String else { return nil }
        let parts = amount.split(separator: ".")
        guard parts.count == 2, let yuan = Int64(parts[0]), let cents = Int64(parts[1]) else { return nil }
        return yuan * 100 + (yuan < 0 ? -cents : cents)
    }

    @Test func theStatementOfAYearTiesToTheTrialBalanceOfItsLastDay() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                ).status == 201)
            // 2025: money in (and one correction); 2026: more in, a run granted, one recipient paid.
            try await DisbursementTests.fund(api, "5000.00", key: "fund-2025")
            let wrong = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "wrong",
                json: APIHarness.contribution(amount: "12.34", valueDate: "2025-06-01", reference: "WRONG"))
            let wrongID = try #require(wrong.string("id"))
            #expect(
                try await api.call(
                    .post, "/v1/contributions/\(wrongID)/reversal", token: api.tokens.financeBeijing, key: "undo",
                    json: #"{"reason":"entered twice","valueDate":"2025-06-02"}"#
                ).status == 201)
            #expect(
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.financeTianjin, key: "tj-2026",
                    json: APIHarness.contribution("tianjin", amount: "300.00", valueDate: "2026-01-10", reference: "TJ")
                ).status == 201)
            let run = try await DisbursementTests.propose(api, key: "run")
            for step in ["approve", "post"] {
                #expect(
                    try await api.call(.post, "/v1/disbursement-runs/\(run)/\(step)", token: api.tokens.approver).status
                        == 200)
            }
            #expect(
                try await api.call(
                    .post, "/v1/disbursement-runs/\(run)/payments", token: api.tokens.approver,
                    json: #"{"recipient":"chengde","bankReference":"PBOC-1","valueDate":"2026-02-01"}"#
                ).status == 200)

            let first = try await api.call(
                .get, "/v1/reports/fund-statement?fiscalYear=2025", token: api.tokens.auditor)
            #expect(first.status == 200)
            #expect(Self.fen(first.json["openingCash"]) == 0)
            #expect(Self.fen(first.json["receiptsNet"]) == 500_000)
            let beijing = (first.json["receipts"] as? [[String: Any]] ?? []).first {
                $0["contributor"] as? String == "beijing"
            }
            #expect(Self.fen(beijing?["received"]) == 501_234 && Self.fen(beijing?["reversed"]) == 1_234)
            #expect(Self.fen(first.json["closingCash"]) == 500_000)

            let statement = try await api.call(
                .get, "/v1/reports/fund-statement?fiscalYear=2026", token: api.tokens.auditor)
            #expect(statement.status == 200)
            let json = statement.json
            #expect(Self.fen(json["openingCash"]) == 500_000, "the opening cash is the closing cash of 2025")
            #expect(Self.fen(json["receiptsNet"]) == 30_000)
            #expect(Self.fen(json["grantsNet"]) == 100_000)
            #expect(Self.fen(json["paymentsMade"]) == 44_895)
            #expect(json["cashTies"] as? Bool == true)
            let provinces = json["provinces"] as? [[String: Any]] ?? []
            let hebei = provinces.first { $0["recipient"] as? String == "hebei" }
            #expect(Self.fen(hebei?["granted"]) == 100_000, "Chengde and Zhangjiakou are summed under Hebei")
            #expect(!provinces.contains { ["chengde", "zhangjiakou"].contains($0["recipient"] as? String) })

            // Every figure as the trial balance of 31 December has it.
            let trial = try await api.call(
                .get, "/v1/reports/trial-balance?asOf=2026-12-31", token: api.tokens.auditor)
            let rows = trial.json["rows"] as? [[String: Any]] ?? []
            func net(_ prefix: String) -> Int64 {
                rows.filter { ($0["code"] as? String)?.hasPrefix(prefix) == true }.reduce(0) {
                    $0 + (Self.fen($1["debit"]) ?? 0) - (Self.fen($1["credit"]) ?? 0)
                }
            }
            #expect(Self.fen(json["closingCash"]) == net("fund:cash"))
            #expect(Self.fen(json["payablesOutstanding"]) == -net("payable:"))
            #expect(Self.fen(json["payablesOutstanding"]) == 55_105)

            for bad in ["1999", "2101"] {
                let refused = try await api.call(
                    .get, "/v1/reports/fund-statement?fiscalYear=\(bad)", token: api.tokens.auditor)
                #expect(refused.status == 422 && refused.string("pointer") == "fiscalYear", "\(bad)")
            }
            #expect(try await api.call(.get, "/v1/reports/fund-statement", token: api.tokens.auditor).status == 400)
            #expect(
                try await api.call(.get, "/v1/reports/fund-statement?fiscalYear=2026", token: nil).status == 401)
        }
    }
}
