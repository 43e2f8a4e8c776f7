import EcoFundCore
import Logging
import PostgresNIO

/// What the database knows that an operator watches: the sealer's lag and the journal's size. Read when asked (a
/// Prometheus scrape), so that every server reports the same figures and a restart loses nothing, from figures that
/// cost a few index lookups however large the books: counts kept by a trigger (Schema/009) and the sealer's watermark.
public struct StoreFigures: Sendable {
    /// Committed audit events the sealer has not yet added to the log.
    public let unsealedEvents: Int64
    /// Journal entries posted, by kind.
    public let entriesByKind: [JournalEntry.Kind: Int64]

    public static func read(_ database: Database) async throws -> StoreFigures {
        let logger = database.logger
        return try await database.read { connection in
            StoreFigures(
                unsealedEvents: try await AuditRepository.unsealedSinceWatermark(on: connection, logger: logger),
                entriesByKind: try await OperationsRepository.entriesByKind(on: connection, logger: logger))
        }
    }
}

/// SQL for the operators' figures.
enum OperationsRepository {
    static func entriesByKind(on connection: PostgresConnection, logger: Logger) async throws
        -> [JournalEntry.Kind: Int64]
    {
        var counts: [JournalEntry.Kind: Int64] = [:]
        let rows = try await connection.query(
            "SELECT kind, entries FROM journal_entry_counts", logger: logger)
        for try await (text, count) in rows.decode((String, Int64).self) {
            guard let kind = JournalEntry.Kind(rawValue: text) else {
                preconditionFailure("a journal entry has kind \(text), which the schema does not allow")
            }
            counts[kind] = count
        }
        return counts
    }
}
