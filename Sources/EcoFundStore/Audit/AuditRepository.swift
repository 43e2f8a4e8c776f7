import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for audit events and the tamper-evident log: events (one per state change, in the same transaction,
/// DESIGN.md invariant 6), leaves, complete subtrees and signed checkpoints.
enum AuditRepository {
    static func record(
        _ type: String, actor: String, payload: some Encodable & Sendable,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let event = try Event(type, actor: actor, payload: payload)
        try await connection.query(
            "INSERT INTO audit_events (type, actor, payload) VALUES (\(event.type), \(event.actor), \(event.json)::jsonb)",
            logger: logger)
    }

    /// An audit event ready to insert, for a repository that writes it in the same statement as the row it
    /// records (one round trip fewer for a write of the commit queue). The columns are `type`, `actor` and
    /// `payload` (from `json`, cast to jsonb).
    struct Event: Sendable {
        let type: String
        let actor: String
        let json: String

        init(_ type: String, actor: String, payload: some Encodable & Sendable) throws {
            self.type = type
            self.actor = actor
            self.json = String(decoding: try JSONCoding.auditEncoder.encode(payload), as: UTF8.self)
        }
    }

    /// The newest checkpoint and the transaction id below which every event is sealed.
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
    static func entries(after: Int64?, limit: Int, on connection: PostgresConnection, logger: Logger) async throws
        -> [AuditLog.Entry]
    {
        var entries: [AuditLog.Entry] = []
        let rows = try await connection.query(
            """
            SELECT l.leaf_index, e.id, e.type, e.actor, utc_text(e.at), e.payload::text, l.leaf_hash
              FROM audit_log l JOIN audit_events e ON e.id = l.event_id
             WHERE l.leaf_index > \(after ?? -1) ORDER BY l.leaf_index LIMIT \(limit)
            """, logger: logger)
        for try await (index, id, type, actor, at, payload, hash) in rows.decode(
            (Int64, Int64, String, String, String, String, ByteBuffer).self)
        {
            let event = try Self.event(id: id, type: type, actor: actor, at: at, payload: payload)
            entries.append(
                AuditLog.Entry(
                    index: index, canonical: String(decoding: event.canonicalBytes, as: UTF8.self),
                    leafHash: Array(hash.readableBytesView)))
        }
        return entries
    }

    /// Leaves in the log.
    static func sealedSize(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await count in try await connection.query(
            "SELECT coalesce(max(leaf_index) + 1, 0) FROM audit_log", logger: logger
        ).decode(Int64.self) { return count }
        return 0
    }

    static func leafHash(_ index: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Digest32? {
        try await hash("SELECT leaf_hash FROM audit_log WHERE leaf_index = \(index)", on: connection, logger: logger)
    }

    /// The stored hash of the complete subtree of 2^level leaves from leaf index × 2^level.
    static func nodeHash(level: Int, index: Int64, on connection: PostgresConnection, logger: Logger) async throws
        -> Digest32?
    {
        try await hash(
            "SELECT hash FROM audit_log_nodes WHERE level = \(Int16(level)) AND idx = \(index)", on: connection,
            logger: logger)
    }

    private static func hash(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws
        -> Digest32?
    {
        for try await hash in try await connection.query(query, logger: logger).decode(ByteBuffer.self) {
            return Array(hash.readableBytesView)
        }
        return nil
    }

    /// Whether this transaction leads the sealers (one per cluster at a time); held until it ends.
    static func tryLeadSealer(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for try await acquired in try await connection.query(
            "SELECT pg_try_advisory_xact_lock(hashtext('ecofund.sealer'))", logger: logger
        ).decode(Bool.self) { return acquired }
        return false
    }

    /// The oldest transaction id still running: every event of an older one is committed or gone.
    static func snapshotXmin(on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        for try await xmin in try await connection.query(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", logger: logger
        ).decode(Int64.self) { return xmin }
        return nil
    }

    /// Events of transactions `from..<to` not yet in the log, in the order they will be sealed.
    /// Events of transactions from `fromTx` up to (not including) `toTx` that come after `after`, the last sealed
    /// (transaction, event) pair, in sealing order. Events are sealed in that order, so none at or before it is new;
    /// the range starts right after it on the (tx_id, id) index, and an idle round reads nothing.
    static func pendingEvents(
        fromTx: Int64, toTx: Int64, after: (tx: Int64, id: Int64)?, limit: Int, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [(event: AuditEvent, tx: Int64)] {
        var events: [(event: AuditEvent, tx: Int64)] = []
        let rows = try await connection.query(
            pendingQuery(fromTx: fromTx, toTx: toTx, after: after, limit: limit), logger: logger)
        for try await (id, type, actor, at, payload, tx) in rows.decode(
            (Int64, String, String, String, String, Int64).self)
        {
            events.append((try Self.event(id: id, type: type, actor: actor, at: at, payload: payload), tx))
        }
        return events
    }

    static func pendingQuery(fromTx: Int64, toTx: Int64, after: (tx: Int64, id: Int64)?, limit: Int) -> PostgresQuery {
        var start = (tx: fromTx, id: Int64(0))
        if let after, (after.tx, after.id) > (start.tx, start.id) { start = after }
        return """
            SELECT id, type, actor, utc_text(at), payload::text, tx_id
              FROM audit_events e WHERE (tx_id, id) > (\(start.tx), \(start.id)) AND tx_id < \(toTx)
               AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)
             ORDER BY tx_id, id LIMIT \(Int64(limit))
            """
    }

    /// The (transaction, event) of the last leaf of the log: where the next round goes on.
    static func lastSealed(on connection: PostgresConnection, logger: Logger) async throws -> (tx: Int64, id: Int64)? {
        var last: (tx: Int64, id: Int64)?
        for try await (tx, id) in try await connection.query(
            """
            SELECT e.tx_id, e.id FROM audit_log l JOIN audit_events e ON e.id = l.event_id
             ORDER BY l.leaf_index DESC LIMIT 1
            """, logger: logger
        ).decode((Int64, Int64).self) { last = (tx, id) }
        return last
    }

    /// Appends leaves: `first` is the index of the first, the rest follow without gaps.
    static func insertLeaves(
        first: Int64, events: [AuditEvent], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !events.isEmpty else { return }
        let indexes = events.indices.map { first + Int64($0) }
        let eventIDs = events.map(\.id)
        let hashes = events.map(\.leafHash.hex)
        try await connection.query(
            """
            INSERT INTO audit_log (leaf_index, event_id, leaf_hash)
            SELECT i, e, decode(h, 'hex') FROM unnest(\(indexes)::bigint[], \(eventIDs)::bigint[],
                                                      \(hashes)::text[]) AS t (i, e, h)
            """, logger: logger)
    }

    static func insertNodes(_ nodes: [MerkleTree.Accumulator.Node], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !nodes.isEmpty else { return }
        let levels = nodes.map { Int64($0.level) }
        let indexes = nodes.map { Int64($0.index) }
        let hashes = nodes.map(\.hash.hex)
        try await connection.query(
            """
            INSERT INTO audit_log_nodes (level, idx, hash)
            SELECT l, i, decode(h, 'hex') FROM unnest(\(levels)::bigint[], \(indexes)::bigint[],
                                                      \(hashes)::text[]) AS t (l, i, h)
            """, logger: logger)
    }

    static func insertCheckpoint(
        _ checkpoint: Checkpoint, sealedBelowTx: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO audit_checkpoints (tree_size, root_hash, issued_at, key_id, signature, sealed_below_tx)
            VALUES (\(checkpoint.treeSize), \(checkpoint.rootHash), \(checkpoint.issuedAt), \(checkpoint.keyId),
                    \(checkpoint.signature), \(sealedBelowTx))
            ON CONFLICT (tree_size) DO NOTHING
            """, logger: logger)
    }

    /// The SQL of the count of committed events the sealer has not made leaves yet (the pool's and the export
    /// snapshot's readers both run it).
    static let unsealedCountSQL = """
        SELECT count(*) FROM audit_events e
         WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)
        """

    static func unsealedCount(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await count in try await connection.query(PostgresQuery(unsafeSQL: unsealedCountSQL), logger: logger)
            .decode(Int64.self)
        { return count }
        return 0
    }

    /// The events not yet sealed, counted from the sealer's watermark: every event of a transaction below it is in
    /// the log, so only the newer ones are looked at (through the index on `tx_id`), not the whole table.
    static func unsealedSinceWatermark(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await count in try await connection.query(
            """
            SELECT count(*) FROM audit_events e
             WHERE e.tx_id >= coalesce((SELECT sealed_below_tx FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1), 0)
               AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)
            """, logger: logger
        ).decode(Int64.self) { return count }
        return 0
    }

    /// An event as stored: its payload is JSON that this system wrote, so one that does not parse is a broken
    /// database, reported as an error.
    static func event(id: Int64, type: String, actor: String, at: String, payload: String) throws -> AuditEvent {
        AuditEvent(id: id, type: type, actor: actor, at: at, payload: try JSONValue(parsing: Array(payload.utf8)))
    }
}

extension AuditRepository {
    /// The events written in the transactions that wrote these journal entries, each with its leaf once sealed.
    static func events(ofEntries ids: [Int64], on connection: PostgresConnection, logger: Logger) async throws
        -> [RecordedEvent]
    {
        let byEntry = try await eventsByEntry(ids, on: connection, logger: logger)
        return Set(byEntry.values.joined()).sorted { $0.event.id < $1.event.id }
    }

    /// Per journal entry, the events its transaction wrote (one transaction may write several entries), by event id;
    /// in a batch of the commit queue, those of the entry's own write.
    static func eventsByEntry(_ ids: [Int64], on connection: PostgresConnection, logger: Logger) async throws
        -> [Int64: [RecordedEvent]]
    {
        var events: [Int64: [RecordedEvent]] = [:]
        let rows = try await connection.query(
            """
            SELECT j.id, e.id, e.type, e.actor, utc_text(e.at), e.payload::text, l.leaf_index
              FROM journal_entries j
              JOIN audit_events e ON e.tx_id = j.tx_id AND e.item = j.item
              LEFT JOIN audit_log l ON l.event_id = e.id
             WHERE j.id = ANY(\(ids)::bigint[])
             ORDER BY j.id, e.id
            """, logger: logger)
        for try await (entry, id, type, actor, at, payload, leaf) in rows.decode(
            (Int64, Int64, String, String, String, String, Int64?).self)
        {
            events[entry, default: []].append(
                RecordedEvent(
                    event: try Self.event(id: id, type: type, actor: actor, at: at, payload: payload), leaf: leaf))
        }
        return events
    }
}

/// An audit event and, once the sealer has appended it, its leaf in the signed log.
public struct RecordedEvent: Hashable, Sendable {
    public let event: AuditEvent
    public let leaf: Int64?
}
