import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Jurisdictions and their reference figures; contributors get their revenue account here.
public struct JurisdictionService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    static let selectColumns = """
        SELECT code, name, name_zh, level, parent, population::text, ecological_area::text,
               env_spending_per_capita::text
          FROM jurisdictions
        """

    public func list() async throws -> [Jurisdiction] {
        try await database.read { connection in
            try await Self.select(code: nil, on: connection, logger: logger)
        }
    }

    public func get(_ code: String) async throws -> Jurisdiction {
        guard
            let found = try await database.read({ connection in
                try await Self.select(code: code, on: connection, logger: logger).first
            })
        else {
            throw StoreError(.notFound, "no jurisdiction \(code)")
        }
        return found
    }

    /// Creates or updates a jurisdiction (admin). `contributor: true` opens its `contributions:{code}` account;
    /// accounts are never closed, so `false` leaves an existing one as it is.
    public func put(_ jurisdiction: Jurisdiction, contributor: Bool, by principal: Principal) async throws
        -> Jurisdiction
    {
        try principal.require(.admin, to: "change reference data")
        try jurisdiction.validate()
        return try await database.transaction { connection in
            try await Self.upsert(
                jurisdiction, contributor: contributor, actor: principal.subject, on: connection, logger: logger)
            return jurisdiction
        }
    }

    static func upsert(
        _ jurisdiction: Jurisdiction, contributor: Bool, actor: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        if let parent = jurisdiction.parent {
            guard try await select(code: parent, on: connection, logger: logger).first?.level == .province else {
                throw ValidationError(.unknownReference, at: "/parent", "\(parent) is not a known province")
            }
        }
        try await connection.query(
            """
            INSERT INTO jurisdictions (code, name, name_zh, level, parent, population, ecological_area, env_spending_per_capita)
            VALUES (\(jurisdiction.code), \(jurisdiction.name), \(jurisdiction.nameZh), \(jurisdiction.level.rawValue),
                    \(jurisdiction.parent), \(jurisdiction.population.description)::numeric,
                    \(jurisdiction.ecologicalArea.description)::numeric, \(jurisdiction.envSpendingPerCapita.description)::numeric)
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_zh = EXCLUDED.name_zh, level = EXCLUDED.level,
                parent = EXCLUDED.parent, population = EXCLUDED.population, ecological_area = EXCLUDED.ecological_area,
                env_spending_per_capita = EXCLUDED.env_spending_per_capita, updated_at = now()
            """, logger: logger)
        if contributor {
            let account = AccountCode.contributions(jurisdiction.code)
            try await connection.query(
                """
                INSERT INTO accounts (code, type, jurisdiction, non_negative)
                VALUES (\(account.description), \(account.kind.rawValue), \(jurisdiction.code), \(account.isNonNegative))
                ON CONFLICT (code) DO NOTHING
                """, logger: logger)
        }
        try await AuditRepository.record(
            "jurisdiction.updated", actor: actor,
            payload: JurisdictionEvent(jurisdiction: jurisdiction, contributor: contributor),
            on: connection, logger: logger)
    }

    static func select(code: String?, on connection: PostgresConnection, logger: Logger) async throws -> [Jurisdiction]
    {
        var bindings = PostgresBindings()
        bindings.append(code)
        let sql = selectColumns + " WHERE $1::text IS NULL OR code = $1 ORDER BY level DESC, parent NULLS FIRST, code"
        var jurisdictions: [Jurisdiction] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows.decode((String, String, String, String, String?, String, String, String).self) {
            guard let level = Jurisdiction.Level(rawValue: row.3) else {
                preconditionFailure("jurisdiction \(row.0) has level \(row.3), which the schema does not allow")
            }
            jurisdictions.append(
                Jurisdiction(
                    code: row.0, name: row.1, nameZh: row.2, level: level, parent: row.4,
                    population: try ExactDecimal(parsing: row.5, at: ""),
                    ecologicalArea: try ExactDecimal(parsing: row.6, at: ""),
                    envSpendingPerCapita: try ExactDecimal(parsing: row.7, at: "")))
        }
        return jurisdictions
    }
}

struct JurisdictionEvent: Encodable, Sendable {
    let jurisdiction: Jurisdiction
    let contributor: Bool
}
