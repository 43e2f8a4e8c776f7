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
        try await !connection.execute(hot: ClaimKey(claim: claim), logger: logger).isEmpty
    }

    static func storeResponse(_ body: String, of claim: Claim, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        _ = try await connection.execute(hot: StoreResponse(claim: claim, body: body), logger: logger)
    }

    private struct ClaimKey: HotStatement {
        static let sql = """
            INSERT INTO idempotency_keys (user_id, key, operation, request_hash) VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id, key) DO NOTHING RETURNING 1
            """
        let claim: Claim

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(claim.userID)
            bindings.append(claim.key)
            bindings.append(claim.operation)
            bindings.append(ByteBuffer(bytes: claim.requestHash))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
    }

    private struct StoreResponse: HotStatement {
        static let sql = """
            UPDATE idempotency_keys SET response_status = 200, response_body = $3::jsonb WHERE user_id = $1 AND key = $2
            """
        let claim: Claim
        let body: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(claim.userID)
            bindings.append(claim.key)
            bindings.append(body)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
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
