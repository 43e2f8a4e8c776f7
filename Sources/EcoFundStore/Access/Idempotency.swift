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
    static func run<Request: Encodable & Sendable, Value: Codable & Sendable>(
        key: IdempotencyKey?, operation: String, request: Request, principal: Principal,
        on connection: PostgresConnection, logger: Logger,
        work: () async throws -> Value
    ) async throws -> Keyed<Value> {
        guard let key else { return Keyed(value: try await work(), replayed: false) }
        let hash = Array(SHA256.hash(data: Data(operation.utf8) + [0] + (try JSONCoding.encoder.encode(request))))
        let claim = IdempotencyRepository.Claim(
            userID: principal.userID, key: key.text, operation: operation, requestHash: hash)
        if try await IdempotencyRepository.claim(claim, on: connection, logger: logger) {
            let value = try await work()
            let body = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
            try await IdempotencyRepository.storeResponse(body, of: claim, on: connection, logger: logger)
            return Keyed(value: value, replayed: false)
        }
        let unfinished = StoreError(.conflict, "Idempotency-Key \(key) is in use by a request that has not finished")
        guard let first = try await IdempotencyRepository.find(claim, on: connection, logger: logger) else {
            throw unfinished
        }
        guard first.operation == operation, first.requestHash == hash else {
            throw StoreError(
                .idempotencyKeyReused,
                "Idempotency-Key \(key) was already used for a different request; use a new key for a new request")
        }
        guard let body = first.responseBody else { throw unfinished }
        return Keyed(value: try JSONCoding.decoder.decode(Value.self, from: Data(body.utf8)), replayed: true)
    }
}
