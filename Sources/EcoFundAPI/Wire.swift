import EcoFundCore
import EcoFundStore
import Foundation

/// Translations between the generated wire types and the domain types.
enum Wire {
    static func money(_ money: Money) -> Components.Schemas.Money {
        .init(amount: money.decimalString, currency: .cny)
    }

    static func date(_ text: String?, at parameter: String) throws(ValidationError) -> CalendarDate? {
        guard let text else { return nil }
        return try CalendarDate(parsing: text, at: parameter)
    }

    static func id(_ text: String) throws(StoreError) -> UUID {
        guard let id = UUID(uuidString: text) else { throw StoreError(.notFound, "no resource \(text)") }
        return id
    }

    static func jurisdiction(_ jurisdiction: Jurisdiction) -> Components.Schemas.Jurisdiction {
        .init(
            code: jurisdiction.code, name: jurisdiction.name, nameZh: jurisdiction.nameZh,
            level: level(jurisdiction.level), parent: jurisdiction.parent,
            population: jurisdiction.population.description, ecologicalArea: jurisdiction.ecologicalArea.description,
            envSpendingPerCapita: jurisdiction.envSpendingPerCapita.description)
    }

    static func jurisdiction(code: String, _ body: Components.Schemas.JurisdictionInput) throws(ValidationError)
        -> Jurisdiction
    {
        Jurisdiction(
            code: code, name: body.name, nameZh: body.nameZh, level: level(body.level),
            parent: body.parent, population: try ExactDecimal(parsing: body.population, at: "/population"),
            ecologicalArea: try ExactDecimal(parsing: body.ecologicalArea, at: "/ecologicalArea"),
            envSpendingPerCapita: try ExactDecimal(parsing: body.envSpendingPerCapita, at: "/envSpendingPerCapita"))
    }

    static func level(_ level: Jurisdiction.Level) -> Components.Schemas.Jurisdiction.LevelPayload {
        switch level {
        case .province: .province
        case .city: .city
        case .central: .central
        }
    }

    static func level(_ level: Components.Schemas.JurisdictionInput.LevelPayload) -> Jurisdiction.Level {
        switch level {
        case .province: .province
        case .city: .city
        case .central: .central
        }
    }

    static func accountType(_ kind: AccountCode.Kind) -> Components.Schemas.Account._TypePayload {
        switch kind {
        case .asset: .asset
        case .liability: .liability
        case .revenue: .revenue
        case .expense: .expense
        }
    }

    static func account(_ balance: AccountBalance, asOf: CalendarDate?) -> Components.Schemas.Account {
        .init(
            code: balance.code, _type: accountType(balance.kind), asOf: asOf?.description,
            balance: money(balance.balance), debits: money(balance.debits), credits: money(balance.credits))
    }

    static func contribution(_ contribution: Contribution) -> Components.Schemas.Contribution {
        .init(
            id: contribution.id.text, contributor: contribution.contributor,
            amount: contribution.amount.decimalString, currency: .cny, valueDate: contribution.valueDate.description,
            reference: contribution.reference, memo: contribution.memo, entryId: contribution.entryID,
            recordedBy: contribution.recordedBy, recordedAt: contribution.recordedAt,
            status: contribution.reversal == nil ? .recorded : .reversed,
            reversal: contribution.reversal.map {
                .init(entryId: $0.entryID, reason: $0.reason, reversedBy: $0.reversedBy, reversedAt: $0.reversedAt)
            })
    }

    static func commitment(_ commitment: Commitment) -> Components.Schemas.Commitment {
        .init(
            id: commitment.id.text, contributor: commitment.contributor,
            fiscalYear: commitment.fiscalYear, amount: commitment.amount.decimalString,
            fulfilled: commitment.fulfilled.decimalString, outstanding: commitment.outstanding.decimalString,
            currency: .cny, memo: commitment.memo, recordedBy: commitment.recordedBy, recordedAt: commitment.recordedAt)
    }

    static func trialBalance(_ trial: TrialBalance) -> Components.Schemas.TrialBalance {
        .init(
            asOf: trial.asOf?.description,
            rows: trial.rows.map {
                .init(
                    code: $0.code, _type: trialBalanceType($0.kind), debit: money($0.debit),
                    credit: money($0.credit))
            },
            totalDebit: money(trial.totalDebit), totalCredit: money(trial.totalCredit), balanced: trial.isBalanced)
    }

    static func token(_ token: IssuedToken) -> Components.Schemas.Token {
        .init(
            id: token.id.text, subject: token.subject, role: role(token.role),
            jurisdiction: token.jurisdiction, expiresAt: token.expiresAt, token: token.token)
    }

    static func fundStatement(_ statement: FundStatement) -> Components.Schemas.FundStatement {
        func grant(_ grant: FundStatement.Grant) -> Components.Schemas.FundStatementGrant {
            .init(
                recipient: grant.recipient, granted: money(grant.granted), clawedBack: money(grant.clawedBack),
                net: money(grant.net))
        }
        return .init(
            fiscalYear: statement.fiscalYear, from: "\(statement.fiscalYear)-01-01",
            to: "\(statement.fiscalYear)-12-31",
            openingCash: money(statement.openingCash),
            receipts: statement.receipts.map {
                .init(
                    contributor: $0.contributor, received: money($0.received), reversed: money($0.reversed),
                    net: money($0.net))
            },
            receiptsNet: money(statement.receiptsNet), grants: statement.grants.map(grant),
            provinces: statement.provinces.map(grant), grantsNet: money(statement.grantsNet),
            paymentsMade: money(statement.paymentsMade), closingCash: money(statement.closingCash),
            payablesOutstanding: money(statement.payablesOutstanding), clawedBack: money(statement.clawedBack),
            recoveries: money(statement.recoveries), receivablesOutstanding: money(statement.receivablesOutstanding),
            receivables: statement.receivables.map {
                .init(
                    recipient: $0.recipient, opening: money($0.opening), clawedBack: money($0.clawedBack),
                    recovered: money($0.recovered), outstanding: money($0.outstanding))
            },
            pledges: statement.pledges.map {
                .init(contributor: $0.contributor, pledged: money($0.pledged), received: money($0.received))
            },
            cashTies: statement.cashTies)
    }

    static func trialBalanceType(_ kind: AccountCode.Kind)
        -> Components.Schemas.TrialBalance.RowsPayloadPayload._TypePayload
    {
        switch kind {
        case .asset: .asset
        case .liability: .liability
        case .revenue: .revenue
        case .expense: .expense
        }
    }

    static func role(_ role: Role) -> Components.Schemas.Role {
        switch role {
        case .finance: .finance
        case .approver: .approver
        case .assessor: .assessor
        case .auditor: .auditor
        case .admin: .admin
        }
    }
}
