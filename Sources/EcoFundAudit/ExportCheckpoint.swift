import EcoFundCore

/// `checkpoint.json`: the signed checkpoint the events end at, with the public key that signed it (base64 of the
/// raw 32 bytes). Whoever does not trust the key shipped inside the export passes their own to `ecofund verify`.
public struct ExportCheckpoint: Codable, Hashable, Sendable {
    public let treeSize: Int64
    public let rootHash: String
    public let issuedAt: String
    public let keyId: String
    public let signature: String
    public let publicKey: String

    public init(_ checkpoint: Checkpoint, publicKey: String) {
        treeSize = checkpoint.treeSize
        rootHash = checkpoint.rootHash
        issuedAt = checkpoint.issuedAt
        keyId = checkpoint.keyId
        signature = checkpoint.signature
        self.publicKey = publicKey
    }

    public var checkpoint: Checkpoint {
        Checkpoint(treeSize: treeSize, rootHash: rootHash, issuedAt: issuedAt, keyId: keyId, signature: signature)
    }
}
