import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// SQL for jurisdictions and their reference figures.
enum JurisdictionRepository {
    static let selectColumns = """
        SELECT code, name, name_zh, level, parent, population::text, ecological_area::text,
               env_spending_per_capita::text
          FROM jurisdictions
        """

    static func upsert(_ jurisdiction: Jurisdiction, on connection: PostgresConnection, logger: Logger) async throws {
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
    }

    /// One jurisdiction (`code`) or all, provinces first.
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
