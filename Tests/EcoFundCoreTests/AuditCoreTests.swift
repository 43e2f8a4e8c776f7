import Crypto
import EcoFundCore
import Foundation
import Testing

/// Test vectors of Certificate Transparency's reference implementation (certificate-transparency-go,
/// merkle tree tests; the same inputs and roots appear in the C++ log server's tests): eight leaves and the
/// tree head of every prefix, and two audit paths in the tree of eight.
@Suite struct MerkleTreeTests {
    static let leaves = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ]
    .map { [UInt8](hex: $0)! }
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    static let hashes = leaves.map { MerkleTree.leafHash($0) }

    static func rangeHash(_ hashes: [Digest32]) -> (Range<Int>) -> Digest32 {
        { MerkleTree.root(hashes[$0]) }
    }

    @Test func rootsMatchTheReferenceVectors() {
        #expect(MerkleTree.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for size in 1...8 {
            #expect(MerkleTree.root(Self.hashes[0..<size]).hex == Self.roots[size - 1], "size \(size)")
        }
    }

    /// The streaming accumulator the verifier uses agrees with the recursive definition at every size, including
    /// the reference roots.
    @Test func theAccumulatorGivesTheSameRootAtEverySize() {
        var accumulator = MerkleTree.Accumulator()
        #expect(accumulator.root == MerkleTree.emptyRoot)
        for (size, hash) in Self.hashes.enumerated() {
            accumulator.append(leafHash: hash)
            #expect(accumulator.root.hex == Self.roots[size], "size \(size + 1)")
        }
        let hashes = (0..<300).map { MerkleTree.leafHash([UInt8($0 & 0xff), UInt8($0 >> 8)]) }
        var large = MerkleTree.Accumulator()
        for (size, hash) in hashes.enumerated() {
            large.append(leafHash: hash)
            #expect(large.root == MerkleTree.root(hashes[0...size]), "size \(size + 1)")
        }
        #expect(large.count == 300)
    }

    /// The sealer stores the subtrees each new leaf completes and resumes from the stored right edge: every node
    /// the accumulator hands back is the hash of its leaves, each complete subtree is handed back once, and a log
    /// resumed at any size goes on exactly as one built in one go.
    @Test func theAccumulatorHandsBackEveryCompletedSubtreeAndResumes() {
        let hashes = (0..<300).map { MerkleTree.leafHash([UInt8($0 & 0xff), UInt8($0 >> 8), 7]) }
        var whole = MerkleTree.Accumulator()
        var nodes: [MerkleTree.Accumulator.Node] = []
        for hash in hashes { whole.append(leafHash: hash) { nodes.append($0) } }
        for node in nodes {
            let start = node.index << node.level
            #expect(
                node.hash == MerkleTree.root(hashes[start..<start + (1 << node.level)]), "\(node.level)/\(node.index)")
        }
        // 300 leaves complete 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1 subtrees of two or more leaves.
        #expect(nodes.count == 296 && Set(nodes.map { "\($0.level)/\($0.index)" }).count == 296)
        for size in [0, 1, 2, 3, 7, 8, 100, 255, 256, 299] {
            let frontier = MerkleTree.Accumulator.frontier(count: size).map { MerkleTree.root(hashes[$0]) }
            var resumed = MerkleTree.Accumulator(count: size, frontier: frontier)
            #expect(resumed.root == MerkleTree.root(hashes[0..<size]), "resumed at \(size)")
            var later: [MerkleTree.Accumulator.Node] = []
            for hash in hashes[size...] { resumed.append(leafHash: hash) { later.append($0) } }
            #expect(resumed.root == whole.root && resumed.count == 300, "resumed at \(size)")
            #expect(Set(later).isSubset(of: Set(nodes)), "resumed at \(size)")
        }
    }

    @Test func auditPathsMatchTheReferenceVectors() {
        let first = MerkleTree.inclusionProof(index: 0, size: 8, rangeHash: Self.rangeHash(Self.hashes)).map(\.hex)
        #expect(
            first == [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ])
        let sixth = MerkleTree.inclusionProof(index: 5, size: 8, rangeHash: Self.rangeHash(Self.hashes)).map(\.hex)
        #expect(
            sixth == [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ])
    }

    /// Every leaf of every tree up to 40 leaves proves its inclusion, every prefix proves its consistency, and a
    /// changed leaf, a wrong index or a wrong root fails.
    @Test func everyProofVerifiesAndTamperingFails() {
        let hashes = (0..<40).map { MerkleTree.leafHash([UInt8($0), UInt8(truncatingIfNeeded: $0 &* 7)]) }
        let rangeHash = Self.rangeHash(hashes)
        for size in 1...40 {
            let root = MerkleTree.root(hashes[0..<size])
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, size: size, rangeHash: rangeHash)
                #expect(
                    MerkleTree.verifyInclusion(
                        index: index, size: size, leafHash: hashes[index], proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: index, size: size, leafHash: hashes[(index + 1) % 40], proof: proof, root: root))
                if size > 1 {
                    #expect(
                        !MerkleTree.verifyInclusion(
                            index: (index + 1) % size, size: size, leafHash: hashes[index], proof: proof, root: root))
                }
            }
            for old in 1...size {
                let oldRoot = MerkleTree.root(hashes[0..<old])
                let proof = MerkleTree.consistencyProof(old: old, size: size, rangeHash: rangeHash)
                #expect(
                    MerkleTree.verifyConsistency(old: old, size: size, proof: proof, oldRoot: oldRoot, root: root),
                    "\(old)→\(size)")
                if old < size {
                    var rewritten = hashes
                    rewritten[old - 1] = MerkleTree.leafHash([0xFF])
                    let forged = MerkleTree.root(rewritten[0..<size])
                    #expect(
                        !MerkleTree.verifyConsistency(
                            old: old, size: size, proof: proof, oldRoot: oldRoot, root: forged))
                }
            }
        }
    }
}

