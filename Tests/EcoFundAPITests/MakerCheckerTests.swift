import EcoFundCore
import Foundation
import HTTPTypes
import Testing

/// No single person moves money: the probe's two ways around it, closed. A proposer confirmed the payments of their
/// own run; one admin issued a finance and an approver token and moved money with the two.
@Suite struct MakerCheckerTests {
    @Test func theProposerOfARunMayNotConfirmItsPayments() async throws {
        try await APIHarness.with { api in
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                ).status == 201)
            try await DisbursementTests.fund(api, "5000.00")
            // The approver proposes; a second approver approves and posts (as maker-checker allows).
            let run = try await DisbursementTests.propose(api, token: api.tokens.approver, key: "own")
            let second = try await Self.approvedToken(api, subject: "qian.approver", role: "approver")
            for action in ["approve", "post"] {
                #expect(
                    try await api.call(.post, "/v1/disbursement-runs/\(run)/\(action)", token: second, key: action)
                        .status == 200)
            }
            let payment = #"{"recipient":"chengde","bankReference":"FAKE-1"}"#
            let own = try await api.call(
                .post, "/v1/disbursement-runs/\(run)/payments", token: api.tokens.approver, json: payment)
            #expect(own.status == 403 && own.string("type")?.hasSuffix("/maker-checker") == true, "\(own.status)")
            #expect(try await api.count("disbursement_payments") == 0)
            let other = try await api.call(.post, "/v1/disbursement-runs/\(run)/payments", token: second, json: payment)
            #expect(other.status == 200)
        }
    }

    /// The probe, replayed: one admin asks for a finance token and an approver token under two new subjects. Both
    /// wait for a second admin; the asking admin may not approve them; nothing was created until one does.
    @Test func oneAdminCannotMakeTheTokensThatMoveMoney() async throws {
        try await APIHarness.with { api in
            var requests: [String] = []
            for body in [
                #"{"subject":"probe.finance","role":"finance","jurisdiction":"beijing"}"#,
                #"{"subject":"probe.approver","role":"approver"}"#, #"{"subject":"probe.admin","role":"admin"}"#,
            ] {
                let reply = try await api.call(.post, "/v1/tokens", token: api.tokens.admin, json: body)
                #expect(reply.status == 202 && reply.string("token") == nil && reply.string("status") == "pending")
                requests.append(try #require(reply.string("id")))
            }
            #expect(try await api.count("users WHERE subject LIKE 'probe.%'") == 0)
            for id in requests {
                let own = try await api.call(
                    .post, "/v1/access-requests/\(id)/approve", token: api.tokens.admin, json: "{}")
                #expect(own.status == 403 && own.string("type")?.hasSuffix("/maker-checker") == true)
            }
            let queue = try await api.call(.get, "/v1/access-requests?status=pending", token: api.tokens.secondAdmin)
            #expect(Set(queue.items.compactMap { $0["id"] as? String }) == Set(requests))
            // The second admin rejects one, with a reason, and approves another.
            let rejected = try await api.call(
                .post, "/v1/access-requests/\(requests[2])/reject", token: api.tokens.secondAdmin,
                json: #"{"reason":"no third admin is needed"}"#)
            #expect(rejected.status == 200 && rejected.string("status") == "rejected")
            let approved = try await api.call(
                .post, "/v1/access-requests/\(requests[0])/approve", token: api.tokens.secondAdmin, key: "a", json: "{}"
            )
            #expect(approved.status == 200 && approved.headers[.cacheControl] == "no-store")
            let secret = try #require((approved.json["token"] as? [String: Any])?["token"] as? String)
            let works = try await api.call(
                .post, "/v1/contributions", token: secret, key: "c", json: APIHarness.contribution(amount: "1.00"))
            #expect(works.status == 201)
            // A replay shows no secret; deciding again is a conflict.
            let replay = try await api.call(
                .post, "/v1/access-requests/\(requests[0])/approve", token: api.tokens.secondAdmin, key: "a", json: "{}"
            )
            #expect(replay.status == 200 && (replay.json["token"] as? [String: Any])?["token"] == nil)
            let again = try await api.call(
                .post, "/v1/access-requests/\(requests[0])/approve", token: api.tokens.secondAdmin, json: "{}")
            #expect(again.status == 409)
            #expect(try await api.count("audit_events WHERE type LIKE 'access.%'") == 5)
        }
    }

    @Test func aRoleChangeWaitsForASecondAdminAndStopsTheOldTokens() async throws {
        try await APIHarness.with { api in
            let asked = try await api.call(
                .post, "/v1/access-requests", token: api.tokens.admin,
                json: #"{"subject":"SUN.AUDITOR","role":"assessor"}"#)
            #expect(asked.status == 202 && asked.string("subject") == "sun.auditor")
            // Until approved, nothing changes: the auditor still reads the log.
            #expect(try await api.call(.get, "/v1/audit/events", token: api.tokens.auditor).status == 200)
            let id = try #require(asked.string("id"))
            let approved = try await api.call(
                .post, "/v1/access-requests/\(id)/approve", token: api.tokens.secondAdmin, json: "{}")
            #expect(approved.status == 200)
            // The auditor's token was for an auditor: it stops at once on this server.
            #expect(try await api.call(.get, "/v1/jurisdictions", token: api.tokens.auditor).status == 401)
            #expect(try await api.count("users WHERE subject = 'sun.auditor' AND role = 'assessor'") == 1)
            #expect(try await api.count("audit_events WHERE type = 'user.role.changed'") == 1)
        }
    }

    /// `FIN.BJ` and `fin.bj` were two users; now one, kept as first written.
    @Test func subjectsAreOneUserWhateverTheirCase() async throws {
        try await APIHarness.with { api in
            for subject in ["Temp.Auditor", "temp.auditor", "TEMP.AUDITOR"] {
                let reply = try await api.call(
                    .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"\#(subject)","role":"auditor"}"#)
                #expect(reply.status == 201 && reply.string("subject") == "Temp.Auditor", "\(subject)")
            }
            #expect(try await api.count("users WHERE lower(subject) = 'temp.auditor'") == 1)
            let crossed = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"TEMP.auditor","role":"assessor"}"#)
            #expect(crossed.status == 409)
        }
    }

    /// A token of `role` for a new subject, asked for by the harness's admin and approved by the second.
    static func approvedToken(_ api: APIHarness, subject: String, role: String, jurisdiction: String? = nil)
        async throws -> String
    {
        let jurisdictionField = jurisdiction.map { #","jurisdiction":"\#($0)""# } ?? ""
        let asked = try await api.call(
            .post, "/v1/tokens", token: api.tokens.admin,
            json: #"{"subject":"\#(subject)","role":"\#(role)"\#(jurisdictionField)}"#)
        let id = try #require(asked.string("id"))
        let approved = try await api.call(
            .post, "/v1/access-requests/\(id)/approve", token: api.tokens.secondAdmin, json: "{}")
        return try #require((approved.json["token"] as? [String: Any])?["token"] as? String)
    }
}
