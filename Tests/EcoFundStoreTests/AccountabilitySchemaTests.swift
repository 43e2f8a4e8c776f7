import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// The accountability tables refuse, through raw SQL as the owner, what the service never does (Schema/015).
@Suite struct AccountabilitySchemaTests {
    static let openAccounts = [
        """
        INSERT INTO accounts (code, type, jurisdiction, non_negative)
        VALUES ('receivable:chengde', 'asset', 'chengde', true), ('disbursements:chengde', 'expense', 'chengde', false)
        ON CONFLICT DO NOTHING
        """
    ]

    static func recovery(_ fen: Int64, withRow: Bool) -> [String] {
        var statements = SchemaInvariantTests.entry(
            [("fund:cash", "debit", fen), ("receivable:chengde", "credit", fen)], kind: "recovery")
        if withRow {
            statements.append(
                """
                INSERT INTO recoveries (id, recipient, amount_fen, value_date, bank_reference, entry_id, recorded_by)
                SELECT '\(UUID())', 'chengde', \(fen), '2025-01-02', 'BANK-1', max(id),
                       \(DisbursementSchemaTests.user("demo-seed")) FROM journal_entries
                """)
        }
        return statements
    }

    /// A receivable never goes below zero, so no recovery returns more than is owed; and (a recovery entry's own row is
    /// checked at commit by recoveries_match and journal_entries_accountable).
    @Test func aRecoveryAboveTheReceivableIsRefused() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                #expect(try await SchemaInvariantTests.failure(owner, Self.openAccounts) == nil)
                // The balance CHECK (23514 on balance_not_negative), which the service reports as its own code.
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.recovery(100, withRow: true))
                        == StoreError.Code.fundInsufficient.rawValue)
            }
        }
    }

    /// A clawback exists only for a posted settlement run: one against a proposed allocation run is refused.
    @Test func aClawbackOutsideAPostedSettlementIsRefused() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let run = UUID()
                try await DisbursementSchemaTests.setUp(owner, runs: [(run, 600)])
                #expect(try await SchemaInvariantTests.failure(owner, Self.openAccounts) == nil)
                var statements = SchemaInvariantTests.entry(
                    [("receivable:chengde", "debit", 600), ("disbursements:chengde", "credit", 600)], kind: "clawback")
                statements.append(
                    """
                    INSERT INTO clawbacks (run_id, recipient, amount_fen, entry_id)
                    SELECT '\(run)', 'chengde', 600, max(id) FROM journal_entries
                    """)
                #expect(try await SchemaInvariantTests.failure(owner, statements) == "23000")
                // Nor can a run claim to be a settlement its rule is not.
                let claim = [
                    SchemaInvariantTests.audit,
                    """
                    INSERT INTO disbursement_runs (id, rule_code, rule_version, value_date, pool_fen, allocated_fen,
                                                   snapshot, allocation, proposed_by, kind, fiscal_year)
                    VALUES ('\(UUID())', 'raw', 1, '2026-01-01', 1, 0, '{}', '{"tranches":[]}',
                            \(DisbursementSchemaTests.user("demo-seed")), 'settlement', 2025)
                    """,
                ]
                #expect(try await SchemaInvariantTests.failure(owner, claim) == "23000")
            }
        }
    }
}
