import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// Schema/008 and 009 refuse, through raw SQL, what the services never do: a proposer confirming their own run's
/// payment, a user or token that moves money without a second admin's approval in the same transaction, a role
/// changed alone, a subject twice in another case, text with nothing visible, counts moved by hand.
@Suite struct MakerCheckerSchemaTests {
    static let audit = SchemaInvariantTests.audit
    static func user(_ subject: String) -> String { "(SELECT id FROM users WHERE subject = '\(subject)')" }

    /// Two admins and an auditor, made by the owner (as the command line makes the first admin).
    static func people(_ database: TestDatabase) async throws {
        for (subject, role) in [("first.admin", Role.admin), ("second.admin", .admin), ("raw.auditor", .auditor)] {
            _ = try await database.principal(role, subject: subject)
        }
    }

    @Test func aPaymentsConfirmerIsNeverItsRunsProposer() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let run = UUID()
                try await DisbursementSchemaTests.setUp(owner, runs: [(run, 600)])
                #expect(
                    try await SchemaInvariantTests.failure(owner, DisbursementSchemaTests.approve(run, by: "checker"))
                        == nil)
                let post =
                    [
                        Self.audit,
                        "INSERT INTO accounts (code, type, jurisdiction, non_negative) VALUES ('disbursements:chengde', 'expense', 'chengde', false), ('payable:chengde', 'liability', 'chengde', true)",
                    ]
                    + SchemaInvariantTests.entry(
                        [("disbursements:chengde", "debit", 600), ("payable:chengde", "credit", 600)],
                        kind: "disbursement")
                    + [
                        "UPDATE disbursement_runs SET status = 'posted', posted_entry_id = (SELECT max(id) FROM journal_entries) WHERE id = '\(run)'"
                    ]
                #expect(try await SchemaInvariantTests.failure(owner, post) == nil)
                func pay(by subject: String) -> [String] {
                    SchemaInvariantTests.entry(
                        [("payable:chengde", "debit", 600), ("fund:cash", "credit", 600)], kind: "payment")
                        + [
                            """
                            INSERT INTO disbursement_payments (run_id, recipient, amount_fen, bank_reference, entry_id, confirmed_by)
                            SELECT '\(run)', 'chengde', 600, 'FAKE-1', max(id), \(Self.user(subject)) FROM journal_entries
                            """
                        ]
                }
                // demo-seed proposed the run: even the owner cannot record its payment as demo-seed's.
                #expect(try await SchemaInvariantTests.failure(owner, pay(by: "demo-seed")) == "23514")
                #expect(try await SchemaInvariantTests.failure(owner, pay(by: "checker")) == nil)
            }
        }
    }

    @Test func theServiceRoleMakesNoMoneyMovingUserAlone() async throws {
        try await TestDatabase.with { database in
            try await Self.people(database)
            try await database.withApp { (app: Database) async throws in
                let alone = [
                    Self.audit,
                    "INSERT INTO users (id, subject, role, jurisdiction) VALUES ('\(UUID())', 'alone.finance', 'finance', 'beijing')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, alone) == "42501")
                // An auditor needs nobody's approval.
                let auditor = [
                    Self.audit, "INSERT INTO users (id, subject, role) VALUES ('\(UUID())', 'a.auditor', 'auditor')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, auditor) == nil)
                // The same, under a request the second admin approved in this transaction: allowed.
                let request = UUID()
                let approved = [
                    Self.audit,
                    """
                    INSERT INTO access_requests (id, kind, subject, role, jurisdiction, lifetime_days, requested_by)
                    VALUES ('\(request)', 'token', 'Alone.Finance', 'finance', 'beijing', 30, \(Self.user("first.admin")))
                    """,
                    "UPDATE access_requests SET status = 'approved', decided_by = \(Self.user("second.admin")) WHERE id = '\(request)'",
                    "INSERT INTO users (id, subject, role, jurisdiction) VALUES ('\(UUID())', 'alone.finance', 'finance', 'beijing')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, approved) == nil)
                // A request decided by the one who asked is refused.
                let own = UUID()
                let selfApproved = [
                    Self.audit,
                    """
                    INSERT INTO access_requests (id, kind, subject, role, lifetime_days, requested_by)
                    VALUES ('\(own)', 'token', 'self.approver', 'approver', 30, \(Self.user("first.admin")))
                    """,
                    "UPDATE access_requests SET status = 'approved', decided_by = \(Self.user("first.admin")) WHERE id = '\(own)'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, selfApproved) == "23514")
                // An approval of an earlier transaction allows nothing now.
                let earlier = UUID()
                let approvedEarlier = [
                    Self.audit,
                    """
                    INSERT INTO access_requests (id, kind, subject, role, jurisdiction, lifetime_days, requested_by)
                    VALUES ('\(earlier)', 'token', 'late.finance', 'finance', 'beijing', 30, \(Self.user("first.admin")))
                    """,
                    "UPDATE access_requests SET status = 'approved', decided_by = \(Self.user("second.admin")) WHERE id = '\(earlier)'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, approvedEarlier) == nil)
                let late = [
                    Self.audit,
                    "INSERT INTO users (id, subject, role, jurisdiction) VALUES ('\(UUID())', 'late.finance', 'finance', 'beijing')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, late) == "42501")
            }
        }
    }

    @Test func tokensAndRoleChangesOfMoneyMovingUsersNeedAnApproval() async throws {
        try await TestDatabase.with { database in
            try await Self.people(database)
            _ = try await database.principal(.finance, subject: "raw.finance", jurisdiction: "beijing")
            try await database.withApp { (app: Database) async throws in
                let token = [
                    Self.audit,
                    """
                    INSERT INTO tokens (id, user_id, token_hash, expires_at)
                    VALUES ('\(UUID())', \(Self.user("raw.finance")), decode(repeat('ab', 32), 'hex'), now() + interval '1 day')
                    """,
                ]
                #expect(try await SchemaInvariantTests.failure(app, token) == "42501")
                let promote = [
                    Self.audit, "UPDATE users SET role = 'admin', jurisdiction = NULL WHERE subject = 'raw.auditor'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, promote) == "42501")
                let rename = [Self.audit, "UPDATE users SET subject = 'someone.else' WHERE subject = 'raw.auditor'"]
                #expect(try await SchemaInvariantTests.failure(app, rename) == "42501")
                let request = UUID()
                let approvedChange = [
                    Self.audit,
                    "INSERT INTO access_requests (id, kind, subject, role, requested_by) VALUES ('\(request)', 'role', 'raw.auditor', 'assessor', \(Self.user("first.admin")))",
                    "UPDATE access_requests SET status = 'approved', decided_by = \(Self.user("second.admin")) WHERE id = '\(request)'",
                    "UPDATE users SET role = 'assessor' WHERE subject = 'raw.auditor'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, approvedChange) == nil)
                let decidedTwice = [
                    Self.audit,
                    "UPDATE access_requests SET status = 'rejected', reason = 'changed my mind', decided_by = \(Self.user("first.admin")) WHERE id = '\(request)'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, decidedTwice) == "42501")
            }
        }
    }

    @Test func subjectsCaseVisibleTextAndCountsAreTheSchemasToo() async throws {
        try await TestDatabase.with { database in
            try await Self.people(database)
            try await database.withOwner { (owner: Database) async throws in
                let twice = [
                    Self.audit, "INSERT INTO users (id, subject, role) VALUES ('\(UUID())', 'RAW.AUDITOR', 'auditor')",
                ]
                #expect(try await SchemaInvariantTests.failure(owner, twice) == "23505")
                let invisible = [Self.audit, "UPDATE jurisdictions SET name = E'\\u200B' WHERE code = 'hebei'"]
                #expect(try await SchemaInvariantTests.failure(owner, invisible) == "23514")
                let byHand = ["UPDATE journal_entry_counts SET entries = 7 WHERE kind = 'payment'"]
                #expect(try await SchemaInvariantTests.failure(owner, byHand) == "42501")
                // The counts follow the journal, entry by entry.
                let entry = SchemaInvariantTests.entry([
                    ("fund:cash", "debit", 5), ("contributions:beijing", "credit", 5),
                ])
                #expect(try await SchemaInvariantTests.failure(owner, entry + entry) == nil)
                let counted = try await owner.read { connection in
                    var counts: [String: Int64] = [:]
                    for try await (kind, entries, actual) in try await connection.query(
                        """
                        SELECT c.kind, c.entries, (SELECT count(*) FROM journal_entries e WHERE e.kind = c.kind)
                          FROM journal_entry_counts c
                        """, logger: owner.logger
                    ).decode((String, Int64, Int64).self) {
                        #expect(entries == actual, "\(kind)")
                        counts[kind] = entries
                    }
                    return counts
                }
                #expect(counted["contribution"] == 2)
            }
            try await database.withApp { (app: Database) async throws in
                #expect(
                    try await SchemaInvariantTests.failure(app, ["UPDATE journal_entry_counts SET entries = 0"])
                        == "42501")
            }
        }
    }
}
