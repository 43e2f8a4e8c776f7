import EcoFundCore
import Testing

@Suite struct JournalEntryTests {
    let date = try! CalendarDate(parsing: "2025-03-15", at: "")

    @Test func contributionDebitsCashAndCreditsTheContributor() {
        let entry = JournalEntry.contribution(from: "beijing", amount: Money(fen: 12_345), valueDate: date, memo: "x")
        #expect(
            entry.lines == [
                .init(.debit, .fundCash, Money(fen: 12_345)),
                .init(.credit, .contributions("beijing"), Money(fen: 12_345)),
            ])
        #expect(entry.balanceChanges == [.fundCash: Money(fen: 12_345), .contributions("beijing"): Money(fen: 12_345)])
    }

    @Test func reversalMirrorsEveryLineAndNamesTheOriginal() {
        let entry = JournalEntry.contribution(from: "tianjin", amount: Money(fen: 700), valueDate: date, memo: "x")
        let reversal = entry.reversal(of: 42, valueDate: date, memo: "wrong amount")
        #expect(reversal.kind == .reversal)
        #expect(reversal.reverses == 42)
        #expect(reversal.lines.map(\.side) == [.credit, .debit])
        #expect(reversal.balanceChanges == [.fundCash: Money(fen: -700), .contributions("tianjin"): Money(fen: -700)])
    }

    @Test func trialBalancePutsNetBalancesInTheirColumns() {
        let trial = TrialBalance(
            asOf: nil,
            balances: [
                AccountBalance(code: "fund:cash", kind: .asset, debits: Money(fen: 1000), credits: Money(fen: 300)),
                AccountBalance(
                    code: "contributions:beijing", kind: .revenue, debits: Money(fen: 300), credits: Money(fen: 1000)),
            ])
        #expect(trial.rows.map(\.code) == ["contributions:beijing", "fund:cash"])
        #expect(trial.rows[0].credit == Money(fen: 700))
        #expect(trial.rows[1].debit == Money(fen: 700))
        #expect(trial.totalDebit == trial.totalCredit)
        #expect(trial.isBalanced)
    }
}

@Suite struct AccountCodeTests {
    @Test(arguments: ["fund:cash", "contributions:beijing", "disbursements:chengde", "payable:zhangjiakou"])
    func roundTrips(text: String) {
        #expect(AccountCode(text)?.description == text)
    }

    @Test(arguments: ["fund:other", "contributions:", "contributions:Beijing", "cash", "payable:a", "x:beijing"])
    func refusesUnknownCodes(text: String) {
        #expect(AccountCode(text) == nil)
    }

    @Test func onlyCashAndPayablesMustStayNonNegative() {
        #expect(AccountCode.fundCash.isNonNegative)
        #expect(AccountCode.payable("chengde").isNonNegative)
        #expect(!AccountCode.contributions("beijing").isNonNegative)
        #expect(!AccountCode.disbursements("chengde").isNonNegative)
    }
}

@Suite struct RequestValidationTests {
    @Test func contributionNamesTheOffendingField() {
        func pointer(_ make: () throws -> ContributionRequest) -> String? {
            do {
                _ = try make()
                return nil
            } catch { return (error as? ValidationError)?.pointer }
        }
        #expect(
            pointer {
                try ContributionRequest(
                    contributor: "Beijing", amount: "1.00", currency: "CNY", valueDate: "2025-01-01", reference: "r",
                    memo: nil)
            } == "/contributor")
        #expect(
            pointer {
                try ContributionRequest(
                    contributor: "beijing", amount: "1.234", currency: "CNY", valueDate: "2025-01-01", reference: "r",
                    memo: nil)
            } == "/amount")
        #expect(
            pointer {
                try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "USD", valueDate: "2025-01-01", reference: "r",
                    memo: nil)
            } == "/currency")
        #expect(
            pointer {
                try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2025-02-30", reference: "r",
                    memo: nil)
            } == "/valueDate")
        #expect(
            pointer {
                try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2025-01-01", reference: " ",
                    memo: nil)
            } == "/reference")
        #expect(
            pointer {
                try ContributionRequest(
                    contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2025-01-01",
                    reference: "r\u{0}", memo: nil)
            } == "/reference")
    }

    @Test func financeTokensNeedAJurisdictionAndOthersMustNotHaveOne() {
        #expect(throws: ValidationError.self) {
            try TokenRequest(subject: "a", role: "finance", jurisdiction: nil, lifetimeDays: nil)
        }
        #expect(throws: ValidationError.self) {
            try TokenRequest(subject: "a", role: "auditor", jurisdiction: "beijing", lifetimeDays: nil)
        }
        #expect(throws: ValidationError.self) {
            try TokenRequest(subject: "a", role: "root", jurisdiction: nil, lifetimeDays: nil)
        }
        #expect(throws: ValidationError.self) {
            try TokenRequest(subject: "a b", role: "admin", jurisdiction: nil, lifetimeDays: nil)
        }
        #expect(throws: ValidationError.self) {
            try TokenRequest(subject: "a", role: "admin", jurisdiction: nil, lifetimeDays: 0)
        }
    }

    @Test func tokensAreRandomAndStoredOnlyAsHashes() {
        let first = BearerToken.generate()
        let second = BearerToken.generate()
        #expect(first.text != second.text)
        #expect(first.text.hasPrefix("efl_"))
        #expect(first.text.count == 4 + 43)
        #expect(BearerToken.hash(first.text).count == 32)
    }
}
