import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// The console's door through its services, on a real database: activation, sign-in, the session, sign-out, and the
/// lock after five failures that holds even against the right password.
@Suite struct SignInTests {
    static let password = "绿色京津冀2025年的春天"

    @Test func aPersonActivatesSignsInAndOutAndASignedOutSessionIsRefused() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                let tokens = TokenService(database: app)
                let sessions = SessionService(database: app, tokens: tokens)
                let activation = try await PeopleService(database: app, tokens: tokens)
                    .bootstrap(try NewPerson(subject: "Zhou.Auditor", role: "auditor", jurisdiction: nil))
                let code = try #require(activation.code)
                await #expect(throws: ValidationError.self) {
                    try await sessions.activate(code: code, password: "short", confirmation: "short")
                }
                let subject = try await sessions.activate(
                    code: code.lowercased(), password: Self.password, confirmation: Self.password)
                #expect(subject == "Zhou.Auditor")
                // A code works once.
                await #expect(throws: SignInError(.unknownActivationCode)) {
                    try await sessions.activate(code: code, password: Self.password, confirmation: Self.password)
                }
                let (ticket, stage) = try await sessions.signIn(subject: "zhou.auditor", password: Self.password)
                #expect(stage == .complete)
                let session = try #require(try await sessions.session(ticket.id))
                #expect(session.principal.subject == "Zhou.Auditor" && session.csrfToken == ticket.csrfToken)
                try await sessions.signOut(session: ticket.id)
                #expect(try await sessions.session(ticket.id) == nil)
            }
        }
    }

    @Test func fiveFailuresLockTheAccountEvenAgainstTheRightPassword() async throws {
        try await TestDatabase.with { database in
            try await database.withApp { (app: Database) async throws in
                let tokens = TokenService(database: app)
                let sessions = SessionService(database: app, tokens: tokens)
                let activation = try await PeopleService(database: app, tokens: tokens)
                    .bootstrap(try NewPerson(subject: "sun.assessor", role: "assessor", jurisdiction: nil))
                _ = try await sessions.activate(
                    code: try #require(activation.code), password: Self.password, confirmation: Self.password)
                for attempt in 1...5 {
                    do {
                        _ = try await sessions.signIn(subject: "sun.assessor", password: "wrong password 123")
                        Issue.record("a wrong password signed in")
                    } catch let error as SignInError {
                        if attempt < 5 {
                            #expect(error.reason == .wrongCredentials)
                        } else {
                            guard case .locked = error.reason else {
                                Issue.record("the fifth failure did not lock: \(error)")
                                continue
                            }
                        }
                    }
                }
                do {
                    _ = try await sessions.signIn(subject: "sun.assessor", password: Self.password)
                    Issue.record("a locked account signed in")
                } catch let error as SignInError {
                    guard case .locked = error.reason else { Issue.record("not locked: \(error)"); return }
                }
                // An unknown name fails as a wrong password does, and locks nothing.
                await #expect(throws: SignInError(.wrongCredentials)) {
                    try await sessions.signIn(subject: "nobody.here", password: Self.password)
                }
            }
        }
    }
}
