import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// The schema refuses what the code must never do, even when the code is bypassed: raw SQL as the service role
/// and, where the invariant is a trigger, as the owner (a superuser) too.
@Suite struct SchemaInvariantTests {
    /// Runs raw SQL in one transaction and returns the SQLSTATE it failed with, or nil when it committed.
    static func failure(_ database: Database, _ statements: [String]) async throws -> String? {
        do {
            try await database.transaction { connection in
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: database.logger)
                }
            }
            return nil
        } catch let error as PSQLError {
            return error.sqlState ?? "\(error.code)"
        } catch let error as StoreError {
            return error.code.rawValue
        }
    }

    static let audit = "INSERT INTO audit_events (type, actor, payload) VALUES ('test.raw', 'test', '{}')"

    static func entry(_ lines: [(String, String, Int64)], kind: String = "contribution") -> [String] {
        var statements = [
            audit,
            "INSERT INTO journal_entries (kind, value_date, memo, recorded_by) VALUES ('\(kind)', '2025-01-02', 'raw', 'test')",
        ]
        for (number, (account, side, fen)) in lines.enumerated() {
            statements.append(
                """
                INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen)
                SELECT max(id), \(number + 1), '\(account)', '\(side)', \(fen) FROM journal_entries
                """)
        }
        return statements
    }

    @Test func aBalancedEntryCommitsAndMovesTheStoredBalances() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                #expect(
                    try await Self.failure(
                        app, Self.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)])) == nil
                )
                let cash = try await LedgerService(database: app).account(
                    "fund:cash", asOf: nil, by: try await database.principal(.auditor))
                #expect(cash.balance == Money(fen: 500))
                #expect(try await LedgerService(database: app).mismatchedBalances().isEmpty)
            }
        }
    }

    @Test func anUnbalancedEntryCannotCommitEvenThroughRawSQL() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            for asOwner in [false, true] {
                let pool = asOwner ? database.ownerURL : database.appURL
                try await Database.withPool(pool, logger: TestDatabase.logger) { (db: Database) async throws in
                    let unbalanced = Self.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 499)])
                    #expect(try await Self.failure(db, unbalanced) == "23000")
                    let oneLine = Self.entry([("fund:cash", "debit", 500)])
                    #expect(try await Self.failure(db, oneLine) == "23000")
                    let noLines = Self.entry([])
                    #expect(try await Self.failure(db, noLines) == "23000")
                    let zero = Self.entry([("fund:cash", "debit", 0), ("contributions:beijing", "credit", 0)])
                    #expect(try await Self.failure(db, zero) == "23514")
                }
            }
            try await database.withApp { (app: Database) async throws in
                let auditor = try await database.principal(.auditor)
                #expect(
                    try await LedgerService(database: app).account("fund:cash", asOf: nil, by: auditor).balance == .zero
                )
            }
        }
    }

    @Test func linesCannotBeAddedToAnEntryOfAnEarlierTransaction() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withOwner { (owner: Database) async throws in
                #expect(
                    try await Self.failure(
                        owner, Self.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)]))
                        == nil)
                let late = [
                    Self.audit,
                    "INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen) SELECT max(id), 3, 'fund:cash', 'debit', 100 FROM journal_entries",
                ]
                #expect(try await Self.failure(owner, late) == "23000")
            }
        }
    }

    @Test func journalTablesRefuseUpdateDeleteAndTruncateForEveryRole() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                #expect(
                    try await Self.failure(
                        app, Self.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)])) == nil
                )
                // The service role has no privilege to try.
                #expect(try await Self.failure(app, ["UPDATE journal_lines SET amount_fen = 1"]) == "42501")
                #expect(try await Self.failure(app, ["DELETE FROM journal_entries"]) == "42501")
                #expect(try await Self.failure(app, ["UPDATE account_balances SET balance_fen = 1"]) == "42501")
            }
            try await database.withOwner { (owner: Database) async throws in
                // The owner, a superuser, meets the triggers.
                for statement in [
                    "UPDATE journal_lines SET amount_fen = 1", "DELETE FROM journal_lines",
                    "UPDATE journal_entries SET memo = 'changed'", "DELETE FROM journal_entries",
                    "TRUNCATE journal_lines CASCADE", "TRUNCATE journal_entries CASCADE",
                    "UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events",
                    "UPDATE account_balances SET balance_fen = 1", "DELETE FROM account_balances",
                    "UPDATE accounts SET type = 'asset'",
                ] {
                    #expect(try await Self.failure(owner, [statement]) == "42501", "\(statement)")
                }
                #expect(try await LedgerService(database: owner).mismatchedBalances().isEmpty)
            }
        }
    }

    @Test func fundCashCannotBeOverdrawnThroughRawSQL() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withOwner { (owner: Database) async throws in
                #expect(
                    try await Self.failure(
                        owner, Self.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)]))
                        == nil)
                let overdraw = Self.entry(
                    [("contributions:beijing", "debit", 501), ("fund:cash", "credit", 501)], kind: "payment")
                // The CHECK on the stored balance refuses it; the store reports it as fund-insufficient.
                #expect(try await Self.failure(owner, overdraw) == "fund-insufficient")
                let exact = Self.entry(
                    [("contributions:beijing", "debit", 500), ("fund:cash", "credit", 500)], kind: "payment")
                #expect(try await Self.failure(owner, exact) == nil)
                let auditor = try await database.principal(.auditor)
                #expect(
                    try await LedgerService(database: owner).account("fund:cash", asOf: nil, by: auditor).balance
                        == .zero)
            }
        }
    }

    @Test func everyChangeNeedsAnAuditEventInTheSameTransaction() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                var unaudited = Self.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)])
                unaudited.removeFirst()
                #expect(try await Self.failure(app, unaudited) == "23000")
                let jurisdiction = "UPDATE jurisdictions SET population = 1 WHERE code = 'hebei'"
                #expect(try await Self.failure(app, [jurisdiction]) == "23000")
                #expect(try await Self.failure(app, [Self.audit, jurisdiction]) == nil)
            }
        }
    }

    @Test func theServiceRoleOwnsNothingAndCannotChangeTheSchema() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                #expect(try await Self.failure(app, ["CREATE TABLE sneaky (id int)"]) == "42501")
                #expect(try await Self.failure(app, ["ALTER TABLE journal_lines DISABLE TRIGGER ALL"]) == "42501")
                #expect(
                    try await Self.failure(app, ["DROP TRIGGER journal_lines_append_only ON journal_lines"]) == "42501")
                #expect(try await Self.failure(app, ["UPDATE contributions SET amount_fen = 1"]) == "42501")
                #expect(
                    try await Self.failure(app, ["UPDATE tokens SET expires_at = now() + interval '10 years'"])
                        == "42501")
                let owned = try await app.read { connection in
                    var count = 0
                    for try await n in try await connection.query(
                        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)",
                        logger: app.logger
                    ).decode(Int.self) { count = n }
                    return count
                }
                #expect(owned == 0)
            }
        }
    }
}

