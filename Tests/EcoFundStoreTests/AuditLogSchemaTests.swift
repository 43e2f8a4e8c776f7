import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// The log's tables refuse, through raw SQL as the owner, rewriting, gaps and payloads that canonical JSON could
/// not hash unambiguously.
@Suite struct AuditLogSchemaTests {
    static let hash = String(repeating: "ab", count: 32)

    @Test func theLogIsAppendOnlyAndWithoutGaps() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                let leaf = "INSERT INTO audit_log (leaf_index, event_id, leaf_hash) VALUES (0, 1, '\\x\(Self.hash)')"
                #expect(try await SchemaInvariantTests.failure(owner, [leaf]) == nil)
                let gap = "INSERT INTO audit_log (leaf_index, event_id, leaf_hash) VALUES (2, 2, '\\x\(Self.hash)')"
                #expect(try await SchemaInvariantTests.failure(owner, [gap]) == "23000")
                #expect(
                    try await SchemaInvariantTests.failure(owner, ["UPDATE audit_log SET leaf_hash = '\\x00'"])
                        == "42501")
                #expect(try await SchemaInvariantTests.failure(owner, ["DELETE FROM audit_log"]) == "42501")
                #expect(try await SchemaInvariantTests.failure(owner, ["TRUNCATE audit_log CASCADE"]) == "42501")
                let checkpoint = """
                    INSERT INTO audit_checkpoints (tree_size, root_hash, issued_at, key_id, signature, sealed_below_tx)
                    VALUES (1, '\(Self.hash)', '2026-01-01T00:00:00Z', '0011223344556677', 's', 0)
                    """
                #expect(try await SchemaInvariantTests.failure(owner, [checkpoint]) == nil)
                #expect(
                    try await SchemaInvariantTests.failure(owner, ["UPDATE audit_checkpoints SET tree_size = 2"])
                        == "42501")
            }
        }
    }

    @Test func payloadsHoldOnlySafeIntegers() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                let float =
                    "INSERT INTO audit_events (type, actor, payload) VALUES ('test.float', 't', '{\"a\": {\"b\": [1.5]}}')"
                #expect(try await SchemaInvariantTests.failure(app, [float]) == "23514")
                let huge =
                    "INSERT INTO audit_events (type, actor, payload) VALUES ('test.huge', 't', '{\"a\": 9007199254740993}')"
                #expect(try await SchemaInvariantTests.failure(app, [huge]) == "23514")
            }
        }
    }
}
