import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for access requests: one admin asks, a second decides, once (Schema/008).
enum AccessRequestRepository {
    static let selectColumns = """
        SELECT a.id, a.kind, a.subject, a.role, a.jurisdiction, a.lifetime_days, r.subject, a.requested_at, a.status,
               d.subject, a.decided_at, a.reason, a.requested_by
          FROM access_requests a JOIN users r ON r.id = a.requested_by LEFT JOIN users d ON d.id = a.decided_by
        """

    static func insert(
        id: UUID, kind: AccessRequest.Kind, subject: String, role: Role, jurisdiction: String?, lifetimeDays: Int?,
        by principal: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO access_requests (id, kind, subject, role, jurisdiction, lifetime_days, requested_by)
            VALUES (\(id), \(kind.rawValue), \(subject), \(role.rawValue), \(jurisdiction), \(lifetimeDays.map(Int32.init)),
                    \(principal.userID))
            """, logger: logger)
    }

    typealias Row = (UUID, String, String, String, String?, Int?, String, Date, String, String?, Date?, String?, UUID)

    /// One request and who asked for it, locked for deciding when `forUpdate`.
    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger)
        async throws -> (request: AccessRequest, requestedBy: UUID)?
    {
        var bindings = PostgresBindings()
        bindings.append(id)
        let sql = selectColumns + " WHERE a.id = $1" + (forUpdate ? " FOR UPDATE OF a" : "")
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode(Row.self) { return (request(row), row.12) }
        return nil
    }

    /// Requests, the oldest first; of one status when asked.
    static func list(status: AccessRequest.Status?, on connection: PostgresConnection, logger: Logger) async throws
        -> [AccessRequest]
    {
        var bindings = PostgresBindings()
        bindings.append(status?.rawValue)
        let sql =
            selectColumns
            + " WHERE $1::text IS NULL OR a.status = $1 ORDER BY a.requested_at, a.id LIMIT \(AccessService.listMax)"
        var requests: [AccessRequest] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode(Row.self) { requests.append(request(row)) }
        return requests
    }

    static func decide(
        _ id: UUID, _ status: AccessRequest.Status, reason: String?, by principal: Principal,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE access_requests SET status = \(status.rawValue), decided_by = \(principal.userID), reason = \(reason)
             WHERE id = \(id)
            """, logger: logger)
    }

    /// A request as stored; values the schema does not allow are a broken store, not something to show.
    private static func request(_ row: Row) -> AccessRequest {
        guard let kind = AccessRequest.Kind(rawValue: row.1), let role = Role(rawValue: row.3),
            let status = AccessRequest.Status(rawValue: row.8)
        else { preconditionFailure("access request \(row.0) has kind \(row.1), role \(row.3), status \(row.8)") }
        return AccessRequest(
            id: row.0, kind: kind, subject: row.2, role: role, jurisdiction: row.4, lifetimeDays: row.5,
            requestedBy: row.6, requestedAt: row.7, status: status, decidedBy: row.9, decidedAt: row.10,
            reason: row.11)
    }
}
