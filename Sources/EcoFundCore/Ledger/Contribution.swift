import Foundation

/// A contribution as a finance official sends it, checked field by field.
public struct ContributionRequest: Hashable, Sendable, Codable {
    public let contributor: String
    public let amount: Money
    public let valueDate: CalendarDate
    /// The bank's transfer reference, as printed on the statement.
    public let reference: String
    public let memo: String

    /// Validates the raw fields of a request body; each failure names its JSON pointer.
    public init(
        contributor: String, amount: String, currency: String, valueDate: String, reference: String,
        memo: String?
    ) throws(ValidationError) {
        // The checks live in `problems`; here the first of them is thrown, and the values they passed are kept.
        if let first = Self.problems(
            contributor: contributor, amount: amount, currency: currency, valueDate: valueDate, reference: reference,
            memo: memo
        ).first {
            throw first
        }
        self.contributor = contributor
        self.amount = try Money.positive(parsing: amount, at: "/amount")
        self.valueDate = try CalendarDate(parsing: valueDate, at: "/valueDate")
        self.reference = reference
        self.memo = memo ?? ""
    }

    /// Every field's problem at once, in field order, for a form that shows each beside its field; empty when the
    /// fields make a request. ``init(contributor:amount:currency:valueDate:reference:memo:)`` throws the first.
    public static func problems(
        contributor: String, amount: String, currency: String, valueDate: String, reference: String, memo: String?
    ) -> [ValidationError] {
        var problems: [ValidationError] = []
        do { try Jurisdiction.validateCode(contributor, at: "/contributor") } catch { problems.append(error) }
        do { try requireCNY(currency) } catch { problems.append(error) }
        do { _ = try Money.positive(parsing: amount, at: "/amount") } catch { problems.append(error) }
        do { _ = try CalendarDate(parsing: valueDate, at: "/valueDate") } catch { problems.append(error) }
        do { try Text.validate(reference, at: "/reference", lengthMax: 100) } catch { problems.append(error) }
        do { try Text.validate(memo ?? "", at: "/memo", lengthMax: 500, allowEmpty: true) } catch {
            problems.append(error)
        }
        return problems
    }

    static func requireCNY(_ currency: String) throws(ValidationError) {
        guard currency == Money.currency else {
            throw ValidationError(.invalidValue, at: "/currency", "must be \"CNY\"")
        }
    }
}

/// A recorded contribution and, once reversed, its reversal.
public struct Contribution: Hashable, Sendable, Codable {
    public struct Reversal: Hashable, Sendable, Codable {
        public let entryID: Int64
        public let reason: String
        public let reversedBy: String
        public let reversedAt: Date

        public init(entryID: Int64, reason: String, reversedBy: String, reversedAt: Date) {
            self.entryID = entryID
            self.reason = reason
            self.reversedBy = reversedBy
            self.reversedAt = reversedAt
        }
    }

    public let id: UUID
    public let contributor: String
    public let amount: Money
    public let valueDate: CalendarDate
    public let reference: String
    public let memo: String
    public let entryID: Int64
    public let recordedBy: String
    public let recordedAt: Date
    public let reversal: Reversal?

    public init(
        id: UUID, contributor: String, amount: Money, valueDate: CalendarDate, reference: String, memo: String,
        entryID: Int64, recordedBy: String, recordedAt: Date, reversal: Reversal?
    ) {
        self.id = id
        self.contributor = contributor
        self.amount = amount
        self.valueDate = valueDate
        self.reference = reference
        self.memo = memo
        self.entryID = entryID
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.reversal = reversal
    }
}

/// A reversal as sent: the reason is required, the value date defaults to today.
public struct ReversalRequest: Hashable, Sendable, Codable {
    public let reason: String
    public let valueDate: CalendarDate?

    public init(reason: String, valueDate: String?) throws(ValidationError) {
        try Text.validate(reason, at: "/reason", lengthMax: 500)
        self.reason = reason
        self.valueDate = try valueDate.map { (text) throws(ValidationError) in
            try CalendarDate(parsing: text, at: "/valueDate")
        }
    }
}

/// A pledge by a contributor for one fiscal year (a calendar year).
public struct CommitmentRequest: Hashable, Sendable, Codable {
    public let contributor: String
    public let fiscalYear: Int
    public let amount: Money
    public let memo: String

    public init(contributor: String, fiscalYear: Int, amount: String, currency: String, memo: String?)
        throws(ValidationError)
    {
        try Jurisdiction.validateCode(contributor, at: "/contributor")
        try CalendarDate.validateFiscalYear(fiscalYear, at: "/fiscalYear")
        try ContributionRequest.requireCNY(currency)
        try Text.validate(memo ?? "", at: "/memo", lengthMax: 500, allowEmpty: true)
        self.contributor = contributor
        self.fiscalYear = fiscalYear
        self.amount = try Money.positive(parsing: amount, at: "/amount")
        self.memo = memo ?? ""
    }
}

/// A pledge and how far the contributor has paid it: fulfilled is the sum of its contributions (net of
/// reversals) with a value date in the fiscal year; outstanding is what is left, never below zero.
public struct Commitment: Hashable, Sendable, Codable {
    public let id: UUID
    public let contributor: String
    public let fiscalYear: Int
    public let amount: Money
    public let fulfilled: Money
    public let memo: String
    public let recordedBy: String
    public let recordedAt: Date

    public var outstanding: Money { fulfilled >= amount ? .zero : amount - fulfilled }

    public init(
        id: UUID, contributor: String, fiscalYear: Int, amount: Money, fulfilled: Money, memo: String,
        recordedBy: String, recordedAt: Date
    ) {
        self.id = id
        self.contributor = contributor
        self.fiscalYear = fiscalYear
        self.amount = amount
        self.fulfilled = fulfilled
        self.memo = memo
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}
