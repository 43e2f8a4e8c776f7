import Crypto
import Foundation

/// A SHA-256 digest.
public typealias Digest32 = [UInt8]

/// The Merkle tree of RFC 6962 (Certificate Transparency), section 2.1: leaf hash SHA-256(0x00 ‖ data), node hash
/// SHA-256(0x01 ‖ left ‖ right), the split at the largest power of two below the size; inclusion and consistency
/// proofs, and their verification as RFC 9162 (sections 2.1.3.2 and 2.1.4.2) describes it.
///
/// The proof algorithms ask for the hashes of ranges of leaves through a function, so a store that keeps complete
/// subtrees can answer them at a million leaves without reading every leaf.
public enum MerkleTree {
    public static func leafHash(_ data: some Sequence<UInt8>) -> Digest32 {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(data))
        return Array(hasher.finalize())
    }

    public static func nodeHash(_ left: Digest32, _ right: Digest32) -> Digest32 {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// The root of an empty tree: SHA-256 of nothing.
    public static let emptyRoot: Digest32 = Array(SHA256.hash(data: Data()))

    /// The largest power of two strictly below `n` (n ≥ 2).
    public static func split(_ n: Int) -> Int {
        precondition(n >= 2, "only trees of two or more leaves split")
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH over leaf hashes.
    public static func root(_ leaves: ArraySlice<Digest32>) -> Digest32 {
        switch leaves.count {
        case 0: return emptyRoot
        case 1: return leaves[leaves.startIndex]
        default:
            let k = split(leaves.count)
            let middle = leaves.startIndex + k
            return nodeHash(root(leaves[leaves.startIndex..<middle]), root(leaves[middle...]))
        }
    }

    /// The root of a log built one leaf at a time, in O(log n) memory: the hashes of the perfect subtrees that make
    /// up the leaves so far, largest first, are all it keeps. Gives the same root as ``root(_:)``.
    ///
    /// The verifier reads a whole log through one; the sealer resumes one from the stored right edge of the tree
    /// (``init(count:frontier:)``) and stores the subtrees each new leaf completes, so both build the tree with this
    /// code.
    public struct Accumulator: Sendable {
        /// A perfect subtree that an append completed: the 2^level leaves from leaf `index × 2^level` on.
        public struct Node: Hashable, Sendable {
            public let level: Int
            public let index: Int
            public let hash: Digest32
        }

        /// (height, hash) of each perfect subtree, left to right; heights strictly decrease.
        private var subtrees: [(height: Int, hash: Digest32)] = []
        public private(set) var count = 0

        public init() {}

        /// Resumes a log of `count` leaves from the hashes of its perfect subtrees, largest first: the ranges of
        /// ``frontier(count:)``, in that order.
        public init(count: Int, frontier: [Digest32]) {
            let ranges = Self.frontier(count: count)
            precondition(ranges.count == frontier.count, "a log of \(count) leaves has \(ranges.count) subtrees")
            subtrees = zip(ranges, frontier).map { range, hash in (range.count.trailingZeroBitCount, hash) }
            self.count = count
        }

        /// The leaf ranges of the perfect subtrees that make up a log of `count` leaves, largest first.
        public static func frontier(count: Int) -> [Range<Int>] {
            var ranges: [Range<Int>] = []
            var start = 0
            for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where count & (1 << level) != 0 {
                ranges.append(start..<start + (1 << level))
                start += 1 << level
            }
            return ranges
        }

        /// Appends a leaf; `completed` is told of every subtree of two or more leaves the leaf completes, smallest
        /// first.
        public mutating func append(leafHash: Digest32, completed: (Node) -> Void = { _ in }) {
            var height = 0
            var hash = leafHash
            while let last = subtrees.last, last.height == height {
                subtrees.removeLast()
                hash = MerkleTree.nodeHash(last.hash, hash)
                height += 1
                completed(Node(level: height, index: (count + 1) >> height - 1, hash: hash))
            }
            subtrees.append((height, hash))
            count += 1
        }

        /// MTH of the leaves appended so far: the smaller subtrees on the right fold in first, as RFC 6962 splits.
        public var root: Digest32 {
            guard var hash = subtrees.last?.hash else { return MerkleTree.emptyRoot }
            for subtree in subtrees.dropLast().reversed() { hash = MerkleTree.nodeHash(subtree.hash, hash) }
            return hash
        }
    }

    /// PATH(index, D[0:size]): the audit path of a leaf, from the leaf up.
    public static func inclusionProof(index: Int, size: Int, rangeHash: (Range<Int>) throws -> Digest32) rethrows
        -> [Digest32]
    {
        precondition(index >= 0 && index < size, "leaf index outside the tree")
        return try path(index, 0..<size, rangeHash)
    }

    private static func path(_ index: Int, _ range: Range<Int>, _ rangeHash: (Range<Int>) throws -> Digest32) rethrows
        -> [Digest32]
    {
        guard range.count > 1 else { return [] }
        let k = split(range.count)
        let middle = range.lowerBound + k
        if index < middle {
            return try path(index, range.lowerBound..<middle, rangeHash) + [rangeHash(middle..<range.upperBound)]
        }
        return try path(index, middle..<range.upperBound, rangeHash) + [rangeHash(range.lowerBound..<middle)]
    }

    /// PROOF(old, D[0:size]): the consistency proof that the tree of `old` leaves is a prefix of the tree of `size`.
    public static func consistencyProof(old: Int, size: Int, rangeHash: (Range<Int>) throws -> Digest32) rethrows
        -> [Digest32]
    {
        precondition(old > 0 && old <= size, "a consistency proof runs from 1…size leaves to size leaves")
        guard old < size else { return [] }
        return try subproof(old, 0..<size, true, rangeHash)
    }

    private static func subproof(
        _ m: Int, _ range: Range<Int>, _ complete: Bool, _ rangeHash: (Range<Int>) throws -> Digest32
    ) rethrows -> [Digest32] {
        if m == range.count { return complete ? [] : [try rangeHash(range)] }
        let k = split(range.count)
        let middle = range.lowerBound + k
        if m <= k {
            return try subproof(m, range.lowerBound..<middle, complete, rangeHash) + [
                rangeHash(middle..<range.upperBound)
            ]
        }
        return try subproof(m - k, middle..<range.upperBound, false, rangeHash) + [rangeHash(range.lowerBound..<middle)]
    }

    /// RFC 9162 section 2.1.3.2.
    public static func verifyInclusion(
        index: Int, size: Int, leafHash: Digest32, proof: [Digest32], root: Digest32
    ) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index
        var sn = size - 1
        var hash = leafHash
        for sibling in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                hash = nodeHash(sibling, hash)
                if fn & 1 == 0 {
                    repeat {
                        fn >>= 1
                        sn >>= 1
                    } while fn & 1 == 0 && fn != 0
                }
            } else {
                hash = nodeHash(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && hash == root
    }

    /// RFC 9162 section 2.1.4.2.
    public static func verifyConsistency(
        old: Int, size: Int, proof: [Digest32], oldRoot: Digest32, root: Digest32
    ) -> Bool {
        guard old > 0, old <= size else { return false }
        if old == size { return proof.isEmpty && oldRoot == root }
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        guard let first = path.first else { return false }
        var fn = old - 1
        var sn = size - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var oldHash = first
        var newHash = first
        for node in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                oldHash = nodeHash(node, oldHash)
                newHash = nodeHash(node, newHash)
                if fn & 1 == 0 {
                    repeat {
                        fn >>= 1
                        sn >>= 1
                    } while fn & 1 == 0 && fn != 0
                }
            } else {
                newHash = nodeHash(newHash, node)
            }
            fn >>= 1
            sn >>= 1
        }
        return oldHash == oldRoot && newHash == root && sn == 0
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Bytes from hexadecimal; nil for anything else.
    public init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self = bytes
    }
}
