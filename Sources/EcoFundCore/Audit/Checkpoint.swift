import Crypto
import Foundation

/// A signed statement of the log's size and root: `{treeSize, rootHash, issuedAt, keyId}`, signed with Ed25519
/// over the RFC 8785 bytes of those four members. Anyone who keeps one can later demand a consistency proof.
public struct Checkpoint: Hashable, Sendable, Codable {
    public let treeSize: Int64
    /// Lower-case hex of the Merkle root.
    public let rootHash: String
    /// UTC, RFC 3339.
    public let issuedAt: String
    /// The first 8 bytes of SHA-256 of the raw public key, hex: which key signed.
    public let keyId: String
    /// Base64 of the Ed25519 signature over ``signedBytes``.
    public let signature: String

    public init(treeSize: Int64, rootHash: String, issuedAt: String, keyId: String, signature: String) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.issuedAt = issuedAt
        self.keyId = keyId
        self.signature = signature
    }

    /// The bytes the signature covers.
    public var signedBytes: [UInt8] {
        Self.signedBytes(treeSize: treeSize, rootHash: rootHash, issuedAt: issuedAt, keyId: keyId)
    }

    static func signedBytes(treeSize: Int64, rootHash: String, issuedAt: String, keyId: String) -> [UInt8] {
        JSONValue.object([
            "treeSize": .integer(treeSize), "rootHash": .string(rootHash), "issuedAt": .string(issuedAt),
            "keyId": .string(keyId),
        ]).canonicalBytes
    }

    /// Signs a tree head.
    public static func sign(
        treeSize: Int64, root: Digest32, issuedAt: String, key: Curve25519.Signing.PrivateKey
    ) throws -> Checkpoint {
        let keyId = Self.keyId(key.publicKey)
        let bytes = signedBytes(treeSize: treeSize, rootHash: root.hex, issuedAt: issuedAt, keyId: keyId)
        let signature = try key.signature(for: bytes)
        return Checkpoint(
            treeSize: treeSize, rootHash: root.hex, issuedAt: issuedAt, keyId: keyId,
            signature: Data(signature).base64EncodedString())
    }

    /// Whether `publicKey` signed exactly these members.
    public func isSigned(by publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard keyId == Self.keyId(publicKey), let signature = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(signature, for: signedBytes)
    }

    public static func keyId(_ publicKey: Curve25519.Signing.PublicKey) -> String {
        Array(SHA256.hash(data: publicKey.rawRepresentation).prefix(8)).hex
    }
}

/// An audit event as the log hashes it: `{id, type, actor, at, payload}` in RFC 8785 form.
public struct AuditEvent: Hashable, Sendable {
    public let id: Int64
    public let type: String
    public let actor: String
    /// UTC, RFC 3339 with microseconds.
    public let at: String
    public let payload: JSONValue

    public init(id: Int64, type: String, actor: String, at: String, payload: JSONValue) {
        self.id = id
        self.type = type
        self.actor = actor
        self.at = at
        self.payload = payload
    }

    /// The canonical bytes: what `events.jsonl` holds line by line, and what the leaf hash covers.
    public var canonicalBytes: [UInt8] {
        JSONValue.object([
            "id": .integer(id), "type": .string(type), "actor": .string(actor), "at": .string(at), "payload": payload,
        ]).canonicalBytes
    }

    public var leafHash: Digest32 { MerkleTree.leafHash(canonicalBytes) }
}
