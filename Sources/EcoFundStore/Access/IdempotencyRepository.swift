import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for idempotency keys: claimed before a keyed write's work, filled with its response after, in its transaction.
enum IdempotencyRepository {
    struct Claim: Sendable {
        let userID: UUID
        let key: String
        let operation: String
        let requestHash: [UInt8]
    }

    struct Stored: Sendable {
        let operation: String
        let requestHash: [UInt8]
        /// Nil while the first request's transaction has not finished (it cannot be seen then) or stored nothing.
        let responseBody: String?
    }

    /// Claims the key for this request; false when the caller used it before (or a concurrent request holds it).
    static func claim(_ claim: Claim, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO idempotency_keys (user_id, key, operation, request_hash)
            VALUES (\(claim.userID), \(claim.key), \(claim.operation), \(ByteBuffer(bytes: claim.requestHash)))
            ON CONFLICT (user_id, key) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    static func storeResponse(_ body: String, of claim: Claim, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            """
            UPDATE idempotency_keys SET response_status = 200, response_body = \(body)::jsonb
             WHERE user_id = \(claim.userID) AND key = \(claim.key)
            """, logger: logger)
    }

    static func find(_ claim: Claim, on connection: PostgresConnection, logger: Logger) async throws -> Stored? {
        let rows = try await connection.query(
            """
            SELECT operation, request_hash, response_body::text FROM idempotency_keys
             WHERE user_id = \(claim.userID) AND key = \(claim.key)
            """, logger: logger)
        for try await (operation, hash, body) in rows.decode((String, ByteBuffer, String?).self) {
            return Stored(operation: operation, requestHash: Array(hash.readableBytesView), responseBody: body)
        }
        return nil
    }
}
