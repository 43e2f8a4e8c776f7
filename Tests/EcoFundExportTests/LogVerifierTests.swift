import Crypto
import EcoFundCore
import EcoFundExport
import Testing

/// Tamper drills on the log half of `verify`: each is caught, with a message that names what is wrong.
@Suite struct LogVerifierTests {
    /// A fixed test key (the key type is not Sendable, so it is rebuilt from its bytes where needed).
    static let keyBytes = [UInt8](repeating: 7, count: 32)
    static var key: Curve25519.Signing.PrivateKey {
        // 32 bytes are always a valid Ed25519 seed.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
    }

    static func events(_ count: Int) -> [[UInt8]] {
        (0..<count).map { index in
            AuditEvent(
                id: Int64(index + 1), type: "contribution.recorded", actor: "li.beijing",
                at: "2025-03-15T08:00:0\(index % 10).000000Z",
                payload: .object(["amount": .string("\(index + 1).00"), "entryID": .integer(Int64(index + 1))])
            ).canonicalBytes
        }
    }

    static func jsonl(_ lines: [[UInt8]]) -> [UInt8] { lines.flatMap { $0 + [UInt8(ascii: "\n")] } }

    static func checkpoint(_ lines: [[UInt8]], key: Curve25519.Signing.PrivateKey = key) throws -> Checkpoint {
        try Checkpoint.sign(
            treeSize: Int64(lines.count), root: MerkleTree.root(lines.map { MerkleTree.leafHash($0) }[...]),
            issuedAt: "2026-11-27T06:00:00Z", key: key)
    }

    static func verify(_ lines: [[UInt8]], against checkpoint: Checkpoint, older: Checkpoint? = nil) -> [String] {
        LogVerifier.verify(eventsJSONL: jsonl(lines), checkpoint: checkpoint, publicKey: key.publicKey, older: older)
            .map(\.description)
    }

    @Test func aCleanLogVerifies() throws {
        let lines = Self.events(12)
        #expect(
            Self.verify(lines, against: try Self.checkpoint(lines), older: try Self.checkpoint(Array(lines.prefix(5))))
                .isEmpty)
    }

    @Test func removedReorderedAndEditedEventsAreCaught() throws {
        let lines = Self.events(12)
        let checkpoint = try Self.checkpoint(lines)
        var removed = lines
        removed.remove(at: 4)
        #expect(Self.verify(removed, against: checkpoint).contains { $0.contains("holds 11 events") })
        #expect(Self.verify(removed, against: checkpoint).contains { $0.contains("removed, reordered or edited") })
        var reordered = lines
        reordered.swapAt(2, 3)
        #expect(Self.verify(reordered, against: checkpoint).contains { $0.contains("removed, reordered or edited") })
        var edited = lines
        edited[7] = Array(
            String(decoding: edited[7], as: UTF8.self).replacingOccurrences(of: "8.00", with: "9.00").utf8)
        #expect(Self.verify(edited, against: checkpoint).contains { $0.contains("removed, reordered or edited") })
        var reformatted = lines
        reformatted[0] = Array(
            String(decoding: reformatted[0], as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
        #expect(Self.verify(reformatted, against: checkpoint).contains { $0.contains("line 1 is not in canonical") })
    }

    @Test func aCheckpointSignedByAnotherKeyIsCaught() throws {
        let lines = Self.events(6)
        let forged = try Self.checkpoint(lines, key: Curve25519.Signing.PrivateKey())
        #expect(Self.verify(lines, against: forged).contains { $0.contains("checkpoint.json is not signed") })
    }

    @Test func aLaterLogWithRewrittenHistoryFailsAgainstAnOlderCheckpoint() throws {
        let original = Self.events(8)
        let older = try Self.checkpoint(Array(original.prefix(6)))
        // The operator rewrites event 3 and re-signs everything: the new export is self-consistent...
        var rewritten = original + Self.events(10).suffix(2)
        rewritten[2] = Array(
            String(decoding: rewritten[2], as: UTF8.self).replacingOccurrences(of: "3.00", with: "300.00").utf8)
        let resigned = try Self.checkpoint(rewritten)
        #expect(Self.verify(rewritten, against: resigned).isEmpty)
        // ...but not with the checkpoint the auditor kept.
        #expect(
            Self.verify(rewritten, against: resigned, older: older).contains { $0.contains("history was rewritten") })
    }
}
