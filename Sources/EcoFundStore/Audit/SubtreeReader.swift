import EcoFundCore
import Logging
import PostgresNIO

/// Hashes of leaf ranges from stored leaves and complete subtrees, memoized for one request or batch.
struct SubtreeReader {
    let connection: PostgresConnection
    let logger: Logger
    var cache: [Range<Int>: Digest32] = [:]

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// MTH of leaves `range`: one stored row when the range is a complete aligned subtree, else split as RFC 6962
    /// splits it (the left part is always complete).
    mutating func hash(_ range: Range<Int>) async throws -> Digest32 {
        if let known = cache[range] { return known }
        let count = range.count
        let value: Digest32
        if count == 1 {
            value = try Self.require(
                try await AuditRepository.leafHash(Int64(range.lowerBound), on: connection, logger: logger), range)
        } else if count & (count - 1) == 0, range.lowerBound % count == 0 {
            value = try Self.require(
                try await AuditRepository.nodeHash(
                    level: count.trailingZeroBitCount, index: Int64(range.lowerBound / count), on: connection,
                    logger: logger), range)
        } else {
            let middle = range.lowerBound + MerkleTree.split(count)
            let left = try await hash(range.lowerBound..<middle)
            let right = try await hash(middle..<range.upperBound)
            value = MerkleTree.nodeHash(left, right)
        }
        cache[range] = value
        return value
    }

    private static func require(_ hash: Digest32?, _ range: Range<Int>) throws -> Digest32 {
        guard let hash else { throw StoreError(.conflict, "the log has no hash for leaves \(range); it is incomplete") }
        return hash
    }
}
