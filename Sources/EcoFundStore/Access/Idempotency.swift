import Crypto
import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// A result of a write that may carry an `Idempotency-Key`: either done now or replayed from the first time.
public struct Keyed<Value: Sendable>: Sendable {
    public let value: Value
    /// True when the key had been used before with the same body and this is the first response again.
    public let replayed: Bool
}

/// DESIGN.md invariant 5: a key already used returns the first result; the same key with another body is refused.
///
/// The key row is claimed first, in the write's own transaction. A concurrent request with the same key blocks
/// on the primary key until the first commits, then replays it; if the first rolls back, the second does the work.
enum Idempotency {
    /// The longest key accepted, in characters.
    static let keyLengthMax = 200

    static func run<Request: Encodable & Sendable, Value: Codable & Sendable>(
        key: String?, operation: String, request: Request, principal: Principal,
        on connection: PostgresConnection, logger: Logger,
        work: () async throws -> Value
    ) async throws -> Keyed<Value> {
        guard let key else { return Keyed(value: try await work(), replayed: false) }
        // The middleware checks the raw header; this checks the value the handler was given, which is what is stored.
        guard (1...Self.keyLengthMax).contains(key.count),
            key.unicodeScalars.allSatisfy({ (0x20..<0x7f).contains($0.value) })
        else {
            throw ValidationError(
                .invalidValue, at: "Idempotency-Key", "must be 1 to \(Self.keyLengthMax) printable ASCII characters")
        }
        let hash = Array(SHA256.hash(data: Data(operation.utf8) + [0] + (try JSONCoding.encoder.encode(request))))
        let claimed = try await connection.query(
            """
            INSERT INTO idempotency_keys (user_id, key, operation, request_hash)
            VALUES (\(principal.userID), \(key), \(operation), \(ByteBuffer(bytes: hash)))
            ON CONFLICT (user_id, key) DO NOTHING RETURNING 1
            """, logger: logger)
        var isNew = false
        for try await _ in claimed { isNew = true }
        if isNew {
            let value = try await work()
            let body = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
            try await connection.query(
                """
                UPDATE idempotency_keys SET response_status = 200, response_body = \(body)::jsonb
                 WHERE user_id = \(principal.userID) AND key = \(key)
                """, logger: logger)
            return Keyed(value: value, replayed: false)
        }
        let rows = try await connection.query(
            """
            SELECT operation, request_hash, response_body::text FROM idempotency_keys
             WHERE user_id = \(principal.userID) AND key = \(key)
            """, logger: logger)
        for try await (storedOperation, storedHash, body) in rows.decode((String, ByteBuffer, String?).self) {
            guard storedOperation == operation, Array(storedHash.readableBytesView) == hash else {
                throw StoreError(
                    .idempotencyKeyReused,
                    "Idempotency-Key \(key) was already used for a different request; use a new key for a new request")
            }
            guard let body else { break }
            return Keyed(value: try JSONCoding.decoder.decode(Value.self, from: Data(body.utf8)), replayed: true)
        }
        throw StoreError(.conflict, "Idempotency-Key \(key) is in use by a request that has not finished")
    }
}