/// Rows that describe journal entries must match them, checked by the database (schema 005).
@Suite struct EntryConsistencyTests {
    static let user = "(SELECT id FROM users WHERE subject = 'demo-seed')"

    static func contribution(amountFen: Int64, contributor: String = "beijing") -> [String] {
        SchemaInvariantTests.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)]) + [
            """
            INSERT INTO contributions (id, contributor, amount_fen, value_date, reference, memo, entry_id, recorded_by)
            SELECT '\(UUID())', '\(contributor)', \(amountFen), '2025-01-02', 'r', '', max(id), \(user) FROM journal_entries
            """
        ]
    }

    @Test func aContributionMustMatchItsEntry() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                #expect(try await SchemaInvariantTests.failure(app, Self.contribution(amountFen: 500)) == nil)
                #expect(try await SchemaInvariantTests.failure(app, Self.contribution(amountFen: 501)) == "23000")
                #expect(
                    try await SchemaInvariantTests.failure(
                        app, Self.contribution(amountFen: 500, contributor: "tianjin")) == "23000")
            }
        }
    }

    @Test func aReversalMustMirrorTheEntryItNames() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                #expect(try await SchemaInvariantTests.failure(app, Self.contribution(amountFen: 500)) == nil)
                func reversal(_ lines: [(String, String, Int64)]) -> [String] {
                    SchemaInvariantTests.entry(lines, kind: "reversal").map {
                        $0.replacingOccurrences(
                            of: "VALUES ('reversal', '2025-01-02', 'raw', 'test')",
                            with: "SELECT 'reversal', '2025-01-02', 'raw', 'test', max(id) FROM journal_entries"
                        ).replacingOccurrences(
                            of: "(kind, value_date, memo, recorded_by)",
                            with: "(kind, value_date, memo, recorded_by, reverses)")
                    }
                }
                let partial = reversal([("contributions:beijing", "debit", 400), ("fund:cash", "credit", 400)])
                #expect(try await SchemaInvariantTests.failure(app, partial) == "23000")
                let mirror = reversal([("contributions:beijing", "debit", 500), ("fund:cash", "credit", 500)])
                #expect(try await SchemaInvariantTests.failure(app, mirror) == nil)
            }
        }
    }
}
