import Crypto
import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// The tamper-evident log in PostgreSQL: leaves, complete subtrees, checkpoints; proofs from stored subtrees.
public struct AuditLog: Sendable {
    /// Events sealed per batch at most; a backlog is worked off in several batches.
    public static let batchEventsMax = 5_000
    /// Events per page of `GET /v1/audit/events`.
    public static let pageLimitMax = 1_000
    /// Committed events the sealer has not yet made leaves: the export waits for none, `/metrics` reports them.
    public static let unsealedCountSQL = """
        SELECT count(*) FROM audit_events e
         WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)
        """

    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    /// One sealed event: its place in the log, its canonical bytes and their leaf hash.
    public struct Entry: Sendable, Hashable {
        public let index: Int64
        public let canonical: String
        public let leafHash: Digest32
    }

    /// The newest checkpoint, if the sealer has signed one.
    public func latestCheckpoint() async throws -> Checkpoint? {
        try await database.read { connection in
            try await Self.latestCheckpoint(on: connection, logger: logger)?.checkpoint
        }
    }

    static func latestCheckpoint(on connection: PostgresConnection, logger: Logger) async throws
        -> (checkpoint: Checkpoint, sealedBelowTx: Int64)?
    {
        for try await (size, root, issuedAt, keyId, signature, below) in try await connection.query(
            """
            SELECT tree_size, root_hash, issued_at, key_id, signature, sealed_below_tx
              FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1
            """, logger: logger
        ).decode((Int64, String, String, String, String, Int64).self) {
            return (
                Checkpoint(treeSize: size, rootHash: root, issuedAt: issuedAt, keyId: keyId, signature: signature),
                below
            )
        }
        return nil
    }

    /// Sealed events from leaf `after` + 1 on, in log order.
    public func entries(after: Int64?, limit: Int) async throws -> [Entry] {
        precondition((1...Self.pageLimitMax).contains(limit), "page limit out of range")
        return try await database.read { connection in
            var entries: [Entry] = []
            let rows = try await connection.query(
                """
                SELECT l.leaf_index, e.id, e.type, e.actor,
                       to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.payload::text, l.leaf_hash
                  FROM audit_log l JOIN audit_events e ON e.id = l.event_id
                 WHERE l.leaf_index > \(after ?? -1) ORDER BY l.leaf_index LIMIT \(limit)
                """, logger: logger)
            for try await (index, id, type, actor, at, payload, hash) in rows.decode(
                (Int64, Int64, String, String, String, String, ByteBuffer).self)
            {
                let event = AuditEvent(
                    id: id, type: type, actor: actor, at: at, payload: try JSONValue(parsing: Array(payload.utf8)))
                entries.append(
                    Entry(
                        index: index, canonical: String(decoding: event.canonicalBytes, as: UTF8.self),
                        leafHash: Array(hash.readableBytesView)))
            }
            return entries
        }
    }

    /// The audit path of leaf `index` in the tree of `size` leaves, with that tree's root.
    public func inclusionProof(index: Int64, size: Int64) async throws -> (
        leafHash: Digest32, proof: [Digest32], root: Digest32
    ) {
        try await database.read { connection in
            try await Self.requireSealed(size, on: connection, logger: logger)
            guard index >= 0, index < size else {
                throw ValidationError(.invalidValue, at: "index", "must be 0 to treeSize − 1")
            }
            var hashes = SubtreeReader(connection: connection, logger: logger)
            // The proof's shape depends only on the index and size: collect its ranges, then read their hashes.
            var ranges: [Range<Int>] = []
            _ = MerkleTree.inclusionProof(index: Int(index), size: Int(size)) { range in
                ranges.append(range)
                return []
            }
            var proof: [Digest32] = []
            for range in ranges { proof.append(try await hashes.hash(range)) }
            let leaf = try await hashes.hash(Int(index)..<Int(index) + 1)
            return (leaf, proof, try await hashes.hash(0..<Int(size)))
        }
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `size`.
    public func consistencyProof(old: Int64, size: Int64) async throws -> [Digest32] {
        try await database.read { connection in
            try await Self.requireSealed(size, on: connection, logger: logger)
            guard old >= 1, old <= size else { throw ValidationError(.invalidValue, at: "from", "must be 1 to `to`") }
            var hashes = SubtreeReader(connection: connection, logger: logger)
            var ranges: [Range<Int>] = []
            _ = MerkleTree.consistencyProof(old: Int(old), size: Int(size)) { range in
                ranges.append(range)
                return []
            }
            var proof: [Digest32] = []
            for range in ranges { proof.append(try await hashes.hash(range)) }
            return proof
        }
    }

    static func requireSealed(_ size: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        var sealed: Int64 = 0
        for try await count in try await connection.query(
            "SELECT coalesce(max(leaf_index) + 1, 0) FROM audit_log", logger: logger
        ).decode(Int64.self) { sealed = count }
        guard size >= 1, size <= sealed else {
            throw ValidationError(.invalidValue, at: "treeSize", "must be 1 to the sealed size \(sealed)")
        }
    }
}

/// Hashes of leaf ranges from stored leaves and complete subtrees, memoized for one request or batch.
struct SubtreeReader {
    let connection: PostgresConnection
    let logger: Logger
    var cache: [Range<Int>: Digest32] = [:]

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// MTH of leaves `range`: one stored row when the range is a complete aligned subtree, else split as RFC 6962
    /// splits it (the left part is always complete).
    mutating func hash(_ range: Range<Int>) async throws -> Digest32 {
        if let known = cache[range] { return known }
        let count = range.count
        let value: Digest32
        if count == 1 {
            value = try await row(
                "SELECT leaf_hash FROM audit_log WHERE leaf_index = \(Int64(range.lowerBound))", range)
        } else if count & (count - 1) == 0, range.lowerBound % count == 0 {
            let level = Int16(count.trailingZeroBitCount)
            value = try await row(
                "SELECT hash FROM audit_log_nodes WHERE level = \(level) AND idx = \(Int64(range.lowerBound / count))",
                range)
        } else {
            let middle = range.lowerBound + MerkleTree.split(count)
            let left = try await hash(range.lowerBound..<middle)
            let right = try await hash(middle..<range.upperBound)
            value = MerkleTree.nodeHash(left, right)
        }
        cache[range] = value
        return value
    }

    private func row(_ query: PostgresQuery, _ range: Range<Int>) async throws -> Digest32 {
        for try await hash in try await connection.query(query, logger: logger).decode(ByteBuffer.self) {
            return Array(hash.readableBytesView)
        }
        throw StoreError(.conflict, "the log has no hash for leaves \(range); it is incomplete")
    }
}
