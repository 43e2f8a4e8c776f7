import Crypto
import EcoFundCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Appends committed audit events to the Merkle log within a second and signs a checkpoint per batch.
///
/// Any number of servers run one each; only the one holding the session advisory lock seals, so the log has one
/// writer. An event is sealed once its transaction can no longer be running: every event of a transaction id below
/// the current snapshot's xmin is committed (or was rolled back and is invisible), and each round seals exactly the
/// transaction ids between the previous round's xmin and this one's.
public struct Sealer: Service {
    /// Time between rounds.
    public static let intervalMs = 500

    let database: Database
    /// The raw Ed25519 private key (the key type itself is not Sendable).
    let keyBytes: Data
    var logger: Logger { database.logger }

    public init(database: Database, key: Curve25519.Signing.PrivateKey) {
        self.database = database
        self.keyBytes = key.rawRepresentation
    }

    /// Seals until the service group shuts down gracefully (then the current round is cancelled and rolled back;
    /// its events are sealed by the next leader).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await loop()
        }
    }

    /// One round every ``intervalMs`` (at once again after a full batch), each on a connection leased for that
    /// round only. Leadership is per round: a transaction-level advisory lock, so a server that dies or loses its
    /// database mid-round holds nothing afterwards. (A sealer that kept one leased connection and a session lock
    /// for ever stopped sealing for good when PostgreSQL restarted under it: the crash drill found that.)
    private func loop() async {
        var failing = false
        while !Task.isCancelled {
            var sealed = 0
            do {
                sealed = try await database.client.withConnection { connection in
                    try await sealRound(on: connection)
                }
                if failing { logger.info("sealer sealing again") }
                failing = false
            } catch  where Task.isCancelled {
                return
            } catch {
                if !failing {
                    logger.warning("sealer round failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                }
                failing = true
            }
            if sealed < AuditLog.batchEventsMax {
                try? await Task.sleep(for: .milliseconds(failing ? 1000 : Self.intervalMs))
            }
        }
    }

    /// One batch in one transaction: new leaves, the subtrees they complete, a signed checkpoint. Returns the number
    /// of events sealed; 0 as well when another server's sealer holds this round.
    @discardableResult
    public func sealRound(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("BEGIN", logger: logger)
        do {
            var leader = false
            for try await acquired in try await connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtext('ecofund.sealer'))", logger: logger
            ).decode(Bool.self) { leader = acquired }
            let count = leader ? try await seal(on: connection) : 0
            try await connection.query("COMMIT", logger: logger)
            return count
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    private func seal(on connection: PostgresConnection) async throws -> Int {
        let previous = try await AuditLog.latestCheckpoint(on: connection, logger: logger)
        let size = previous?.checkpoint.treeSize ?? 0
        let below = previous?.sealedBelowTx ?? 0
        var horizon: Int64 = below
        for try await xmin in try await connection.query(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", logger: logger
        ).decode(Int64.self) { horizon = xmin }
        let events = try await pending(from: below, to: horizon, limit: AuditLog.batchEventsMax, on: connection)
        if events.count == AuditLog.batchEventsMax, let lastTx = events.last?.tx {
            // A full batch may end inside a transaction's events: the watermark stays at that transaction, and the
            // next round goes on with its events not yet in the log.
            horizon = lastTx
        }
        guard !events.isEmpty || previous == nil else { return 0 }
        // The right edge of the tree so far: its perfect subtrees, read from the stored leaves and nodes.
        var reader = SubtreeReader(connection: connection, logger: logger)
        var frontier: [(level: Int, start: Int, hash: Digest32)] = []
        var start = 0
        for level in stride(from: 62, through: 0, by: -1) where Int(size) & (1 << level) != 0 {
            frontier.append((level, start, try await reader.hash(start..<start + (1 << level))))
            start += 1 << level
        }
        // New leaves, and every complete subtree they complete, computed here and written in two statements.
        var leafIndexes: [Int64] = []
        var eventIDs: [Int64] = []
        var leafHashes: [String] = []
        var nodeLevels: [Int64] = []
        var nodeIndexes: [Int64] = []
        var nodeHashes: [String] = []
        var index = Int(size)
        for (event, _) in events {
            let leaf = event.leafHash
            leafIndexes.append(Int64(index))
            eventIDs.append(event.id)
            leafHashes.append(leaf.hex)
            frontier.append((0, index, leaf))
            while frontier.count >= 2, frontier[frontier.count - 2].level == frontier[frontier.count - 1].level {
                let right = frontier.removeLast()
                let left = frontier.removeLast()
                let node = (level: left.level + 1, start: left.start, hash: MerkleTree.nodeHash(left.hash, right.hash))
                nodeLevels.append(Int64(node.level))
                nodeIndexes.append(Int64(node.start >> node.level))
                nodeHashes.append(node.hash.hex)
                frontier.append(node)
            }
            index += 1
        }
        if !leafIndexes.isEmpty {
            try await connection.query(
                """
                INSERT INTO audit_log (leaf_index, event_id, leaf_hash)
                SELECT i, e, decode(h, 'hex') FROM unnest(\(leafIndexes)::bigint[], \(eventIDs)::bigint[],
                                                          \(leafHashes)::text[]) AS t (i, e, h)
                """, logger: logger)
        }
        if !nodeLevels.isEmpty {
            try await connection.query(
                """
                INSERT INTO audit_log_nodes (level, idx, hash)
                SELECT l, i, decode(h, 'hex') FROM unnest(\(nodeLevels)::bigint[], \(nodeIndexes)::bigint[],
                                                          \(nodeHashes)::text[]) AS t (l, i, h)
                """, logger: logger)
        }
        var root = frontier.last?.hash ?? MerkleTree.emptyRoot
        for subtree in frontier.dropLast().reversed() { root = MerkleTree.nodeHash(subtree.hash, root) }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
        let checkpoint = try Checkpoint.sign(
            treeSize: Int64(index), root: root, issuedAt: ISO8601DateFormatter().string(from: Date()), key: key)
        try await connection.query(
            """
            INSERT INTO audit_checkpoints (tree_size, root_hash, issued_at, key_id, signature, sealed_below_tx)
            VALUES (\(checkpoint.treeSize), \(checkpoint.rootHash), \(checkpoint.issuedAt), \(checkpoint.keyId),
                    \(checkpoint.signature), \(horizon))
            ON CONFLICT (tree_size) DO NOTHING
            """, logger: logger)
        return events.count
    }

    /// Events of transactions `from..<to` not yet in the log, in the order they will be sealed.
    private func pending(from: Int64, to: Int64, limit: Int, on connection: PostgresConnection) async throws
        -> [(event: AuditEvent, tx: Int64)]
    {
        var events: [(event: AuditEvent, tx: Int64)] = []
        let rows = try await connection.query(
            """
            SELECT id, type, actor, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), payload::text, tx_id
              FROM audit_events e WHERE tx_id >= \(from) AND tx_id < \(to)
               AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)
             ORDER BY tx_id, id LIMIT \(Int64(limit))
            """, logger: logger)
        for try await (id, type, actor, at, payload, tx) in rows.decode(
            (Int64, String, String, String, String, Int64).self)
        {
            let event = AuditEvent(
                id: id, type: type, actor: actor, at: at, payload: try JSONValue(parsing: Array(payload.utf8)))
            events.append((event, tx))
        }
        return events
    }
}
