import Foundation

/// Money a recipient returns against what a settlement clawed back from it, as sent.
public struct RecoveryRequest: Hashable, Sendable, Codable {
    public let recipient: String
    public let amount: Money
    public let valueDate: CalendarDate
    /// The bank's transfer reference of the returned money.
    public let bankReference: String

    /// Validates the raw fields; each failure names its JSON pointer.
    public init(recipient: String, amount: String, valueDate: String, bankReference: String)
        throws(ValidationError)
    {
        if let first = Self.problems(
            recipient: recipient, amount: amount, valueDate: valueDate, bankReference: bankReference
        ).first {
            throw first
        }
        self.recipient = recipient
        self.amount = try Money.positive(parsing: amount, at: "/amount")
        self.valueDate = try CalendarDate(parsing: valueDate, at: "/valueDate")
        self.bankReference = bankReference
    }

    /// Every field's problem at once, in field order, for a form that shows each beside its field.
    public static func problems(recipient: String, amount: String, valueDate: String, bankReference: String)
        -> [ValidationError]
    {
        var problems: [ValidationError] = []
        do { try Jurisdiction.validateCode(recipient, at: "/recipient") } catch { problems.append(error) }
        do { _ = try Money.positive(parsing: amount, at: "/amount") } catch { problems.append(error) }
        do { _ = try CalendarDate(parsing: valueDate, at: "/valueDate") } catch { problems.append(error) }
        do { try Text.validate(bankReference, at: "/bankReference", lengthMax: 100) } catch { problems.append(error) }
        return problems
    }

    /// Refuses a recovery above what the recipient owes (`owed` nil: it never owed anything).
    public func check(owed: Money?) throws(ValidationError) {
        guard let owed, owed.fen > 0 else {
            throw ValidationError(
                .invalidValue, at: "/recipient", "\(recipient) owes the fund nothing: no settlement clawed back from it"
            )
        }
        guard amount <= owed else {
            throw ValidationError(
                .invalidValue, at: "/amount",
                "\(amount.decimalString) is more than the \(owed.decimalString) \(recipient) owes the fund")
        }
    }
}

/// A recovery recorded: Dr `fund:cash` / Cr `receivable:{r}`.
public struct Recovery: Hashable, Sendable, Codable {
    public let id: UUID
    public let recipient: String
    public let amount: Money
    public let valueDate: CalendarDate
    public let bankReference: String
    public let entryID: Int64
    public let recordedBy: String
    public let recordedAt: Date

    public init(
        id: UUID, recipient: String, amount: Money, valueDate: CalendarDate, bankReference: String, entryID: Int64,
        recordedBy: String, recordedAt: Date
    ) {
        self.id = id
        self.recipient = recipient
        self.amount = amount
        self.valueDate = valueDate
        self.bankReference = bankReference
        self.entryID = entryID
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}

/// A recipient's receivable: what settlements clawed back, what came off it (money returned, or kept back from a later
/// payment), what it still owes.
public struct Receivable: Hashable, Sendable, Codable {
    public let recipient: String
    public let clawedBack: Money
    public let recovered: Money

    public init(recipient: String, clawedBack: Money, recovered: Money) {
        self.recipient = recipient
        self.clawedBack = clawedBack
        self.recovered = recovered
    }

    public var outstanding: Money { clawedBack - recovered }
}