/// RFC 8785 examples and the rules this system relies on.
@Suite struct CanonicalJSONTests {
    static func canonical(_ text: String) throws -> String {
        String(decoding: try JSONValue(parsing: Array(text.utf8)).canonicalBytes, as: UTF8.self)
    }

    @Test func sortsMembersByUTF16AndDropsWhitespace() throws {
        // RFC 8785 section 3.2.3's sorting example, with its member values replaced by strings.
        let text =
            #"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}"#
        let expected =
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"דּ\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try Self.canonical(text) == expected)
    }

    @Test func escapesOnlyWhatJSONStringifyEscapes() throws {
        #expect(
            try Self.canonical(#"{"a":"\u0001\b\n\"\\/é","b":[1,-2,true,null]}"#)
                == #"{"a":"\u0001\b\n\"\\/é","b":[1,-2,true,null]}"#)
        #expect(try Self.canonical(#"{ "b" : 1 , "a" : { "d": [ ], "c" : "" } }"#) == #"{"a":{"c":"","d":[]},"b":1}"#)
    }

    @Test func refusesWhatWouldNotRoundTrip() {
        for text in [
            #"{"a":1.5}"#, #"{"a":1e3}"#, #"{"a":9007199254740993}"#, #"{"a":1,"a":2}"#, #"{"a":01}"#, "[1] x",
            #"{"a":"\ud800"}"#,
        ] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue(parsing: Array(text.utf8)) }
        }
    }
}

@Suite struct CheckpointTests {
    @Test func aCheckpointVerifiesWithItsKeyAndNoOther() throws {
        let key = Curve25519.Signing.PrivateKey()
        let other = Curve25519.Signing.PrivateKey()
        let root = MerkleTree.root(MerkleTreeTests.hashes[0..<5])
        let checkpoint = try Checkpoint.sign(treeSize: 5, root: root, issuedAt: "2026-11-27T05:00:00Z", key: key)
        #expect(checkpoint.isSigned(by: key.publicKey))
        #expect(!checkpoint.isSigned(by: other.publicKey))
        let forged = Checkpoint(
            treeSize: 6, rootHash: checkpoint.rootHash, issuedAt: checkpoint.issuedAt, keyId: checkpoint.keyId,
            signature: checkpoint.signature)
        #expect(!forged.isSigned(by: key.publicKey))
        let signedByOther = try Checkpoint.sign(treeSize: 5, root: root, issuedAt: checkpoint.issuedAt, key: other)
        #expect(!signedByOther.isSigned(by: key.publicKey))
    }

    @Test func anEventHashesItsCanonicalBytes() throws {
        let event = AuditEvent(
            id: 7, type: "contribution.recorded", actor: "li.beijing", at: "2025-03-15T08:00:00.000000Z",
            payload: try JSONValue(parsing: Array(#"{"amount":"1.00","contributor":"beijing"}"#.utf8)))
        let bytes = String(decoding: event.canonicalBytes, as: UTF8.self)
        #expect(
            bytes
                == #"{"actor":"li.beijing","at":"2025-03-15T08:00:00.000000Z","id":7,"payload":{"amount":"1.00","contributor":"beijing"},"type":"contribution.recorded"}"#
        )
        #expect(event.leafHash == MerkleTree.leafHash(Array(bytes.utf8)))
    }
}
