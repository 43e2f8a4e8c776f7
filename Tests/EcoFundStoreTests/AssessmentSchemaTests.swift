import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// The assessment tables refuse, through raw SQL, what the service never does.
@Suite struct AssessmentSchemaTests {
    static let audit = SchemaInvariantTests.audit
    static let user = "(SELECT id FROM users WHERE subject = 'demo-seed')"

    static func scheme(code: String, weights: [String]) -> [String] {
        var statements = [
            audit,
            "INSERT INTO assessment_schemes (code, version, name, created_by) VALUES ('\(code)', 1, 'S', \(user))",
        ]
        for (index, weight) in weights.enumerated() {
            statements.append(
                """
                INSERT INTO assessment_indicators
                    (scheme_code, scheme_version, position, code, name, name_zh, weight, direction, floor, ceiling, unit)
                VALUES ('\(code)', 1, \(index + 1), 'i\(index)', 'I', 'I', \(weight), 'higherIsBetter', 0, 10, '%')
                """)
        }
        return statements
    }

    static let period = [
        audit,
        "INSERT INTO assessment_periods (code, scheme_code, scheme_version, created_by) VALUES ('2025', 'ok', 1, \(user))",
        "INSERT INTO assessment_period_members VALUES ('2025', 'chengde'), ('2025', 'tangshan')",
    ]

    static func score(_ jurisdiction: String, revision: Int, reason: String? = nil) -> [String] {
        [
            audit,
            """
            INSERT INTO assessment_scores (period_code, jurisdiction, revision, "values", composite, reason, recorded_by)
            VALUES ('2025', '\(jurisdiction)', \(revision), '{"i0":"5","i1":"5"}', 50, \(reason.map { "'\($0)'" } ?? "NULL"), \(user))
            """,
        ]
    }

    @Test func schemesMustWeighExactlyOneAndStayAsPublished() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.scheme(code: "bad", weights: ["0.5", "0.49"]))
                        == "23000")
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.scheme(code: "none", weights: [])) == "23000")
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.scheme(code: "ok", weights: ["0.5", "0.5"]))
                        == nil)
                let late = [
                    Self.audit,
                    """
                    INSERT INTO assessment_indicators
                        (scheme_code, scheme_version, position, code, name, name_zh, weight, direction, floor, ceiling, unit)
                    VALUES ('ok', 1, 3, 'extra', 'E', 'E', 0.1, 'higherIsBetter', 0, 1, '%')
                    """,
                ]
                #expect(try await SchemaInvariantTests.failure(owner, late) == "23000")
                #expect(
                    try await SchemaInvariantTests.failure(owner, ["UPDATE assessment_indicators SET weight = 0.7"])
                        == "42501")
                let inverted = Self.scheme(code: "inv", weights: ["1"]).map {
                    $0.replacingOccurrences(of: "0, 10,", with: "10, 0,")
                }
                #expect(try await SchemaInvariantTests.failure(owner, inverted) == "23514")
            }
        }
    }

    @Test func scoresAreAppendOnlyRevisionsOfAnOpenPeriod() async throws {
        try await TestDatabase.with { database in
            try await database.withOwner { (owner: Database) async throws in
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.scheme(code: "ok", weights: ["0.5", "0.5"]))
                        == nil)
                #expect(try await SchemaInvariantTests.failure(owner, Self.period) == nil)
                #expect(try await SchemaInvariantTests.failure(owner, Self.score("chengde", revision: 1)) == nil)
                // A revision needs a reason, and must be the next number.
                #expect(try await SchemaInvariantTests.failure(owner, Self.score("chengde", revision: 2)) == "23514")
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.score("chengde", revision: 3, reason: "skip"))
                        == "23505")
                #expect(
                    try await SchemaInvariantTests.failure(owner, ["UPDATE assessment_scores SET composite = 99"])
                        == "42501")
                #expect(try await SchemaInvariantTests.failure(owner, ["DELETE FROM assessment_scores"]) == "42501")
                // A period with a jurisdiction unscored cannot be finalized.
                let finalize = [Self.audit, "UPDATE assessment_periods SET status = 'finalized', revision = 2"]
                #expect(try await SchemaInvariantTests.failure(owner, finalize) == "55000")
                #expect(try await SchemaInvariantTests.failure(owner, Self.score("tangshan", revision: 1)) == nil)
                #expect(try await SchemaInvariantTests.failure(owner, finalize) == nil)
                // Nothing is written to a finalized period.
                #expect(
                    try await SchemaInvariantTests.failure(owner, Self.score("chengde", revision: 2, reason: "late"))
                        == "55000")
                let swap = [
                    Self.audit, "UPDATE assessment_periods SET scheme_version = 2, status = 'open', revision = 3",
                ]
                #expect(try await SchemaInvariantTests.failure(owner, swap) == "42501")
                let unaudited = ["UPDATE assessment_periods SET status = 'open', revision = 3"]
                #expect(try await SchemaInvariantTests.failure(owner, unaudited) == "23000")
            }
            try await database.withApp { (app: Database) async throws in
                #expect(
                    try await SchemaInvariantTests.failure(app, ["UPDATE assessment_scores SET composite = 99"])
                        == "42501")
                #expect(
                    try await SchemaInvariantTests.failure(app, ["UPDATE assessment_periods SET scheme_code = 'x'"])
                        == "42501")
            }
        }
    }
}
