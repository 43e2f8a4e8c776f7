import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// A rule that SQL and Swift both need has one definition on each side, named alike (Schema/007): these tests hold
/// each pair to the same answers, so that neither can drift from the other unnoticed.
@Suite struct SharedRulesTests {
    /// One SQL value of `query` with `$1` bound to `argument`.
    static func value<Result: PostgresDecodable & Sendable>(
        _ database: Database, _ sql: String, _ argument: String, as type: Result.Type
    ) async throws -> Result {
        try await database.read { connection in
            var bindings = PostgresBindings()
            bindings.append(argument)
            for try await value in try await connection.query(
                PostgresQuery(unsafeSQL: sql, binds: bindings), logger: database.logger
            ).decode(Result.self) { return value }
            preconditionFailure("a SELECT of one value returned no row")
        }
    }

    @Test func anAccountTypesNormalSideIsTheSameInSQLAndSwift() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                for kind in AccountCode.Kind.allCases {
                    let sql = try await Self.value(
                        app, "SELECT account_normal_debit($1)", kind.rawValue, as: Bool.self)
                    #expect(sql == kind.isDebitNormal, "\(kind)")
                }
                let unknown = try await Self.value(
                    app, "SELECT account_normal_debit($1) IS NULL", "equity", as: Bool.self)
                #expect(unknown, "a type the ledger does not know has no normal side")
            }
        }
    }

    /// Texts near every edge of the patterns: lengths, first characters, case, dashes, dots, non-ASCII letters.
    static let codes = [
        "", "a", "ab", "hebei", "jjj-annual", "a-", "-a", "2025", "2025-H1", "H1", "Hebei", "hEbei", "he_bei",
        "hébei", "河北", "pm25", "forestCoverage", "Pm25", "pm-25", "li.beijing", "ops@ecofund", "a b", "a\u{301}",
        String(repeating: "a", count: 20), String(repeating: "a", count: 21), String(repeating: "a", count: 40),
        String(repeating: "a", count: 41), String(repeating: "z", count: 100), String(repeating: "z", count: 101),
        "1abc", "abc1", "a.b", "x'; --", "ａｂ",
    ]

    @Test func everyCodePatternAnswersTheSameInSQLAndSwift() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                for pattern in CodePattern.allCases {
                    for code in Self.codes {
                        let sql = try await Self.value(app, "SELECT \(pattern.sqlFunction)($1)", code, as: Bool.self)
                        #expect(sql == pattern.matches(code), "\(pattern) \(code.debugDescription)")
                    }
                }
            }
        }
    }

    @Test func anAccountCodeIsTheSameInSQLAndSwift() async throws {
        let accounts = [
            "fund:cash", "fund:other", "contributions:beijing", "disbursements:chengde", "payable:chengde",
            "payable:", "payable", "receivable:chengde", "contributions:a:b", "contributions:Beijing",
            "contributions:b", "cash", "payable:zhang-jia-kou",
        ]
        try await TestDatabase.with { database in
            try await database.withApp { app in
                for code in accounts {
                    let sql = try await Self.value(app, "SELECT is_account_code($1)", code, as: Bool.self)
                    #expect(sql == (AccountCode(code) != nil), "\(code)")
                }
            }
        }
    }

    @Test func anInstantReadsTheSameInSQLAndSwift() async throws {
        let instants = [
            "1970-01-01 00:00:00+00", "2000-02-29 23:59:59.999999+00", "2025-03-15 08:30:00.123456+00",
            "2025-12-31 23:59:59.5+08", "2100-12-31 12:00:00.000001+00", "1969-12-31 23:59:59.25+00",
        ]
        try await TestDatabase.with { database in
            try await database.withApp { app in
                for instant in instants {
                    let sql = try await Self.value(app, "SELECT utc_text($1::timestamptz)", instant, as: String.self)
                    let micros = try await Self.value(
                        app, "SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint", instant, as: Int64.self)
                    #expect(sql == UTCTime.text(microsecondsSinceEpoch: micros), "\(instant)")
                    // And through a Date, as PostgresNIO hands instants to Swift.
                    let date = try await Self.value(app, "SELECT $1::timestamptz", instant, as: Date.self)
                    #expect(sql == UTCTime.text(date), "\(instant) as a Date")
                }
            }
        }
    }

    /// Every edge of every invisible range, one scalar inside and one outside, and some plain texts.
    @Test func visibleTextIsTheSameInSQLAndSwift() async throws {
        var edges = ["", " ", "a", "河北", "\u{200B}", " \u{200B}\u{2060} ", "\u{200B}a", "🇨🇳"]
        for range in Text.invisible {
            for value in [range.lowerBound - 1, range.lowerBound, range.upperBound, range.upperBound + 1] {
                // PostgreSQL stores no NUL, and surrogates are not scalars.
                if let scalar = Unicode.Scalar(value), value != 0 { edges.append(String(Character(scalar))) }
            }
        }
        let texts = edges
        try await TestDatabase.with { database in
            try await database.withApp { app in
                for text in texts {
                    let sql = try await Self.value(app, "SELECT has_visible_text($1)", text, as: Bool.self)
                    let scalars = text.unicodeScalars.map { String($0.value, radix: 16) }
                    #expect(sql == Text.hasVisibleText(text), "U+\(scalars)")
                }
            }
        }
    }

    @Test func whichRolesNeedASecondAdminIsTheSameInSQLAndSwift() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { app in
                for role in Role.allCases {
                    let sql = try await Self.value(app, "SELECT role_moves_money($1)", role.rawValue, as: Bool.self)
                    #expect(sql == AccessRequest.needsApproval(role), "\(role)")
                }
            }
        }
    }
}
