import EcoFundCore
import Foundation
import Testing

@Suite struct CommitmentTests {
    static func commitment(_ contributor: String, year: Int = 2025, amount: String) -> String {
        #"{"contributor":"\#(contributor)","fiscalYear":\#(year),"amount":"\#(amount)","currency":"CNY","memo":"annual pledge"}"#
    }

    @Test func fulfilledCountsContributionsDatedInTheYearNetOfReversals() async throws {
        try await APIHarness.with { api in
            let pledge = try await api.call(
                .post, "/v1/commitments", token: api.tokens.financeBeijing, key: "m-1",
                json: Self.commitment("beijing", amount: "1000.00"))
            #expect(pledge.status == 201)
            #expect(pledge.string("fulfilled") == "0.00")
            #expect(pledge.string("outstanding") == "1000.00")
            for (key, amount, date) in [
                ("a", "300.00", "2025-01-01"), ("b", "250.00", "2025-12-31"), ("c", "999.00", "2026-01-01"),
                ("d", "100.00", "2024-12-31"),
            ] {
                #expect(
                    try await api.call(
                        .post, "/v1/contributions", token: api.tokens.financeBeijing, key: key,
                        json: APIHarness.contribution(amount: amount, valueDate: date, reference: key)
                    ).status == 201)
            }
            let reversed = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "e",
                json: APIHarness.contribution(amount: "50.00", valueDate: "2025-06-01", reference: "e"))
            let id = try #require(reversed.string("id"))
            #expect(
                try await api.call(
                    .post, "/v1/contributions/\(id)/reversal", token: api.tokens.financeBeijing, key: "e-r",
                    json: #"{"reason":"duplicate"}"#
                ).status == 201)
            let list = try await api.call(.get, "/v1/commitments?fiscalYear=2025", token: api.tokens.auditor)
            #expect(list.items.count == 1)
            #expect(list.items.first?["fulfilled"] as? String == "550.00")
            #expect(list.items.first?["outstanding"] as? String == "450.00")
            // Paying more than pledged leaves nothing outstanding, never a negative amount.
            #expect(
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "f",
                    json: APIHarness.contribution(amount: "600.00", valueDate: "2025-07-01", reference: "f")
                ).status == 201)
            let over = try await api.call(
                .get, "/v1/commitments?fiscalYear=2025&contributor=beijing", token: api.tokens.auditor)
            #expect(over.items.first?["fulfilled"] as? String == "1150.00")
            #expect(over.items.first?["outstanding"] as? String == "0.00")
            #expect(
                try await api.call(.get, "/v1/commitments?fiscalYear=2026", token: api.tokens.auditor).items.isEmpty)
        }
    }

    @Test func onePledgePerContributorAndYearAndOnlyForOnesOwnJurisdiction() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/commitments", token: api.tokens.financeTianjin,
                    json: Self.commitment("tianjin", amount: "10.00")
                ).status == 201)
            let second = try await api.call(
                .post, "/v1/commitments", token: api.tokens.financeTianjin,
                json: Self.commitment("tianjin", amount: "20.00"))
            #expect(second.status == 409)
            #expect(
                try await api.call(
                    .post, "/v1/commitments", token: api.tokens.financeTianjin,
                    json: Self.commitment("beijing", amount: "20.00")
                ).status == 403)
            let badYear = try await api.call(
                .post, "/v1/commitments", token: api.tokens.admin,
                json: Self.commitment("beijing", year: 1999, amount: "1.00"))
            #expect(badYear.status == 422)
            #expect(badYear.problemPointer == "/fiscalYear")
            let recipient = try await api.call(
                .post, "/v1/commitments", token: api.tokens.admin, json: Self.commitment("chengde", amount: "1.00"))
            #expect(recipient.status == 422)
            #expect(recipient.problemPointer == "/contributor")
            #expect(try await api.count("commitments") == 1)
        }
    }
}

@Suite struct ReferenceDataTests {
    @Test func theDemoJurisdictionsCarryTheirReferenceFigures() async throws {
        try await APIHarness.with { api in
            let list = try await api.call(.get, "/v1/jurisdictions", token: api.tokens.auditor)
            #expect(list.items.count == 14)
            #expect(list.items.prefix(3).compactMap { $0["level"] as? String } == ["province", "province", "province"])
            let chengde = try await api.call(.get, "/v1/jurisdictions/chengde", token: api.tokens.financeBeijing)
            #expect(chengde.string("nameZh") == "承德市")
            #expect(chengde.string("parent") == "hebei")
            #expect(chengde.string("population") == "3355000.00")
            let beijing = try await api.call(.get, "/v1/jurisdictions/beijing", token: api.tokens.auditor)
            #expect(beijing.string("envSpendingPerCapita") == "1397.00")
            #expect(try await api.call(.get, "/v1/jurisdictions/shanghai", token: api.tokens.auditor).status == 404)
        }
    }

