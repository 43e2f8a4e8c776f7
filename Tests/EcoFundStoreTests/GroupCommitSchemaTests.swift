import EcoFundStore
import EcoFundTesting
import Testing

/// Schema/018: once one transaction holds many writes (the commit queue's items), the rules that were per
/// transaction hold per item, even when the code is bypassed — one item's audit event never covers another item's
/// change, and no item adds lines to another's entry.
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
}
