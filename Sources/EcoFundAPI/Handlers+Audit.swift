import AsyncAlgorithms
import Crypto
import EcoFundCore
import EcoFundExport
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// The auditors' view of the log: events, checkpoints, the public key and proofs (auditor and admin only).
extension Handlers {
    private func requireAuditor() throws {
        try RequestScope.caller().require(.auditor, .admin, to: "read the audit log")
    }

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        try requireAuditor()
        let limit = input.query.limit ?? 100
        guard (1...AuditLog.pageLimitMax).contains(limit) else {
            throw ValidationError(.invalidValue, at: "limit", "must be 1 to \(AuditLog.pageLimitMax)")
        }
        let entries = try await auditLog.entries(after: input.query.after, limit: limit)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: entries.map { .init(index: $0.index, event: $0.canonical, leafHash: $0.leafHash.hex) },
                        nextAfter: entries.count == limit ? entries.last?.index : nil))))
    }

    func getCheckpoint(_ input: Operations.GetCheckpoint.Input) async throws -> Operations.GetCheckpoint.Output {
        try requireAuditor()
        guard let checkpoint = try await auditLog.latestCheckpoint() else {
            throw StoreError(
                .notFound, "the log has no checkpoint yet; the sealer signs one within a second of starting")
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, issuedAt: checkpoint.issuedAt,
                        keyId: checkpoint.keyId, signature: checkpoint.signature))))
    }

    func getPublicKey(_ input: Operations.GetPublicKey.Input) async throws -> Operations.GetPublicKey.Output {
        try requireAuditor()
        guard let raw = signingPublicKey, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw StoreError(.notFound, "this server has no signing key (ECOFUND_SIGNING_KEY)")
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        algorithm: .ed25519, keyId: Checkpoint.keyId(publicKey),
                        publicKey: publicKey.rawRepresentation.base64EncodedString()))))
    }

    func getInclusionProof(_ input: Operations.GetInclusionProof.Input) async throws
        -> Operations.GetInclusionProof.Output
    {
        try requireAuditor()
        let (leaf, proof, root) = try await auditLog.inclusionProof(
            index: input.query.index, size: input.query.treeSize)
        return .ok(
            .init(
                body: .json(
                    .init(
                        index: input.query.index, treeSize: input.query.treeSize, leafHash: leaf.hex,
                        rootHash: root.hex,
                        proof: proof.map(\.hex)))))
    }

    func getConsistencyProof(_ input: Operations.GetConsistencyProof.Input) async throws
        -> Operations.GetConsistencyProof.Output
    {
        try requireAuditor()
        let proof = try await auditLog.consistencyProof(old: input.query.from, size: input.query.to)
        return .ok(.init(body: .json(.init(from: input.query.from, to: input.query.to, proof: proof.map(\.hex)))))
    }
}

/// The audit export, streamed: the archive is written by ``AuditExporter`` into a channel that holds one chunk, so
/// the database is read only as fast as the client takes the bytes, and a client that goes away stops the export.
extension Handlers {
    func getAuditExport(_ input: Operations.GetAuditExport.Input) async throws -> Operations.GetAuditExport.Output {
        try RequestScope.caller().require(.auditor, to: "export the books")
        guard let exportDatabaseURL else {
            throw StoreError(.unavailable, "this server was started without a database URL")
        }
        let from = try input.query.from.map { try CalendarDate(parsing: $0, at: "from") }
        let to = try input.query.to.map { try CalendarDate(parsing: $0, at: "to") }
        let publicKey = try signingPublicKey.map { try Curve25519.Signing.PublicKey(rawRepresentation: $0) }
        // Open before answering: a refused export is a problem response, not a broken download.
        let exporter = try await AuditExporter.open(
            exportDatabaseURL, from: from ?? CalendarDate.exportStart, to: to ?? CalendarDate.exportEnd,
            publicKey: publicKey)
        let body = HTTPBody(
            ExportStream(exporter: exporter), length: .unknown, iterationBehavior: .single)
        return .ok(
            .init(
                headers: .init(contentDisposition: "attachment; filename=\"\(exporter.fileName)\""),
                body: .applicationZip(body)))
    }
}

extension CalendarDate {
    /// The ends of an export that names no range: every value date the books accept.
    static var exportStart: CalendarDate { try! CalendarDate(parsing: "\(yearRange.lowerBound)-01-01", at: "from") }
    static var exportEnd: CalendarDate { try! CalendarDate(parsing: "\(yearRange.upperBound)-12-31", at: "to") }
}

/// The archive as an async sequence of chunks. The export runs in a task that starts when the body is first read
/// and is cancelled when the reader goes away (the iterator is released), which ends its database snapshot.
struct ExportStream: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let exporter: AuditExporter

    final class AsyncIterator: AsyncIteratorProtocol {
        let channel = AsyncThrowingChannel<[UInt8], any Error>()
        var producer: Task<Void, Never>?
        let exporter: AuditExporter

        init(exporter: AuditExporter) { self.exporter = exporter }

        deinit { producer?.cancel() }

        func next() async throws -> ArraySlice<UInt8>? {
            if producer == nil {
                let channel = self.channel
                let exporter = self.exporter
                producer = Task {
                    do {
                        try await exporter.write { chunk in
                            await channel.send(chunk)
                            try Task.checkCancellation()
                        }
                        channel.finish()
                    } catch {
                        channel.fail(error)
                    }
                }
            }
            var iterator = channel.makeAsyncIterator()
            return try await iterator.next().map { $0[...] }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(exporter: exporter) }
}
