import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// Schema/018: once one transaction holds many writes (the commit queue's items), the rules that were per
/// transaction hold per item, even when the code is bypassed — one item's audit event never covers another item's
/// change, and no item adds lines to another's entry. Schema/019: contributions written many to one call of
/// `record_contributions` are each such an item.
@Suite struct GroupCommitSchemaTests {
    static let balancedLines = Array(
        SchemaInvariantTests.entry([("fund:cash", "debit", 500), ("contributions:beijing", "credit", 500)]).dropFirst())
    static func item(_ number: Int) -> [String] {
        ["SAVEPOINT write", "SELECT set_config('ecofund.item', '\(number)', true)"]
    }
    // As a DO block, which returns no rows: a refusal is then the statement's own error, not one left in unread rows.
    static let end = ["DO $$ BEGIN PERFORM batch_item_end(); END $$", "RELEASE SAVEPOINT write"]

    @Test func anItemsAuditEventCannotCoverAnotherItemsEntry() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                let audit = SchemaInvariantTests.audit
                // Item 1 writes only an event; item 2 an entry with none of its own: refused at item 2's end …
                #expect(
                    try await SchemaInvariantTests.failure(
                        app, Self.item(1) + [audit] + Self.end + Self.item(2) + Self.balancedLines + Self.end)
                        == "23000")
                // … and at COMMIT, when the checks were left to run there.
                #expect(
                    try await SchemaInvariantTests.failure(
                        app, Self.item(1) + [audit] + Self.end + Self.item(2) + Self.balancedLines) == "23000")
                // An event cannot claim another item by naming it: the stamp is the item the event was written in.
                #expect(
                    try await SchemaInvariantTests.failure(
                        app,
                        Self.item(1)
                            + [
                                "INSERT INTO audit_events (type, actor, payload, item) VALUES ('test.raw', 'test', '{}', 2)"
                            ]
                            + Self.end + Self.item(2) + Self.balancedLines + Self.end) == "23000")
                #expect(try await database.count("journal_entries") == 0)
                // With its own event, each item commits; two items, one transaction.
                #expect(
                    try await SchemaInvariantTests.failure(
                        app,
                        Self.item(1) + [audit] + Self.balancedLines + Self.end + Self.item(2) + [audit]
                            + Self.balancedLines + Self.end) == nil)
                #expect(try await database.count("journal_entries") == 2)
                #expect(try await database.count("audit_events WHERE item IN (1, 2)") == 2)
            }
        }
    }

    @Test func linesGoOnlyIntoAnEntryOfTheirOwnItem() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            try await database.withApp { (app: Database) async throws in
                let intoTheFirst = """
                    INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen)
                    SELECT max(id), 3, 'fund:cash', 'debit', 1 FROM journal_entries
                    """
                #expect(
                    try await SchemaInvariantTests.failure(
                        app,
                        Self.item(1) + [SchemaInvariantTests.audit] + Self.balancedLines + Self.end + Self.item(2)
                            + [SchemaInvariantTests.audit, intoTheFirst] + Self.end) == "23000")
                #expect(try await database.count("journal_lines") == 0)
            }
        }
    }

    /// A call of `record_contributions` for contributions from Beijing of `amounts` fen, by `recorder`, in a DO block
    /// (as ``end``). `lineCounts` (2 each, unless given) says how many of the lines
    /// (a debit of `fund:cash` and a credit of Beijing's account, each of its amount) are whose.
    static func recordContributions(_ amounts: [Int64], by recorder: UUID, lineCounts: [Int]? = nil) -> String {
        let n = amounts.count
        func each(_ value: String) -> String { "array_fill(\(value), ARRAY[\(n)])" }
        let lineAmounts = amounts.flatMap { [$0, $0] }.map(String.init).joined(separator: ", ")
        return """
            DO $$ BEGIN PERFORM count(*) FROM record_contributions(
                ARRAY(SELECT gen_random_uuid() FROM generate_series(1, \(n))), \(each("'beijing'::text")),
                ARRAY[\(amounts.map(String.init).joined(separator: ", "))]::bigint[], \(each("'2025-06-30'::date")),
                \(each("'RAW'::text")), \(each("''::text")), \(each("'\(recorder.uuidString)'::uuid")),
                \(each("'test'::text")), \(each("'contribution RAW'::text")), \(each("'{}'::jsonb")),
                ARRAY[\((lineCounts ?? amounts.map { _ in 2 }).map(String.init).joined(separator: ", "))]::integer[],
                ARRAY(SELECT unnest(ARRAY['fund:cash', 'contributions:beijing']) FROM generate_series(1, \(n))),
                ARRAY(SELECT unnest(ARRAY['debit', 'credit']) FROM generate_series(1, \(n))),
                ARRAY[\(lineAmounts)]::bigint[]); END $$
            """
    }

    /// Contributions written in one call are each an item of its own, with its own audit event naming its entry;
    /// one the schema refuses fails the call whole (the flusher then writes each in a savepoint of its own); and the
    /// call is refused where items cannot be told apart or its arrays do not line up.
    @Test func contributionsWrittenInOneCallAreEachAnItemOfTheirOwn() async throws {
        try await TestDatabase.with { (database: TestDatabase) async throws in
            let recorder = try await database.principal(.admin).userID
            try await database.withApp { (app: Database) async throws in
                let lock = "SELECT batch_lock(ARRAY['contributions:beijing', 'fund:cash'])"
                let three = Self.recordContributions([100, 200, 300], by: recorder)
                // Outside a batch every row is item 0, and three contributions could not be told apart.
                #expect(try await SchemaInvariantTests.failure(app, [three]) == "22023")
                // Two contributions' worth of values with lines for one.
                #expect(
                    try await SchemaInvariantTests.failure(
                        app, [lock, Self.recordContributions([100, 200], by: recorder, lineCounts: [2, 0])])
                        == "22023")
                // An amount the schema refuses fails the call, and nothing of the others is kept.
                #expect(
                    try await SchemaInvariantTests.failure(
                        app, [lock, Self.recordContributions([100, 0, 300], by: recorder)] + Self.end.dropLast())
                        == "23514")
                #expect(try await database.count("contributions") == 0)

                #expect(try await SchemaInvariantTests.failure(app, [lock, three] + Self.end.dropLast()) == nil)
                #expect(try await database.count("contributions") == 3)
                #expect(try await database.count("(SELECT DISTINCT item FROM journal_entries) AS items") == 3)
                let withoutItsOwnEvent = """
                    journal_entries j
                     WHERE (SELECT count(*) FROM audit_events e
                             WHERE e.tx_id = j.tx_id AND e.item = j.item AND e.type = 'contribution.recorded'
                               AND (e.payload->>'entryID')::bigint = j.id) <> 1
                    """
                #expect(try await database.count(withoutItsOwnEvent) == 0)
                #expect(
                    try await database.count("account_balances WHERE account_code = 'fund:cash' AND balance_fen = 600")
                        == 1)
            }
        }
    }
}
