import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// The run tables refuse, through raw SQL as the owner, what the service never does.
@Suite struct DisbursementSchemaTests {
    static let audit = SchemaInvariantTests.audit
    static func user(_ subject: String) -> String { "(SELECT id FROM users WHERE subject = '\(subject)')" }

    /// Funds 1000 fen, publishes a rule and proposes run `id` of `allocated` fen by demo-seed.
    static func setUp(_ owner: Database, runs: [(UUID, Int64)]) async throws {
        var statements = SchemaInvariantTests.entry([
            ("fund:cash", "debit", 1000), ("contributions:beijing", "credit", 1000),
        ])
        statements += [
            "INSERT INTO users (id, subject, role) VALUES ('\(UUID())', 'checker', 'approver')",
            """
            INSERT INTO allocation_rules (code, version, title, document, published_by)
            VALUES ('raw', 1, 'Raw', '{"code":"raw"}', \(user("demo-seed")))
            """,
        ]
        for (id, allocated) in runs {
            statements += [
                """
                INSERT INTO disbursement_runs (id, rule_code, rule_version, value_date, pool_fen, allocated_fen, snapshot,
                                               allocation, proposed_by)
                VALUES ('\(id)', 'raw', 1, '2026-01-01', \(allocated), \(allocated), '{}', '{}', \(user("demo-seed")))
                """,
                """
                INSERT INTO disbursement_allocations (run_id, recipient, tranche, amount_fen, withheld, derivation)
                VALUES ('\(id)', 'chengde', 'all', \(allocated), false, '{}')
                """,
            ]
        }
        #expect(try await SchemaInvariantTests.failure(owner, statements) == nil)
    }

    static func approve(_ id: UUID, by subject: String) -> [String] {
        [
            audit,
            "UPDATE disbursement_runs SET status = 'approved', approved_by = \(user(subject)), approved_at = now() WHERE id = '\(id)'",
        ]
    }

    @Test func makerCheckerLifecycleAndImmutability() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let run = UUID()
                try await Self.setUp(owner, runs: [(run, 600)])
                #expect(try await SchemaInvariantTests.failure(owner, Self.approve(run, by: "demo-seed")) == "23514")
                let jump = [Self.audit, "UPDATE disbursement_runs SET status = 'paid' WHERE id = '\(run)'"]
                #expect(try await SchemaInvariantTests.failure(owner, jump) == "55000")
                let rewrite = [Self.audit, "UPDATE disbursement_runs SET allocated_fen = 1 WHERE id = '\(run)'"]
                #expect(try await SchemaInvariantTests.failure(owner, rewrite) == "42501")
                #expect(
                    try await SchemaInvariantTests.failure(
                        owner, ["UPDATE disbursement_allocations SET amount_fen = 1"]) == "42501")
                let late = [
                    Self.audit,
                    "INSERT INTO disbursement_allocations VALUES ('\(run)', 'tangshan', 'all', 5, false, '{}')",
                ]
                #expect(try await SchemaInvariantTests.failure(owner, late) == "23000")
                #expect(try await SchemaInvariantTests.failure(owner, Self.approve(run, by: "checker")) == nil)
                let payEarly = [
                    Self.audit,
                    "INSERT INTO journal_entries (kind, value_date, memo, recorded_by) VALUES ('payment', '2026-01-02', 'x', 'x')",
                    """
                    INSERT INTO disbursement_payments (run_id, recipient, amount_fen, bank_reference, entry_id, confirmed_by)
                    SELECT '\(run)', 'chengde', 600, 'B', max(id), \(Self.user("checker")) FROM journal_entries
                    """,
                ]
                #expect(try await SchemaInvariantTests.failure(owner, payEarly) == "23000")
            }
        }
    }

    @Test func approvalsThatTheFundCannotCoverAreRefused() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let (first, second) = (UUID(), UUID())
                try await Self.setUp(owner, runs: [(first, 600), (second, 600)])
                #expect(try await SchemaInvariantTests.failure(owner, Self.approve(first, by: "checker")) == nil)
                // 1000 in cash, 600 already committed to the first run: the second does not fit.
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.approve(second, by: "checker"))
                        == "fund-insufficient")
                // Nor may payables be created beyond the cash by a raw entry.
                let payable =
                    [
                        Self.audit,
                        "INSERT INTO accounts (code, type, jurisdiction, non_negative) VALUES ('disbursements:tangshan', 'expense', 'tangshan', false), ('payable:tangshan', 'liability', 'tangshan', true)",
                    ]
                    + SchemaInvariantTests.entry(
                        [("disbursements:tangshan", "debit", 500), ("payable:tangshan", "credit", 500)],
                        kind: "disbursement")
                #expect(try await SchemaInvariantTests.failure(owner, payable) == "fund-insufficient")
            }
        }
    }
}
