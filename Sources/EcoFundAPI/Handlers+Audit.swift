import Crypto
import EcoFundCore
import EcoFundExport
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// The auditors' view of the log: events, checkpoints, the public key and proofs. Translation only: who may read
/// them is ``AuditLog``'s to decide.
extension Handlers {
    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        let page = try await auditLog.entries(
            after: input.query.after, limit: input.query.limit, by: try RequestScope.caller())
        let items = page.entries.map {
            Components.Schemas.AuditEventList.ItemsPayloadPayload(
                index: $0.index, event: $0.canonical, leafHash: $0.leafHash.hex)
        }
        return .ok(.init(body: .json(.init(items: items, nextAfter: page.nextAfter))))
    }

    func getCheckpoint(_ input: Operations.GetCheckpoint.Input) async throws -> Operations.GetCheckpoint.Output {
        let checkpoint = try await auditLog.latestCheckpoint(by: try RequestScope.caller())
        return .ok(
            .init(
                body: .json(
                    .init(
                        treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, issuedAt: checkpoint.issuedAt,
                        keyId: checkpoint.keyId, signature: checkpoint.signature))))
    }

    func getPublicKey(_ input: Operations.GetPublicKey.Input) async throws -> Operations.GetPublicKey.Output {
        let publicKey = try auditLog.publicKey(by: try RequestScope.caller())
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
        let (leaf, proof, root) = try await auditLog.inclusionProof(
            index: input.query.index, size: input.query.treeSize, by: try RequestScope.caller())
        return .ok(
            .init(
                body: .json(
                    .init(
                        index: input.query.index, treeSize: input.query.treeSize, leafHash: leaf.hex,
                        rootHash: root.hex, proof: proof.map(\.hex)))))
    }

    func getConsistencyProof(_ input: Operations.GetConsistencyProof.Input) async throws
        -> Operations.GetConsistencyProof.Output
    {
        let proof = try await auditLog.consistencyProof(
            old: input.query.from, size: input.query.to, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(from: input.query.from, to: input.query.to, proof: proof.map(\.hex)))))
    }
}

/// The audit export, streamed: the archive is written by ``AuditExporter`` into a channel that holds one chunk, so
/// the database is read only as fast as the client takes the bytes, and a client that goes away stops the export.
extension Handlers {
    func getAuditExport(_ input: Operations.GetAuditExport.Input) async throws -> Operations.GetAuditExport.Output {
        let range = try DateRange(parsingFrom: input.query.from, to: input.query.to)
        // Opened before answering: a refused export is a problem response, not a broken download.
        let snapshot = try await auditLog.openExport(range, by: try RequestScope.caller())
        let exporter = AuditExporter(snapshot, language: input.query.lang == .en ? .en : .zh)
        let body = HTTPBody(ExportStream(exporter: exporter), length: .unknown, iterationBehavior: .single)
        return .ok(
            .init(
                headers: .init(contentDisposition: "attachment; filename=\"\(exporter.fileName)\""),
                body: .applicationZip(body)))
    }
}
