import Crypto
import EcoFundCore
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
