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

        var id: ClaimID { ClaimID(userID: userID, key: key) }
    }

    /// What makes a key one: its owner and its text.
    struct ClaimID: Hashable, Sendable {
        let userID: UUID
        let key: String
    }

    struct Stored: Sendable {
        let operation: String
        let requestHash: [UInt8]
        /// Nil while the first request's transaction has not finished (it cannot be seen then) or stored nothing.
        let responseBody: String?
    }

    /// Claims the key for this request; false when the caller used it before (or a concurrent request holds it).
    static func claim(_ claim: Claim, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await claimAll([claim], on: connection, logger: logger).contains(claim.id)
    }

    static func storeResponse(_ body: String, of claim: Claim, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await storeResponses([(claim, body)], on: connection, logger: logger)
    }

    /// Claims the keys of writes in one statement (a batch's, or one write's); returns those claimed (a key used
    /// before is not).
    static func claimAll(_ claims: [Claim], on connection: PostgresConnection, logger: Logger) async throws
        -> Set<ClaimID>
    {
        guard !claims.isEmpty else { return [] }
        return Set(try await connection.execute(hot: ClaimKeys(claims: claims), logger: logger))
    }

    /// Stores the responses of writes in one statement (a batch's, or one write's).
    static func storeResponses(
        _ responses: [(claim: Claim, body: String)], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !responses.isEmpty else { return }
        _ = try await connection.execute(hot: StoreResponses(responses: responses), logger: logger)
    }

    private struct ClaimKeys: HotStatement {
        static let sql = """
            INSERT INTO idempotency_keys (user_id, key, operation, request_hash)
            SELECT user_id, key, operation, decode(request_hash, 'hex')
              FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS c (user_id, key, operation, request_hash)
            ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id, key
            """
        let claims: [Claim]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(claims.map(\.userID))
            bindings.append(claims.map(\.key))
            bindings.append(claims.map(\.operation))
            bindings.append(claims.map(\.requestHash.hex))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> ClaimID {
            let (userID, key) = try row.decode((UUID, String).self)
            return ClaimID(userID: userID, key: key)
        }
    }

    private struct StoreResponses: HotStatement {
        static let sql = """
            UPDATE idempotency_keys k SET response_status = 200, response_body = r.body::jsonb
              FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r (user_id, key, body)
             WHERE k.user_id = r.user_id AND k.key = r.key
            """
        let responses: [(claim: Claim, body: String)]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(responses.map(\.claim.userID))
            bindings.append(responses.map(\.claim.key))
            bindings.append(responses.map(\.body))
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
