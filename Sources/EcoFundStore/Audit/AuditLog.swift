import Crypto
import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// The auditors' view of the tamper-evident log: events, checkpoints, the public key, proofs from stored subtrees,
/// and the export's snapshot. Reading the log takes ``Permission/readAuditLog``; exporting ``Permission/exportBooks``.
public struct AuditLog: Sendable {
    /// Events sealed per batch at most; a backlog is worked off in several batches.
    public static let batchEventsMax = 5_000
    /// Events per page of the log: 100 unless the caller asks for up to 1,000.
    public static let page = PageLimit(itemsDefault: 100, itemsMax: 1_000)

    let database: Database
    /// Where the export's own libpq connection goes: a replica's URL when there is one. Nil: no exports here.
    let exportDatabaseURL: DatabaseURL?
    /// The raw Ed25519 public key that verifies checkpoints; nil when the server has no signing key.
    let publicKeyBytes: Data?
    /// How long an export waits for the sealer to seal what was committed before it.
    let exportSealWait: Duration
    /// The exports running on this server (one gate for every copy of this service).
    let exports = ExportGate()
    let exportDeadlines: ExportDeadlines
    var logger: Logger { database.logger }

    public init(
        database: Database, exportDatabaseURL: DatabaseURL? = nil, publicKey: Curve25519.Signing.PublicKey? = nil,
        exportSealWait: Duration = .seconds(10), exportDeadlines: ExportDeadlines = .standard
    ) {
        self.exportDeadlines = exportDeadlines
        self.database = database
        self.exportDatabaseURL = exportDatabaseURL
        self.publicKeyBytes = publicKey?.rawRepresentation
        self.exportSealWait = exportSealWait
    }

    /// One sealed event: its place in the log, its canonical bytes and their leaf hash.
    public struct Entry: Sendable, Hashable {
        public let index: Int64
        public let canonical: String
        public let leafHash: Digest32
    }

    /// A page of the log and, when more may follow, the index to continue after.
    public struct EntryPage: Sendable {
        public let entries: [Entry]
        public let nextAfter: Int64?
    }

    /// The newest checkpoint.
    ///
    /// - Throws: ``StoreError/Code/notFound`` before the sealer has signed one.
    public func latestCheckpoint(by principal: Principal) async throws -> Checkpoint {
        try principal.authorize(.readAuditLog)
        guard
            let latest = try await database.read({ connection in
                try await AuditRepository.latestCheckpoint(on: connection, logger: logger)?.checkpoint
            })
        else {
            throw StoreError(
                .notFound, "the log has no checkpoint yet; the sealer signs one within a second of starting")
        }
        return latest
    }

    /// Events committed and not yet in the signed log (the sealer's lag, in events).
    public func unsealedCount(by principal: Principal) async throws -> Int64 {
        try principal.authorize(.readAuditLog)
        return try await database.read { connection in
            try await AuditRepository.unsealedSinceWatermark(on: connection, logger: logger)
        }
    }

    /// The key that signs checkpoints, for auditors to keep.
    public func publicKey(by principal: Principal) throws -> Curve25519.Signing.PublicKey {
        try principal.authorize(.readAuditLog)
        guard let raw = publicKeyBytes, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw StoreError(.notFound, "this server has no signing key (ECOFUND_SIGNING_KEY)")
        }
        return key
    }

    /// Sealed events from leaf `after` + 1 on, in log order; `limit` as ``page`` allows.
    public func entries(after: Int64?, limit: Int?, by principal: Principal) async throws -> EntryPage {
        try principal.authorize(.readAuditLog)
        let limit = try Self.page.items(limit)
        let entries = try await database.read { connection in
            try await AuditRepository.entries(after: after, limit: limit, on: connection, logger: logger)
        }
        return EntryPage(entries: entries, nextAfter: entries.count == limit ? entries.last?.index : nil)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves, with that tree's root.
    public func inclusionProof(index: Int64, size: Int64, by principal: Principal) async throws -> (
        leafHash: Digest32, proof: [Digest32], root: Digest32
    ) {
        try principal.authorize(.readAuditLog)
        return try await database.read { connection in
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
    public func consistencyProof(old: Int64, size: Int64, by principal: Principal) async throws -> [Digest32] {
        try principal.authorize(.readAuditLog)
        return try await database.read { connection in
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

    /// Refuses a caller who may not export the books: the console asks before it shows the export's form.
    public func authorizeExport(by principal: Principal) throws { try principal.authorize(.exportBooks) }

    /// Opens the snapshot an audit export of `range` is written from (DESIGN.md "Tamper evidence").
    ///
    /// - Throws: ``StoreError/Code/unavailable`` when this server has no database URL for exports or the sealer does
    ///   not catch up within ``exportSealWait``; ``StoreError/Code/conflict`` before the first checkpoint;
    ///   ``TooManyExportsError`` (429) past ``ExportGate``'s limits.
    public func openExport(_ range: DateRange, by principal: Principal) async throws -> ExportSnapshot {
        try principal.authorize(.exportBooks)
        guard let exportDatabaseURL else {
            throw StoreError(.unavailable, "this server was started without a database URL")
        }
        try exports.enter(principal.userID)
        let exports = self.exports
        return try await ExportSnapshot.open(
            exportDatabaseURL, range: range, sealWait: exportSealWait, deadlines: exportDeadlines,
            publicKeyBytes: publicKeyBytes, logger: logger
        ) { exports.leave(principal.userID) }
    }

    static func requireSealed(_ size: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let sealed = try await AuditRepository.sealedSize(on: connection, logger: logger)
        guard size >= 1, size <= sealed else {
            throw ValidationError(.invalidValue, at: "treeSize", "must be 1 to the sealed size \(sealed)")
        }
    }
}
