import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import PostgresNIO
import Testing

/// Schema/010 keeps the rules of people and sessions through raw SQL, whatever the code does: a password only with a
/// live activation code, no session for a deactivated or locked user, a deactivation that ends sessions and revokes
/// tokens at once, no revived idle session, codes of at most 72 hours, locks only after five failures.
@Suite struct PeopleSchemaTests {
    static let audit = SchemaInvariantTests.audit
    static let bcrypt = "$2b$12$" + String(repeating: "a", count: 53)
    static func user(_ subject: String) -> String { "(SELECT id FROM users WHERE subject = '\(subject)')" }

    /// An auditor (no second admin needed) with a live activation code, as the service role makes one.
    static func auditorWithCode(_ app: Database, _ subject: String) async throws {
        let made = [
            audit,
            """
            INSERT INTO users (id, subject, role, activation_hash, activation_expires_at)
            VALUES ('\(UUID())', '\(subject)', 'auditor', decode(md5('\(subject)') || md5('\(subject)'), 'hex'), now() + interval '1 hour')
            """,
        ]
        #expect(try await SchemaInvariantTests.failure(app, made) == nil)
    }

    @Test func aPasswordIsSetOnlyWithALiveActivationCode() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                // Made with a password: refused; a code of more than 72 hours: refused.
                let withPassword = [
                    Self.audit,
                    "INSERT INTO users (id, subject, role, password_hash, password_set_at) VALUES ('\(UUID())', 'p.one', 'auditor', '\(Self.bcrypt)', now())",
                ]
                #expect(try await SchemaInvariantTests.failure(app, withPassword) == "42501")
                let longCode = [
                    Self.audit,
                    "INSERT INTO users (id, subject, role, activation_hash, activation_expires_at) VALUES ('\(UUID())', 'p.two', 'auditor', decode(repeat('ab', 32), 'hex'), now() + interval '73 hours')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, longCode) == "23514")
                try await Self.auditorWithCode(app, "p.three")
                // Not bcrypt at cost 12: refused by the CHECK.
                let weak = [
                    Self.audit,
                    "UPDATE users SET password_hash = 'plain', password_set_at = now(), activation_hash = NULL, activation_expires_at = NULL WHERE subject = 'p.three'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, weak) == "23514")
                // Keeping the code while setting a password: refused (a code is used up).
                let keepCode = [
                    Self.audit,
                    "UPDATE users SET password_hash = '\(Self.bcrypt)', password_set_at = now() WHERE subject = 'p.three'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, keepCode) == "42501")
                let activate = [
                    Self.audit,
                    "UPDATE users SET password_hash = '\(Self.bcrypt)', password_set_at = now(), activation_hash = NULL, activation_expires_at = NULL WHERE subject = 'p.three'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, activate) == nil)
            }
        }
    }

    @Test func aDeactivatedUsersSessionsAndTokensStopAtOnceAndStaySo() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                try await Self.auditorWithCode(app, "p.gone")
                let setUp = [
                    Self.audit,
                    "UPDATE users SET password_hash = '\(Self.bcrypt)', password_set_at = now(), activation_hash = NULL, activation_expires_at = NULL WHERE subject = 'p.gone'",
                    "INSERT INTO sessions (id_hash, user_id, csrf_token) VALUES (decode(repeat('cd', 32), 'hex'), \(Self.user("p.gone")), '\(String(repeating: "a", count: 43))')",
                    "INSERT INTO tokens (id, user_id, token_hash, expires_at) VALUES ('\(UUID())', \(Self.user("p.gone")), decode(repeat('ef', 32), 'hex'), now() + interval '1 day')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, setUp) == nil)
                #expect(
                    try await SchemaInvariantTests.failure(
                        app, [Self.audit, "UPDATE users SET deactivated_at = now() WHERE subject = 'p.gone'"]) == nil)
                let rows = try await app.read { connection in
                    try await connection.query(
                        """
                        SELECT (SELECT count(*) FROM sessions WHERE ended_at IS NULL),
                               (SELECT count(*) FROM tokens WHERE revoked_at IS NULL)
                        """, logger: app.logger
                    ).collect()
                }
                let (open, live) = try rows[0].decode((Int64, Int64).self)
                #expect(open == 0 && live == 0)
                // No new session, no revival, no coming back.
                let again = [
                    Self.audit,
                    "INSERT INTO sessions (id_hash, user_id, csrf_token) VALUES (decode(repeat('12', 32), 'hex'), \(Self.user("p.gone")), '\(String(repeating: "b", count: 43))')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, again) == "42501")
                let reopen = [Self.audit, "UPDATE sessions SET ended_at = NULL, end_reason = NULL"]
                #expect(try await SchemaInvariantTests.failure(app, reopen) == "42501")
                let back = [Self.audit, "UPDATE users SET deactivated_at = NULL WHERE subject = 'p.gone'"]
                #expect(try await SchemaInvariantTests.failure(app, back) == "42501")
            }
        }
    }

    @Test func anIdleSessionIsNotRevivedAndALockFollowsFiveFailures() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                try await Self.auditorWithCode(app, "p.idle")
                let setUp = [
                    Self.audit,
                    "UPDATE users SET password_hash = '\(Self.bcrypt)', password_set_at = now(), activation_hash = NULL, activation_expires_at = NULL WHERE subject = 'p.idle'",
                    "INSERT INTO sessions (id_hash, user_id, csrf_token) VALUES (decode(repeat('cd', 32), 'hex'), \(Self.user("p.idle")), '\(String(repeating: "a", count: 43))')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, setUp) == nil)
                // The guard stamps the times itself: a session cannot be made to look younger.
                let younger = ["UPDATE sessions SET last_seen_at = last_seen_at - interval '1 minute'"]
                #expect(try await SchemaInvariantTests.failure(app, younger) == "42501")
                let lockEarly = [
                    Self.audit,
                    "UPDATE users SET locked_until = now() + interval '10 minutes' WHERE subject = 'p.idle'",
                ]
                #expect(try await SchemaInvariantTests.failure(app, lockEarly) == "23514")
                let failures = Array(
                    repeating: "INSERT INTO sign_in_failures (user_id) VALUES (\(Self.user("p.idle")))", count: 5)
                let lockTooLong =
                    [Self.audit] + failures + [
                        "UPDATE users SET locked_until = now() + interval '16 minutes' WHERE subject = 'p.idle'"
                    ]
                #expect(try await SchemaInvariantTests.failure(app, lockTooLong) == "23514")
                let lock =
                    [Self.audit] + failures + [
                        "UPDATE users SET locked_until = now() + interval '15 minutes' WHERE subject = 'p.idle'"
                    ]
                #expect(try await SchemaInvariantTests.failure(app, lock) == nil)
                let lockedSession = [
                    Self.audit,
                    "INSERT INTO sessions (id_hash, user_id, csrf_token) VALUES (decode(repeat('34', 32), 'hex'), \(Self.user("p.idle")), '\(String(repeating: "c", count: 43))')",
                ]
                #expect(try await SchemaInvariantTests.failure(app, lockedSession) == "42501")
            }
            // Made idle by the owner (time cannot be moved otherwise), then kept alive by the service: refused.
            try await database.withOwner { (owner: Database) async throws in
                _ = try await owner.transaction { connection in
                    try await connection.query(
                        "ALTER TABLE sessions DISABLE TRIGGER sessions_guard", logger: owner.logger)
                    try await connection.query(
                        "UPDATE sessions SET created_at = now() - interval '2 hours', last_seen_at = now() - interval '31 minutes'",
                        logger: owner.logger)
                    try await connection.query(
                        "ALTER TABLE sessions ENABLE TRIGGER sessions_guard", logger: owner.logger)
                }
            }
            try await database.withApp { (app: Database) async throws in
                let revive = ["UPDATE sessions SET last_seen_at = now()"]
                #expect(try await SchemaInvariantTests.failure(app, revive) == "42501")
            }
        }
    }

    @Test func thePolicysNumbersAreTheSchemas() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                let rows = try await app.read { connection in
                    try await connection.query(
                        """
                        SELECT session_is_live(now() - interval '11 hours 59 minutes', now() - interval '29 minutes', NULL),
                               session_is_live(now() - interval '12 hours 1 minute', now(), NULL),
                               session_is_live(now(), now() - interval '31 minutes', NULL),
                               role_needs_second_factor('approver'), role_needs_second_factor('admin'),
                               role_needs_second_factor('finance'), role_needs_second_factor('auditor'),
                               role_needs_second_factor('assessor')
                        """, logger: app.logger
                    ).collect()
                }
                let values = try rows[0].decode((Bool, Bool, Bool, Bool, Bool, Bool, Bool, Bool).self)
                let now = Date()
                #expect(
                    values.0
                        == SignInPolicy.isLive(
                            createdAt: now.addingTimeInterval(-(12 * 3600 - 60)),
                            lastSeenAt: now.addingTimeInterval(-29 * 60),
                            endedAt: nil, now: now))
                #expect(
                    values.1
                        == SignInPolicy.isLive(
                            createdAt: now.addingTimeInterval(-(12 * 3600 + 60)), lastSeenAt: now, endedAt: nil,
                            now: now))
                #expect(
                    values.2
                        == SignInPolicy.isLive(
                            createdAt: now, lastSeenAt: now.addingTimeInterval(-31 * 60), endedAt: nil, now: now))
                let sql = [values.3, values.4, values.5, values.6, values.7]
                #expect(sql == [Role.approver, .admin, .finance, .auditor, .assessor].map(\.needsSecondFactor))
            }
        }
    }
}
