import EcoFundCore
import Testing

@Suite struct MoneyTests {
    @Test(
        arguments: [
            ("0.01", 1), ("1.00", 100), ("30000000.00", 3_000_000_000), ("-5.00", -500), ("0.00", 0),
            ("10000000000000.00", 1_000_000_000_000_000),
        ] as [(String, Int64)])
    func parsesTwoDecimalStrings(text: String, fen: Int64) throws {
        let money = try Money(parsing: text, at: "/amount")
        #expect(money.fen == fen)
        #expect(money.decimalString == text)
    }

    @Test(arguments: ["1", "1.2", "1.234", "01.00", "1e3", "1.00 ", " 1.00", "+1.00", "", ".50", "1.", "١.٠٠", "1,00"])
    func refusesAnythingButTwoDecimals(text: String) {
        #expect(throws: ValidationError.self) { try Money(parsing: text, at: "/amount") }
    }

    @Test func refusesMoreThanTenToTheFifteenFen() throws {
        let error = #expect(throws: ValidationError.self) { try Money(parsing: "10000000000000.01", at: "/amount") }
        #expect(error?.code == .amountTooLarge)
        #expect(error?.pointer == "/amount")
        #expect(throws: ValidationError.self) { try Money(parsing: "99999999999999999.00", at: "/amount") }
    }

    @Test(arguments: ["0.00", "-5.00", "-0.01"])
    func positiveRefusesZeroAndNegative(text: String) {
        let error = #expect(throws: ValidationError.self) { try Money.positive(parsing: text, at: "/amount") }
        #expect(error?.code == .invalidAmount)
    }

    @Test func formatsSmallAndNegativeAmounts() {
        #expect(Money(fen: 5).decimalString == "0.05")
        #expect(Money(fen: -1205).decimalString == "-12.05")
        #expect(Money(fen: 0).decimalString == "0.00")
    }
}

@Suite struct CalendarDateTests {
    @Test(arguments: [
        "2025-02-30", "2025-13-01", "2025-00-10", "2025-1-01", "25-01-01", "2025-02-29", "1999-12-31", "2025/01/01",
        "2025-01-01T00:00:00Z",
    ])
    func refusesDaysThatDoNotExist(text: String) {
        #expect(throws: ValidationError.self) { try CalendarDate(parsing: text, at: "/valueDate") }
    }

    @Test(arguments: ["2024-02-29", "2000-02-29", "2025-12-31", "2025-03-15"])
    func acceptsRealDays(text: String) throws {
        #expect(try CalendarDate(parsing: text, at: "/valueDate").description == text)
    }

    @Test func ordersByDay() throws {
        #expect(try CalendarDate(parsing: "2025-03-15", at: "") < CalendarDate(parsing: "2025-11-02", at: ""))
    }
}