    @Test func anAdminAddsAContributorWhoseAccountOpensAndTheChangeIsAudited() async throws {
        try await APIHarness.with { api in
            let body =
                #"{"name":"Xiong'an","nameZh":"雄安新区","level":"city","parent":"hebei","population":"1205000","ecologicalArea":"1770.5","envSpendingPerCapita":"610.25","contributor":true}"#
            #expect(
                try await api.call(.put, "/v1/jurisdictions/xiongan", token: api.tokens.financeBeijing, json: body)
                    .status == 403)
            // Not a contributor yet: refused, and the server does not remember the account as missing.
            let early = try await api.call(
                .post, "/v1/contributions", token: api.tokens.admin, key: "xiongan-early",
                json: APIHarness.contribution("xiongan", amount: "5.00", reference: "XIONGAN-EARLY"))
            #expect(early.status == 422)
            #expect(early.problemPointer == "/contributor")
            let put = try await api.call(.put, "/v1/jurisdictions/xiongan", token: api.tokens.admin, json: body)
            #expect(put.status == 200)
            #expect(
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.admin, key: "xiongan-now",
                    json: APIHarness.contribution("xiongan", amount: "5.00", reference: "XIONGAN-NOW")
                ).status == 201)
            #expect(put.string("ecologicalArea") == "1770.50")
            #expect(
                try await api.call(.get, "/v1/accounts/contributions:xiongan", token: api.tokens.auditor).status == 200)
            #expect(
                try await api.count(
                    "audit_events WHERE type = 'jurisdiction.updated' AND payload->'jurisdiction'->>'code' = 'xiongan'")
                    == 1)
            let badParent = try await api.call(
                .put, "/v1/jurisdictions/nowhere", token: api.tokens.admin,
                json:
                    #"{"name":"N","nameZh":"N","level":"city","parent":"chengde","population":"1","ecologicalArea":"1","envSpendingPerCapita":"1"}"#
            )
            #expect(badParent.status == 422)
            #expect(badParent.problemPointer == "/parent")
            let badNumber = try await api.call(
                .put, "/v1/jurisdictions/nowhere", token: api.tokens.admin,
                json:
                    #"{"name":"N","nameZh":"N","level":"province","population":"1.234","ecologicalArea":"1","envSpendingPerCapita":"1"}"#
            )
            #expect(badNumber.status == 422)
            #expect(badNumber.problemPointer == "/population")
        }
    }

    @Test func accountsListTheirBalancesNowAndAsOfADate() async throws {
        try await APIHarness.with { api in
            for (key, amount, date) in [("a", "100.00", "2025-01-10"), ("b", "200.00", "2025-02-10")] {
                #expect(
                    try await api.call(
                        .post, "/v1/contributions", token: api.tokens.financeTianjin, key: key,
                        json: APIHarness.contribution("tianjin", amount: amount, valueDate: date, reference: key)
                    ).status == 201)
            }
            let now = try await api.call(.get, "/v1/accounts", token: api.tokens.auditor)
            let codes = now.items.compactMap { $0["code"] as? String }
            #expect(codes == ["contributions:beijing", "contributions:tianjin", "fund:cash"])
            #expect(try await api.balanceFen("fund:cash", asOf: "2025-01-31") == 10_000)
            #expect(try await api.balanceFen("fund:cash", asOf: "2025-02-10") == 30_000)
            let asOf = try await api.call(.get, "/v1/reports/trial-balance?asOf=2025-01-31", token: api.tokens.auditor)
            #expect(asOf.json["balanced"] as? Bool == true)
            #expect((asOf.json["totalCredit"] as? [String: Any])?["amount"] as? String == "100.00")
            #expect(try await api.call(.get, "/v1/accounts/fund:other", token: api.tokens.auditor).status == 404)
            #expect(
                try await api.call(.get, "/v1/accounts/fund:cash?asOf=yesterday", token: api.tokens.auditor)
                    .problemPointer == "asOf")
            #expect(try await api.call(.get, "/v1/no-such-route", token: api.tokens.auditor).status == 404)
        }
    }
}
