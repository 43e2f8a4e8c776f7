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
    /// A round holds its connection for at most the database's ``Database/workTimeLimit``: a statement that is never
    /// answered (written to a connection that had just closed) would otherwise stop this server's sealing for good.
    private func loop() async {
        var failing = false
        while !Task.isCancelled {
            var sealed = 0
            do {
                sealed = try await database.withLeasedConnection(within: database.workTimeLimit) { connection in
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
        try await connection.inTransaction(logger: logger) {
            guard try await AuditRepository.tryLeadSealer(on: connection, logger: logger) else { return 0 }
            return try await seal(on: connection)
        }
    }

    private func seal(on connection: PostgresConnection) async throws -> Int {
        let previous = try await AuditRepository.latestCheckpoint(on: connection, logger: logger)
        let size = previous?.checkpoint.treeSize ?? 0
        let below = previous?.sealedBelowTx ?? 0
        var horizon = try await AuditRepository.snapshotXmin(on: connection, logger: logger) ?? below
        let after = try await AuditRepository.lastSealed(on: connection, logger: logger)
        let events = try await AuditRepository.pendingEvents(
            fromTx: below, toTx: horizon, after: after, limit: AuditLog.batchEventsMax, on: connection, logger: logger)
        if events.count == AuditLog.batchEventsMax, let lastTx = events.last?.tx {
            // A full batch may end inside a transaction's events: the watermark stays at that transaction, and the
            // next round goes on with its events not yet in the log.
            horizon = lastTx
        }
        guard !events.isEmpty || previous == nil else { return 0 }
        // The tree so far, resumed from its stored right edge; each new leaf may complete subtrees, which are stored.
        var tree = try await resumeTree(size: Int(size), on: connection)
        var nodes: [MerkleTree.Accumulator.Node] = []
        for (event, _) in events { tree.append(leafHash: event.leafHash) { nodes.append($0) } }
        try await AuditRepository.insertLeaves(first: size, events: events.map(\.event), on: connection, logger: logger)
        try await AuditRepository.insertNodes(nodes, on: connection, logger: logger)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
        let checkpoint = try Checkpoint.sign(
            treeSize: Int64(tree.count), root: tree.root, issuedAt: UTCTime.text(Date()), key: key)
        try await AuditRepository.insertCheckpoint(
            checkpoint, sealedBelowTx: horizon, on: connection, logger: logger)
        return events.count
    }

    /// The log's accumulator at `size` leaves, from the stored hashes of the perfect subtrees on its right edge.
    private func resumeTree(size: Int, on connection: PostgresConnection) async throws -> MerkleTree.Accumulator {
        var reader = SubtreeReader(connection: connection, logger: logger)
        var frontier: [Digest32] = []
        for range in MerkleTree.Accumulator.frontier(count: size) { frontier.append(try await reader.hash(range)) }
        return MerkleTree.Accumulator(count: size, frontier: frontier)
    }
}
