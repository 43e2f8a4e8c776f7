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

    private func loop() async {
        while !Task.isCancelled {
            do {
                try await database.client.withConnection { connection in
                    try await lead(on: connection)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("sealer stopped; retrying", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Waits to become the leader on this connection, then seals until cancelled or the connection fails.
    private func lead(on connection: PostgresConnection) async throws {
        while !Task.isCancelled {
            var leader = false
            for try await acquired in try await connection.query(
                "SELECT pg_try_advisory_lock(hashtext('ecofund.sealer'))", logger: logger
            ).decode(Bool.self) { leader = acquired }
            if leader { break }
            try await Task.sleep(for: .seconds(1))
        }
        defer { logger.info("sealer no longer leads") }
        logger.info("sealer leads")
        while !Task.isCancelled {
            let sealed = try await sealRound(on: connection)
            if sealed < AuditLog.batchEventsMax { try await Task.sleep(for: .milliseconds(Self.intervalMs)) }
        }
    }

    /// One batch in one transaction: new leaves, the subtrees they complete, a signed checkpoint.
    /// Returns the number of events sealed.
    @discardableResult
    public func sealRound(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("BEGIN", logger: logger)
        do {
            let count = try await seal(on: connection)
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
        var events = try await pending(from: below, to: horizon, limit: AuditLog.batchEventsMax, on: connection)
        if events.count == AuditLog.batchEventsMax, let lastTx = events.last?.tx {
            // A full batch may end inside a transaction's events: seal whole transactions only.
            let whole = events.filter { $0.tx < lastTx }
            events = whole.isEmpty ? try await pending(from: lastTx, to: lastTx + 1, limit: nil, on: connection) : whole
            horizon = whole.isEmpty ? lastTx + 1 : lastTx
        }
        guard !events.isEmpty || previous == nil else { return 0 }
        var reader = SubtreeReader(connection: connection, logger: logger)
        var index = Int(size)
        for (event, _) in events {
            try await connection.query(
                """
                INSERT INTO audit_log (leaf_index, event_id, leaf_hash)
                VALUES (\(Int64(index)), \(event.id), \(ByteBuffer(bytes: event.leafHash)))
                """, logger: logger)
            index += 1
            // Store every complete subtree this leaf completes.
            var level = 1
            while index % (1 << level) == 0 {
                let start = index - (1 << level)
                let middle = start + (1 << (level - 1))
                let node = MerkleTree.nodeHash(
                    try await reader.hash(start..<middle), try await reader.hash(middle..<index))
                try await connection.query(
                    """
                    INSERT INTO audit_log_nodes (level, idx, hash)
                    VALUES (\(Int16(level)), \(Int64(start >> level)), \(ByteBuffer(bytes: node)))
                    """, logger: logger)
                level += 1
            }
        }
        let root = index == 0 ? MerkleTree.emptyRoot : try await reader.hash(0..<index)
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

    /// Events of transactions `from..<to`, in the order they will be sealed.
    private func pending(from: Int64, to: Int64, limit: Int?, on connection: PostgresConnection) async throws
        -> [(event: AuditEvent, tx: Int64)]
    {
        var events: [(event: AuditEvent, tx: Int64)] = []
        let rows = try await connection.query(
            """
            SELECT id, type, actor, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), payload::text, tx_id
              FROM audit_events WHERE tx_id >= \(from) AND tx_id < \(to)
             ORDER BY tx_id, id LIMIT \(limit.map(Int64.init) ?? Int64.max)
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
