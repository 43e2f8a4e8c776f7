import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// Targets, readings and settlements refused through raw SQL as the owner, the code bypassed (Schema/015).
@Suite struct MeasureAndSettlementSchemaTests {
    static let user = AssessmentSchemaTests.user
    static let openPeriod =
        AssessmentSchemaTests.scheme(code: "ok", weights: ["0.5", "0.5"]) + AssessmentSchemaTests.period

    static func targets(_ map: String, revision: Int = 1, reason: String? = nil) -> [String] {
        [
            SchemaInvariantTests.audit,
            """
            INSERT INTO assessment_targets (period_code, jurisdiction, revision, targets, reason, recorded_by)
            VALUES ('2025', 'chengde', \(revision), '\(map)', \(reason.map { "'\($0)'" } ?? "NULL"), \(user))
            """,
        ]
    }

    static func reading(month: String, values: String = #"{"i0":"4"}"#) -> [String] {
        [
            SchemaInvariantTests.audit,
            """
            INSERT INTO assessment_readings (period_code, jurisdiction, month, revision, "values", recorded_by)
            VALUES ('2025', 'chengde', '\(month)', 1, '\(values)', \(user))
            """,
        ]
    }

    @Test func targetsNameTheSchemesIndicatorsAsTheNextRevision() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                #expect(try await SchemaInvariantTests.failure(owner, Self.openPeriod) == nil)
                let unknown = Self.targets(#"{"ozone":{"value":"5","binding":true}}"#)
                #expect(try await SchemaInvariantTests.failure(owner, unknown) == "23514")
                let notADecimal = Self.targets(#"{"i0":{"value":"five","binding":true}}"#)
                #expect(try await SchemaInvariantTests.failure(owner, notADecimal) == "23514")
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.targets(#"{"i0":{"value":"5","binding":true}}"#))
                        == nil)
                let skipped = Self.targets(#"{"i0":{"value":"6","binding":true}}"#, revision: 3, reason: "skip")
                #expect(try await SchemaInvariantTests.failure(owner, skipped) == "23505")
                let unexplained = Self.targets(#"{"i0":{"value":"6","binding":true}}"#, revision: 2)
                #expect(try await SchemaInvariantTests.failure(owner, unexplained) == "23514")
                #expect(try await database.count("assessment_targets") == 1)
            }
        }
    }

    @Test func readingsLieInThePeriodsYearAndItsScheme() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                #expect(try await SchemaInvariantTests.failure(owner, Self.openPeriod) == nil)
                for month in ["2024-07", "2025-13", "2025-7"] {
                    #expect(
                        try await SchemaInvariantTests.failure(owner, Self.reading(month: month)) == "23514", "\(month)"
                    )
                }
                let unknown = Self.reading(month: "2025-07", values: #"{"ozone":"4"}"#)
                #expect(try await SchemaInvariantTests.failure(owner, unknown) == "23514")
                #expect(try await SchemaInvariantTests.failure(owner, Self.reading(month: "2025-07")) == nil)
                #expect(try await database.count("assessment_readings") == 1)
            }
        }
    }

    /// The rules `adv` (advance for 2025) and `set` (its settlement), and a settlement run of 1000 fen to Chengde whose
    /// snapshot says `advanced` fen were already granted.
    static func settlement(advanced: Int64, granted: Int64) -> [String] {
        let run = UUID()
        return [
            SchemaInvariantTests.audit,
            """
            INSERT INTO allocation_rules (code, version, title, document, published_by) VALUES
              ('adv', 1, 'Advance', '{"code":"adv","kind":"advance","fiscalYear":2025}', \(user)),
              ('set', 1, 'Settlement', '{"code":"set","kind":"settlement","fiscalYear":2025,"settles":"adv"}', \(user))
            ON CONFLICT DO NOTHING
            """,
            """
            INSERT INTO disbursement_runs (id, rule_code, rule_version, value_date, pool_fen, allocated_fen, snapshot,
                                           allocation, proposed_by, kind, fiscal_year)
            VALUES ('\(run)', 'set', 1, '2026-03-31', 1000, \(granted),
                    '{"inputs":{"advances":{"chengde":{"amount":{"fen":\(advanced)},"runs":[]}}}}',
                    '{"tranches":[{"name":"all","amount":{"fen":1000},"retained":false}]}', \(user), 'settlement', 2025)
            """,
            """
            INSERT INTO disbursement_allocations (run_id, recipient, tranche, amount_fen, withheld, derivation)
            VALUES ('\(run)', 'chengde', 'all', \(granted), false, '{}')
            """,
        ]
    }

    /// A settlement's a_r are the posted advances' grants, and Σ(a_r + s_r) is its tranches less retained: a snapshot
    /// claiming an advance no posted run paid is refused, and so is one settling while an advance run is in flight.
    @Test func aSettlementMustSettleWhatThePostedAdvancesGranted() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                // No advance was posted: claiming 400 fen advanced (and granting the other 600) is refused.
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.settlement(advanced: 400, granted: 600))
                        == "23000")
                // Nothing advanced, but the grant short of the tranche: Σ(a + s) is not the tranche.
                let short = Self.settlement(advanced: 0, granted: 900).map {
                    $0.replacingOccurrences(of: #"{"chengde":{"amount":{"fen":0},"runs":[]}}"#, with: "{}")
                }
                #expect(try await SchemaInvariantTests.failure(owner, short) == "23000")
                // An advance run still proposed: nothing can be settled against it.
                let inFlight = [
                    SchemaInvariantTests.audit,
                    """
                    INSERT INTO allocation_rules (code, version, title, document, published_by) VALUES
                      ('adv', 1, 'Advance', '{"code":"adv","kind":"advance","fiscalYear":2025}', \(Self.user))
                    """,
                    """
                    INSERT INTO disbursement_runs (id, rule_code, rule_version, value_date, pool_fen, allocated_fen,
                                                   snapshot, allocation, proposed_by, kind, fiscal_year)
                    VALUES ('\(UUID())', 'adv', 1, '2025-04-15', 1, 0, '{}', '{"tranches":[]}', \(Self.user), 'advance', 2025)
                    """,
                ]
                #expect(try await SchemaInvariantTests.failure(owner, inFlight) == nil)
                let fair = Self.settlement(advanced: 0, granted: 1000).map {
                    $0.replacingOccurrences(of: #"{"chengde":{"amount":{"fen":0},"runs":[]}}"#, with: "{}")
                }
                #expect(try await SchemaInvariantTests.failure(owner, fair) == "55000")
                #expect(try await database.count("disbursement_runs WHERE kind = 'settlement'") == 0)
            }
        }
    }

    /// Once a year's settlement has begun, no advance of the rule it settles may be proposed for that year: it would
    /// never be settled.
    @Test func noAdvanceForAYearBeingSettled() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let nothingAdvanced = Self.settlement(advanced: 0, granted: 1000).map {
                    $0.replacingOccurrences(of: #"{"chengde":{"amount":{"fen":0},"runs":[]}}"#, with: "{}")
                }
                let advanceRule = """
                    INSERT INTO allocation_rules (code, version, title, document, published_by) VALUES
                      ('adv', 1, 'Advance', '{"code":"adv","kind":"advance","fiscalYear":2025}', \(Self.user))
                    """
                #expect(try await SchemaInvariantTests.failure(owner, [advanceRule] + nothingAdvanced) == nil)
                let late = [
                    SchemaInvariantTests.audit,
                    """
                    INSERT INTO disbursement_runs (id, rule_code, rule_version, value_date, pool_fen, allocated_fen,
                                                   snapshot, allocation, proposed_by, kind, fiscal_year)
                    VALUES ('\(UUID())', 'adv', 1, '2026-04-15', 1, 0, '{}', '{"tranches":[]}', \(Self.user), 'advance', 2025)
                    """,
                ]
                #expect(try await SchemaInvariantTests.failure(owner, late) == "55000")
                #expect(try await database.count("disbursement_runs WHERE kind = 'advance'") == 0)
            }
        }
    }

    /// A payment's entry is exactly Dr payable of the amount, Cr fund:cash of what the bank paid and Cr receivable of
    /// the offset: an offset recorded on a payment whose entry took it all from cash is refused.
    @Test func aPaymentsOffsetIsItsEntrysReceivableLine() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let run = UUID()
                try await DisbursementSchemaTests.setUp(owner, runs: [(run, 600)])
                let checker = DisbursementSchemaTests.user("checker")
                #expect(
                    try await SchemaInvariantTests.failure(owner, DisbursementSchemaTests.approve(run, by: "checker"))
                        == nil)
                let post =
                    AccountabilitySchemaTests.openAccounts
                    + [
                        "INSERT INTO accounts VALUES ('payable:chengde', 'liability', 'chengde', true) ON CONFLICT DO NOTHING"
                    ]
                    + SchemaInvariantTests.entry(
                        [("disbursements:chengde", "debit", 600), ("payable:chengde", "credit", 600)],
                        kind: "disbursement")
                    + [
                        """
                        UPDATE disbursement_runs SET status = 'posted',
                               posted_entry_id = (SELECT max(id) FROM journal_entries) WHERE id = '\(run)'
                        """
                    ]
                #expect(try await SchemaInvariantTests.failure(owner, post) == nil)
                func payment(_ lines: [(String, String, Int64)], offset: Int64) -> [String] {
                    SchemaInvariantTests.entry(lines, kind: "payment") + [
                        """
                        INSERT INTO disbursement_payments (run_id, recipient, amount_fen, offset_fen, bank_reference,
                                                           entry_id, confirmed_by)
                        SELECT '\(run)', 'chengde', 600, \(offset), 'B', max(id), \(checker) FROM journal_entries
                        """
                    ]
                }
                let fromCash = payment([("payable:chengde", "debit", 600), ("fund:cash", "credit", 600)], offset: 100)
                #expect(try await SchemaInvariantTests.failure(owner, fromCash) == "23000")
                let tooMuch = payment([("payable:chengde", "debit", 600), ("fund:cash", "credit", 600)], offset: 700)
                #expect(try await SchemaInvariantTests.failure(owner, tooMuch) == "23514")
                let plain = payment([("payable:chengde", "debit", 600), ("fund:cash", "credit", 600)], offset: 0)
                #expect(try await SchemaInvariantTests.failure(owner, plain) == nil)
            }
        }
    }
}
