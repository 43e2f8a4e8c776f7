import Crypto
import EcoFundCore
import Foundation
import Logging
import Synchronization

/// One REPEATABLE READ snapshot of the books, for one audit export: every table and the event log as they stood at
/// one moment, every event of which is sealed under ``checkpoint``. Opened by ``AuditLog/openExport(_:by:)``; closed
/// by whoever writes the export, when it is written or abandoned.
public final class ExportSnapshot: Sendable {
    /// The value dates the ledger files cover.
    public let range: DateRange
    /// The newest checkpoint in the snapshot: the events the export holds end at it.
    public let checkpoint: Checkpoint
    /// True when no journal entry falls outside the range: then every stored balance must equal the lines.
    public let isComplete: Bool
    /// The raw key that signs this server's checkpoints, shipped in the export for convenience; nil when unknown.
    private let publicKeyBytes: Data?
    let reader: SnapshotReader
    private let lifetime: Lifetime

    private init(
        range: DateRange, checkpoint: Checkpoint, isComplete: Bool, publicKeyBytes: Data?, reader: SnapshotReader,
        lifetime: Lifetime
    ) {
        self.range = range
        self.checkpoint = checkpoint
        self.isComplete = isComplete
        self.publicKeyBytes = publicKeyBytes
        self.reader = reader
        self.lifetime = lifetime
    }

