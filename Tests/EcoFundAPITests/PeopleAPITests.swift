import Foundation
import HTTPTypes
import Testing

/// The `/v1/users` rows of DESIGN.md: people with activation codes, created at once or through a second admin,
/// deactivated with their sessions and tokens, and recoded.
@Suite struct PeopleAPITests {
    @Test func anAssessorIsCreatedAtOnceWithACodeShownOnce() async throws {
        try await APIHarness.with { api in
            let body = #"{"subject":"sun.assessor","role":"assessor"}"#
            let created = try await api.call(.post, "/v1/users", token: api.tokens.admin, key: "p1", json: body)
            #expect(created.status == 201 && created.headers[.cacheControl] == "no-store")
            let activation = try #require(created.json["activation"] as? [String: Any])
            let code = try #require(activation["code"] as? String)
            #expect(code.count == 23, "20 characters in four groups: \(code)")
            let person = try #require(created.json["person"] as? [String: Any])
            #expect(person["activated"] as? Bool == false && person["role"] as? String == "assessor")
            // A replay answers with the same person and no code: it is not stored, only its hash.
            let replay = try await api.call(.post, "/v1/users", token: api.tokens.admin, key: "p1", json: body)
            #expect(replay.status == 201 && (replay.json["activation"] as? [String: Any])?["code"] == nil)
            let list = try await api.call(.get, "/v1/users", token: api.tokens.admin)
            #expect(list.items.contains { $0["subject"] as? String == "sun.assessor" })
            #expect(
                try await api.count("audit_events WHERE type = 'user.created' AND payload->>'subject' = 'sun.assessor'")
                    == 1)
        }
    }

    @Test func aFinanceOfficialWaitsForASecondAdmin() async throws {
        try await APIHarness.with { api in
            let asked = try await api.call(
                .post, "/v1/users", token: api.tokens.admin,
                json: #"{"subject":"liu.beijing","role":"finance","jurisdiction":"beijing"}"#)
            #expect(asked.status == 202 && asked.string("kind") == "person" && asked.string("status") == "pending")
            #expect(try await api.count("users WHERE subject = 'liu.beijing'") == 0)
            let id = try #require(asked.string("id"))
            let approved = try await api.call(
                .post, "/v1/access-requests/\(id)/approve", token: api.tokens.secondAdmin, json: "{}")
            #expect(approved.status == 200)
            #expect((approved.json["activation"] as? [String: Any])?["code"] is String)
            #expect(try await api.count("users WHERE subject = 'liu.beijing' AND activation_hash IS NOT NULL") == 1)
        }
    }

    @Test func deactivationStopsTheTokensAndCannotBeDoneToOneself() async throws {
        try await APIHarness.with { api in
            let issued = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"zhou.auditor","role":"auditor"}"#)
            let token = try #require(issued.string("token"))
            #expect(try await api.call(.get, "/v1/audit/checkpoint", token: token).status != 401)
            let users = try await api.call(.get, "/v1/users?limit=100", token: api.tokens.admin)
            let auditor = try #require(users.items.first { $0["subject"] as? String == "zhou.auditor" })
            let id = try #require(auditor["id"] as? String)
            let empty = try await api.call(
                .post, "/v1/users/\(id)/deactivate", token: api.tokens.admin, json: #"{"reason":""}"#)
            #expect(empty.status == 422 || empty.status == 400, "a deactivation needs a reason: \(empty.status)")
            let done = try await api.call(
                .post, "/v1/users/\(id)/deactivate", token: api.tokens.admin, json: #"{"reason":"left the office"}"#)
            #expect(done.status == 200 && done.string("deactivatedAt") != nil)
            #expect(try await api.call(.get, "/v1/audit/checkpoint", token: token).status == 401)
            let recode = try await api.call(.post, "/v1/users/\(id)/activation-code", token: api.tokens.admin)
            #expect(recode.status == 409, "a deactivated person stays so")
            let me = try #require(users.items.first { $0["subject"] as? String == "admin" }?["id"] as? String)
            let own = try await api.call(
                .post, "/v1/users/\(me)/deactivate", token: api.tokens.admin, json: #"{"reason":"bored"}"#)
            #expect(own.status == 403)
        }
    }
}
