import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// The auditors' reads of the journal: pages that neither skip nor repeat an entry under every filter, and an
/// account's ledger whose running balance, carried across pages, starts at the balance before the range and ends
/// at its closing balance.
@Suite struct JournalReadsTests {
    /// Seven contributions over three months from Beijing and Tianjin, and one of them reversed.
    static func books(_ ledger: LedgerService, _ database: TestDatabase) async throws {
        let beijing = try await database.principal(.finance, jurisdiction: "beijing")
        let tianjin = try await database.principal(.finance, jurisdiction: "tianjin")
        let rows: [(String, String, String)] = [
            ("beijing", "100.00", "2025-01-10"), ("tianjin", "20.00", "2025-01-10"), ("beijing", "3.50", "2025-02-01"),
            ("beijing", "40.00", "2025-02-15"), ("tianjin", "5.00", "2025-03-01"), ("beijing", "600.00", "2025-03-02"),
            ("tianjin", "7.25", "2025-03-31"),
        ]
        var ids: [UUID] = []
        for (index, (contributor, amount, date)) in rows.enumerated() {
            let request = try ContributionRequest(
                contributor: contributor, amount: amount, currency: "CNY", valueDate: date, reference: "J-\(index)",
                memo: nil)
            ids.append(
                try await ledger.recordContribution(
                    request, by: contributor == "beijing" ? beijing : tianjin,
                    idempotencyKey: try IdempotencyKey("j-\(index)")
                ).value.id)
        }
        _ = try await ledger.reverseContribution(
            id: ids[3], try ReversalRequest(reason: "entered twice", valueDate: "2025-02-20"), by: beijing,
            idempotencyKey: try IdempotencyKey("j-undo"))
    }

    /// Every page of the journal under `filter`, the cursor followed.
    static func all(_ ledger: LedgerService, by auditor: Principal, _ make: (String?) throws -> JournalFilter)
        async throws -> [JournalRecord]
    {
        var records: [JournalRecord] = []
        var cursor: String?
        repeat {
            let page = try await ledger.journal(try make(cursor), by: auditor)
            records += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return records
    }

    @Test func journalPagesNeitherSkipNorRepeatUnderEveryFilter() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                let ledger = LedgerService(database: app)
                try await Self.books(ledger, database)
                let auditor = try await database.principal(.auditor)
                let everything = try await Self.all(ledger, by: auditor) { try JournalFilter(cursor: $0, limit: 3) }
                #expect(everything.map(\.entry.id) == Array((1...8).reversed()), "newest first, each once")
                #expect(everything.allSatisfy { $0.entry.entry.lines.count == 2 && !$0.events.isEmpty })
                #expect(everything.first?.events.first?.event.type == "contribution.reversed")

                let tianjin = try await Self.all(ledger, by: auditor) {
                    try JournalFilter(account: "contributions:tianjin", cursor: $0, limit: 2)
                }
                #expect(tianjin.map(\.entry.id) == [7, 5, 2])
                let tianjinEarly = try await Self.all(ledger, by: auditor) {
                    try JournalFilter(
                        account: "contributions:tianjin", from: try CalendarDate(parsing: "2025-01-01", at: ""),
                        to: try CalendarDate(parsing: "2025-03-01", at: ""), cursor: $0, limit: 1)
                }
                #expect(tianjinEarly.map(\.entry.id) == [5, 2], "an account within a range of value dates")
                let reversals = try await Self.all(ledger, by: auditor) {
                    try JournalFilter(kind: "reversal", cursor: $0, limit: 2)
                }
                #expect(reversals.map(\.entry.id) == [8])
                let february = try await Self.all(ledger, by: auditor) {
                    try JournalFilter(
                        from: try CalendarDate(parsing: "2025-02-01", at: ""),
                        to: try CalendarDate(parsing: "2025-02-28", at: ""), cursor: $0, limit: 1)
                }
                #expect(
                    february.map(\.entry.id) == [8, 4, 3], "the bounded range is read by value date, still newest first"
                )
                let cash = try await Self.all(ledger, by: auditor) {
                    try JournalFilter(account: "fund:cash", kind: "contribution", cursor: $0, limit: 4)
                }
                #expect(cash.map(\.entry.id) == Array((1...7).reversed()))
            }
        }
    }

    @Test func theLedgerCarriesItsRunningBalanceAcrossPages() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                let ledger = LedgerService(database: app)
                try await Self.books(ledger, database)
                let auditor = try await database.principal(.auditor)
                let from = try CalendarDate(parsing: "2025-02-01", at: "")
                let to = try CalendarDate(parsing: "2025-03-31", at: "")
                var lines: [AccountLedger.Line] = []
                var cursor: String?
                var opening: Money?
                var closing: Money?
                repeat {
                    let page = try await ledger.accountLedger(
                        "fund:cash", from: from, to: to, cursor: cursor, limit: 2, by: auditor)
                    lines += page.lines
                    opening = opening ?? page.opening
                    closing = page.closing
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(opening == Money(fen: 12_000), "before February: the two January contributions")
                #expect(lines.map(\.amount.fen) == [350, 4_000, 4_000, 500, 60_000, 725])
                #expect(lines[2].side == .credit, "the reversal of 20 February takes cash out")
                var running = opening ?? .zero
                for line in lines {
                    running = running + (line.side == .debit ? line.amount : .zero - line.amount)
                    #expect(line.balance == running, "entry \(line.entryID)")
                }
                #expect(lines.last?.balance == closing)
                #expect(
                    closing == (try await ledger.account("fund:cash", asOf: to, by: auditor)).balance,
                    "the closing balance is the balance as of the range's end")
                // A revenue account's balance grows with credits.
                let beijing = try await ledger.accountLedger(
                    "contributions:beijing", from: from, to: to, by: auditor)
                #expect(beijing.opening == Money(fen: 10_000) && beijing.closing == Money(fen: 70_350))

                await #expect(throws: ValidationError.self) {
                    _ = try await ledger.accountLedger(
                        "fund:cash", from: from, to: to, cursor: Cursor.encode(entryID: 3), by: auditor)
                }
                await #expect(throws: ValidationError.self) {
                    _ = try await ledger.accountLedger("fund:cash", from: to, to: from, by: auditor)
                }
                await #expect(throws: StoreError.self) {
                    _ = try await ledger.accountLedger("fund:nothing", from: from, to: to, by: auditor)
                }
                #expect(throws: ValidationError.self) { _ = try JournalFilter(account: "cash") }
                #expect(throws: ValidationError.self) { _ = try JournalFilter(kind: "gift") }
            }
        }
    }
}