    /// The key that signs checkpoints, as the server knows it (an auditor checks it against the one they keep).
    public var publicKey: Curve25519.Signing.PublicKey? {
        publicKeyBytes.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    /// Every row an export holds must be backed by a sealed event, or the verifier would rightly call it unproven: so
    /// the snapshot is taken only when every event committed before it is in the log (the sealer runs every half
    /// second). If the sealer does not catch up within `sealWait` the export is refused as unavailable. `release` is
    /// called once, when the snapshot ends (closed, or ended by its watchdog, or failed to open).
    static func open(
        _ url: DatabaseURL, range: DateRange, sealWait: Duration, deadlines: ExportDeadlines, publicKeyBytes: Data?,
        logger: Logger, release: @escaping @Sendable () -> Void
    ) async throws -> ExportSnapshot {
        let lifetime = Lifetime(release: release)
        do {
            let snapshot = try await openSealed(
                url, range: range, sealWait: sealWait, publicKeyBytes: publicKeyBytes, lifetime: lifetime)
            lifetime.watch(snapshot, deadlines: deadlines, logger: logger)
            return snapshot
        } catch let error as SnapshotReaderError where error.isConnectionLoss {
            lifetime.end()
            logger.warning("export could not reach the database", metadata: ["error": "\(String(reflecting: error))"])
            throw StoreError(.unavailable, "the database cannot be reached for the export; try again shortly")
        } catch {
            lifetime.end()
            throw error
        }
    }

    private static func openSealed(
        _ url: DatabaseURL, range: DateRange, sealWait: Duration, publicKeyBytes: Data?, lifetime: Lifetime
    ) async throws -> ExportSnapshot {
        let deadline = ContinuousClock.now + sealWait
        while true {
            let reader = try await SnapshotReader.open(url)
            do {
                let unsealed = try await reader.query(AuditRepository.unsealedCountSQL)
                if let count = unsealed.first?.first.flatMap({ $0.flatMap { Int($0) } }), count > 0 {
                    await reader.close()
                    guard ContinuousClock.now < deadline else {
                        throw StoreError(
                            .unavailable,
                            "\(count) audit events are not sealed yet, so the export could not prove them; is a server "
                                + "with ECOFUND_SIGNING_KEY running? Try again in a moment")
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                return try await open(reader, range: range, publicKeyBytes: publicKeyBytes, lifetime: lifetime)
            } catch {
                await reader.close()
                throw error
            }
        }
    }

    private static func open(
        _ reader: SnapshotReader, range: DateRange, publicKeyBytes: Data?, lifetime: Lifetime
    ) async throws -> ExportSnapshot {
        _ = try await reader.query(ExportRepository.setRange, [range.from.description, range.to.description])
        let rows = try await reader.query(ExportRepository.latestCheckpoint)
        guard let row = rows.first, let size = row[0].flatMap({ Int64($0) }), let root = row[1],
            let issuedAt = row[2], let keyId = row[3], let signature = row[4]
        else {
            throw StoreError(
                .conflict,
                "the audit log has no signed checkpoint yet: the sealer signs one within a second of the first "
                    + "event when the server runs with ECOFUND_SIGNING_KEY")
        }
        let outside = try await reader.query(ExportRepository.entriesOutsideRange)
        return ExportSnapshot(
            range: range,
            checkpoint: Checkpoint(
                treeSize: size, rootHash: root, issuedAt: issuedAt, keyId: keyId, signature: signature),
            isComplete: outside.first?.first == "f", publicKeyBytes: publicKeyBytes, reader: reader, lifetime: lifetime)
    }

    /// The table as CSV (RFC 4180: a header row, CR LF row ends), in chunks of whole rows, in order.
    public func copy(_ table: ExportTable, into consume: ([UInt8]) async throws -> Void) async throws {
        lifetime.started()
        try await reader.copy(ExportRepository.copy(table), crlf: true, into: consume)
    }

    /// Every event up to ``checkpoint``, in log order, in batches.
    public func events(into consume: ([AuditEvent]) async throws -> Void) async throws {
        lifetime.started()
        try await reader.copy(ExportRepository.events(upTo: checkpoint.treeSize)) { chunk in
            var events: [AuditEvent] = []
            for row in chunk.split(separator: UInt8(ascii: "\n")) {
                let text = Self.unescapeCopyText(row)
                guard case .array(let fields) = try JSONValue(parsing: text), fields.count == 5,
                    case .integer(let id) = fields[0], case .string(let type) = fields[1],
                    case .string(let actor) = fields[2], case .string(let at) = fields[3]
                else {
                    throw StoreError(
                        .conflict, "an audit event row could not be read: \(String(decoding: text, as: UTF8.self))")
                }
                events.append(AuditEvent(id: id, type: type, actor: actor, at: at, payload: fields[4]))
            }
            try await consume(events)
        }
    }

    /// Ends the transaction and the connection, and gives the export's place back. Safe to call more than once.
    public func close() async {
        await reader.close()
        lifetime.end()
    }

    /// Undoes COPY's text-format escaping (a backslash before `\`, and the control-character escapes).
    static func unescapeCopyText(_ row: ArraySlice<UInt8>) -> [UInt8] {
        guard row.contains(UInt8(ascii: "\\")) else { return Array(row) }
        var out: [UInt8] = []
        out.reserveCapacity(row.count)
        var escaped = false
        for byte in row {
            if escaped {
                switch byte {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                default: out.append(byte)
                }
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                out.append(byte)
            }
        }
        return out
    }
}

/// When a snapshot ends: its place is given back once, and a watchdog ends a snapshot whose client has not started
/// reading, or still reads, past its ``ExportDeadlines``.
final class Lifetime: Sendable {
    private struct State {
        var release: (@Sendable () -> Void)?
        var started = false
        var watchdog: Task<Void, Never>?
    }

    private let state: Mutex<State>

    init(release: @escaping @Sendable () -> Void) { state = Mutex(State(release: release)) }

    func started() { state.withLock { $0.started = true } }

    func watch(_ snapshot: ExportSnapshot, deadlines: ExportDeadlines, logger: Logger) {
        let task = Task { [self] in
            try? await Task.sleep(for: deadlines.firstRead)
            guard !Task.isCancelled else { return }
            if !state.withLock({ $0.started }) {
                logger.notice("an export's client did not start reading; its snapshot is closed")
                await snapshot.close()
                return
            }
            try? await Task.sleep(for: deadlines.whole - deadlines.firstRead)
            guard !Task.isCancelled else { return }
            logger.warning("an export ran longer than \(deadlines.whole); its snapshot is closed")
            await snapshot.close()
        }
        state.withLock { $0.watchdog = task }
    }

    /// Gives the place back (once) and stops the watchdog.
    func end() {
        let (release, watchdog) = state.withLock { state in
            defer {
                state.release = nil
                state.watchdog = nil
            }
            return (state.release, state.watchdog)
        }
        watchdog?.cancel()
        release?()
    }
}
