/// An account's movements around a fiscal year: debits and credits before it began, and within it.
public struct AccountYear: Hashable, Sendable {
    public let account: AccountCode
    public let debitsBefore: Money
    public let creditsBefore: Money
    public let debitsInYear: Money
    public let creditsInYear: Money

    public init(
        account: AccountCode, debitsBefore: Money, creditsBefore: Money, debitsInYear: Money, creditsInYear: Money
    ) {
        self.account = account
        self.debitsBefore = debitsBefore
        self.creditsBefore = creditsBefore
        self.debitsInYear = debitsInYear
        self.creditsInYear = creditsInYear
    }

    /// The balance on the account's normal side at the year's start and end.
    public var opening: Money { AccountBalance(account, debitsBefore, creditsBefore).balance }
    public var closing: Money {
        AccountBalance(account, debitsBefore + debitsInYear, creditsBefore + creditsInYear).balance
    }
}

extension AccountBalance {
    public init(_ account: AccountCode, _ debits: Money, _ credits: Money) {
        self.init(code: account.description, kind: account.kind, debits: debits, credits: credits)
    }
}

/// The fund statement of a fiscal year (DESIGN.md "Accountability"): opening cash; receipts by contributor;
/// disbursements granted, clawed back and net by recipient and by province (a city's under its province); payments
/// made; recoveries; closing cash; payables and receivables outstanding; pledges against receipts. Every figure comes from the accounts' movements, so each
/// ties to the trial balance of the year's last day; ``cashTies`` checks the cash movement adds up.
public struct FundStatement: Hashable, Sendable {
    /// A contributor's money in the year: received, reversed (corrections) and the net.
    public struct Receipt: Hashable, Sendable {
        public let contributor: String
        public let received: Money
        public let reversed: Money
        public var net: Money { received - reversed }
    }

    /// What a recipient (or a province, its cities summed under it) was granted in the year, what was taken back
    /// from it, and the net.
    public struct Grant: Hashable, Sendable {
        public let recipient: String
        public let granted: Money
        public let clawedBack: Money
        public var net: Money { granted - clawedBack }
    }

    /// What a recipient owes back after clawbacks: clawed back and recovered in the year, and outstanding at its end.
    public struct Receivable: Hashable, Sendable {
        public let recipient: String
        public let opening: Money
        public let clawedBack: Money
        public let recovered: Money
        public let outstanding: Money
    }

    /// A contributor's pledge for the year and what it paid in the year.
    public struct Pledge: Hashable, Sendable {
        public let contributor: String
        public let pledged: Money
        public let received: Money
    }

    public let fiscalYear: Int
    public let openingCash: Money
    public let receipts: [Receipt]
    public let grants: [Grant]
    /// The grants summed per province; a province's own grant and its cities' together.
    public let provinces: [Grant]
    /// Payables settled in the year (money that left the fund's bank account for recipients).
    public let paymentsMade: Money
    public let closingCash: Money
    /// What recipients were granted and not yet paid, at the year's end.
    public let payablesOutstanding: Money
    /// Per recipient with a receivable account: clawed back, recovered, outstanding.
    public let receivables: [Receivable]
    public let pledges: [Pledge]

    /// What came off the receivables in the year: money recipients returned (into the bank account) and what was kept
    /// back from their later payments (offsets, which the bank therefore did not pay out, so cash still ties).
    public var recoveries: Money { receivables.reduce(.zero) { $0 + $1.recovered } }
    /// What recipients owe back at the year's end.
    public var receivablesOutstanding: Money { receivables.reduce(.zero) { $0 + $1.outstanding } }
    /// Clawed back by settlements in the year: Σ of the grants' clawbacks.
    public var clawedBack: Money { grants.reduce(.zero) { $0 + $1.clawedBack } }

    public var receiptsNet: Money { receipts.reduce(.zero) { $0 + $1.net } }
    public var grantsNet: Money { grants.reduce(.zero) { $0 + $1.net } }

    /// Opening cash + net receipts − payments + recoveries = closing cash: the statement explains every fen the bank
    /// account moved.
    public var cashTies: Bool { openingCash + receiptsNet - paymentsMade + recoveries == closingCash }

    /// - Parameters:
    ///   - accounts: every account's movements around the year.
    ///   - provinceOf: the province a jurisdiction belongs to (itself for a province); an unknown code is its own.
    ///   - pledged: each contributor's pledges for the year, summed.
    public init(
        fiscalYear: Int, accounts: [AccountYear], provinceOf: (String) -> String, pledged: [String: Money]
    ) {
        self.fiscalYear = fiscalYear
        var opening = Money.zero
        var closing = Money.zero
        var receipts: [Receipt] = []
        var grants: [Grant] = []
        var payments = Money.zero
        var payables = Money.zero
        var receivables: [Receivable] = []
        for year in accounts.sorted(by: { $0.account.description < $1.account.description }) {
            switch year.account {
            case .fundCash:
                opening = opening + year.opening
                closing = closing + year.closing
            case .contributions(let contributor):
                receipts.append(
                    Receipt(contributor: contributor, received: year.creditsInYear, reversed: year.debitsInYear))
            case .disbursements(let recipient):
                grants.append(Grant(recipient: recipient, granted: year.debitsInYear, clawedBack: year.creditsInYear))
            case .payable:
                payments = payments + year.debitsInYear
                payables = payables + year.closing
            case .receivable(let recipient):
                receivables.append(
                    Receivable(
                        recipient: recipient, opening: year.opening, clawedBack: year.debitsInYear,
                        recovered: year.creditsInYear, outstanding: year.closing))
            }
        }
        var byProvince: [String: (granted: Money, clawedBack: Money)] = [:]
        for grant in grants {
            let province = provinceOf(grant.recipient)
            let sum = byProvince[province] ?? (.zero, .zero)
            byProvince[province] = (sum.granted + grant.granted, sum.clawedBack + grant.clawedBack)
        }
        self.openingCash = opening
        self.closingCash = closing
        self.receipts = receipts
        self.grants = grants
        self.provinces = byProvince.sorted { $0.key < $1.key }.map { code, sum in
            Grant(recipient: code, granted: sum.granted, clawedBack: sum.clawedBack)
        }
        self.paymentsMade = payments
        self.payablesOutstanding = payables
        self.receivables = receivables
        let received = Dictionary(uniqueKeysWithValues: receipts.map { ($0.contributor, $0.net) })
        self.pledges = pledged.sorted { $0.key < $1.key }.map { contributor, amount in
            Pledge(contributor: contributor, pledged: amount, received: received[contributor] ?? .zero)
        }
    }
}
