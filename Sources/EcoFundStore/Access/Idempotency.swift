import Crypto
import EcoFundCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

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
        let encoded = try JSONCoding.encoder.encode(request)
        let made = claim(key, operation: operation, request: encoded, principal: principal)
        return try await run(made, on: connection, logger: logger, work: work)
    }

    /// The claim of `key` for this request: the key, whose it is, and a hash of the operation and the request's JSON.
    static func claim(_ key: IdempotencyKey, operation: String, request: Data, principal: Principal)
        -> IdempotencyRepository.Claim
    {
        IdempotencyRepository.Claim(
            userID: principal.userID, key: key.text, operation: operation,
            requestHash: Array(SHA256.hash(data: Data(operation.utf8) + [0] + request)))
    }

    /// Runs `work` under `claim` (none: no key was given). In a batch written in one go (``BatchedKeys``) the claim
    /// was made for every write of the batch at its start and the response is stored for all at its end; otherwise
    /// both are this write's own statements.
    static func run<Value: Codable & Sendable>(
        _ claim: IdempotencyRepository.Claim?, on connection: PostgresConnection, logger: Logger,
        work: () async throws -> Value
    ) async throws -> Keyed<Value> {
        guard let claim else { return Keyed(value: try await work(), replayed: false) }
        let batch = BatchedKeys.current
        let claimed =
            if let batch { batch.take(claim) } else {
                try await IdempotencyRepository.claim(claim, on: connection, logger: logger)
            }
        if claimed {
            let value = try await work()
            if let batch { return try answer(value, under: claim, in: batch) }
            try await IdempotencyRepository.storeResponse(
                responseBody(value), of: claim, on: connection, logger: logger)
            return Keyed(value: value, replayed: false)
        }
        let key = claim.key
        let unfinished = StoreError(.conflict, "Idempotency-Key \(key) is in use by a request that has not finished")
        guard let first = try await IdempotencyRepository.find(claim, on: connection, logger: logger) else {
            throw unfinished
        }
        guard first.operation == claim.operation, first.requestHash == claim.requestHash else {
            throw StoreError(
                .idempotencyKeyReused,
                "Idempotency-Key \(key) was already used for a different request; use a new key for a new request")
        }
        guard let body = first.responseBody else { throw unfinished }
        return Keyed(value: try JSONCoding.decoder.decode(Value.self, from: Data(body.utf8)), replayed: true)
    }
}

extension Idempotency {
    /// The result of a write done under a claim its batch made (or under no key): its response is stored with the
    /// batch's, after the batch's last write.
    static func answer<Value: Codable & Sendable>(
        _ value: Value, under claim: IdempotencyRepository.Claim?, in batch: BatchedKeys
    ) throws -> Keyed<Value> {
        if let claim { batch.store(try responseBody(value), of: claim) }
        return Keyed(value: value, replayed: false)
    }

    private static func responseBody(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
    }
}

/// The keys of a batch written in one go (``Database`` `commitTogether`): claimed for all its writes in one
/// statement before the first, their responses stored in one statement after the last. Two round trips a batch
/// instead of two a write; in the commit queue a batch's statements run one after another, so each round trip is
/// the batch's time.
///
/// Such a batch either commits whole or is rolled back whole and written again with a savepoint for each write,
/// where each claims and stores its own; so a claim here never outlives a write that failed. A key that two writes
/// of the batch share is taken by the first; the second finds it unfinished, which sends the batch to that second
/// writing, where it is replayed.
final class BatchedKeys: Sendable {
    @TaskLocal static var current: BatchedKeys?

    private struct State {
        var claimed: Set<IdempotencyRepository.ClaimID>
        var responses: [(claim: IdempotencyRepository.Claim, body: String)] = []
    }
    private let state: Mutex<State>

    init(claimed: Set<IdempotencyRepository.ClaimID>) { state = Mutex(State(claimed: claimed)) }

    /// Whether the batch's claim made `claim` for this write: once only.
    func take(_ claim: IdempotencyRepository.Claim) -> Bool {
        state.withLock { $0.claimed.remove(claim.id) != nil }
    }

    func store(_ body: String, of claim: IdempotencyRepository.Claim) {
        state.withLock { $0.responses.append((claim, body)) }
    }

    var responses: [(claim: IdempotencyRepository.Claim, body: String)] { state.withLock { $0.responses } }
}
