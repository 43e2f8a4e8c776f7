import EcoFundCore
import EcoFundStore
import Foundation
import PostgresNIO
import Testing

@Suite struct AuthenticationTests {
    @Test func healthIsPublicAndReadinessChecksTheDatabase() async throws {
        try await APIHarness.with { api in
            #expect(try await api.call(.get, "/healthz", token: nil).status == 200)
            #expect(try await api.call(.get, "/readyz", token: nil).status == 200)
            let spec = try await api.call(.get, "/openapi.yaml", token: nil)
            #expect(spec.status == 200)
            #expect(String(decoding: spec.body, as: UTF8.self).contains("operationId: createContribution"))
        }
    }

    @Test func missingWrongExpiredAndRevokedTokensGet401() async throws {
        try await APIHarness.with { api in
            let path = "/v1/accounts"
            let missing = try await api.call(.get, path, token: nil)
            #expect(missing.status == 401)
            #expect(missing.isProblem)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await api.call(.get, path, token: "efl_not-a-real-token").status == 401)
            #expect(try await api.call(.get, path, token: "something else").status == 401)

            // An expired token: written by the owner with dates in the past (the service never does this).
            let expired = BearerToken.generate()
            try await api.database.withOwner { owner in
                try await owner.transaction { connection in
                    try await connection.query(
                        "INSERT INTO audit_events (type, actor, payload) VALUES ('test.expired', 'test', '{}')",
                        logger: owner.logger)
                    try await connection.query(
                        """
                        INSERT INTO tokens (id, user_id, token_hash, created_at, expires_at)
                        SELECT \(UUID()), id, \(ByteBuffer(bytes: BearerToken.hash(expired.text))), now() - interval '2 days', now() - interval '1 day'
                          FROM users WHERE subject = 'sun.auditor'
                        """, logger: owner.logger)
                }
            }
            #expect(try await api.call(.get, path, token: expired.text).status == 401)

            let issued = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"temp.auditor","role":"auditor"}"#)
            #expect(issued.status == 201)
            let secret = try #require(issued.string("token"))
            let id = try #require(issued.string("id"))
            #expect(try await api.call(.get, path, token: secret).status == 200)
            #expect(try await api.call(.delete, "/v1/tokens/\(id)", token: api.tokens.admin).status == 204)
            #expect(try await api.call(.get, path, token: secret).status == 401)
            // Revoking again is not an error; revoking what does not exist is a 404.
            #expect(try await api.call(.delete, "/v1/tokens/\(id)", token: api.tokens.admin).status == 204)
            #expect(try await api.call(.delete, "/v1/tokens/\(UUID())", token: api.tokens.admin).status == 404)
        }
    }

    @Test func onlyAdminsIssueTokensAndFinanceTokensNeedAKnownJurisdiction() async throws {
        try await APIHarness.with { api in
            let body = #"{"subject":"new.finance","role":"finance","jurisdiction":"tianjin"}"#
            for token in [api.tokens.auditor, api.tokens.financeBeijing, api.tokens.approver, api.tokens.assessor] {
                #expect(try await api.call(.post, "/v1/tokens", token: token, json: body).status == 403)
            }
            // A finance token waits for a second admin, who gets the secret.
            let asked = try await api.call(.post, "/v1/tokens", token: api.tokens.admin, json: body)
            #expect(asked.status == 202 && asked.string("status") == "pending" && asked.string("token") == nil)
            let id = try #require(asked.string("id"))
            let approved = try await api.call(
                .post, "/v1/access-requests/\(id)/approve", token: api.tokens.secondAdmin, json: "{}")
            #expect(approved.status == 200 && approved.headers[.cacheControl] == "no-store")
            let token = try #require(approved.json["token"] as? [String: Any])
            #expect(
                token["jurisdiction"] as? String == "tianjin" && (token["token"] as? String)?.hasPrefix("efl_") == true)
            let unknown = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin,
                json: #"{"subject":"x.finance","role":"finance","jurisdiction":"shanghai"}"#)
            #expect(unknown.status == 422)
            #expect(unknown.problemPointer == "/jurisdiction")
            let noJurisdiction = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"y.finance","role":"finance"}"#)
            #expect(noJurisdiction.status == 422)
            #expect(noJurisdiction.problemPointer == "/jurisdiction")
            let badRole = try await api.call(
                .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"z","role":"root"}"#)
            #expect(badRole.status == 422)
            #expect(badRole.problemPointer == "/role")
        }
    }

    @Test func rolesDecideWhoMayWrite() async throws {
        try await APIHarness.with { api in
            // A Tianjin finance official may not record Beijing's money.
            let crossed = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeTianjin, key: "k1",
                json: APIHarness.contribution("beijing"))
            #expect(crossed.status == 403)
            #expect(crossed.string("type")?.hasSuffix("/forbidden") == true)
            // An auditor may post nothing.
            for (path, body) in [
                ("/v1/contributions", APIHarness.contribution()),
                ("/v1/commitments", #"{"contributor":"beijing","fiscalYear":2026,"amount":"1.00","currency":"CNY"}"#),
                ("/v1/tokens", #"{"subject":"a","role":"admin"}"#),
            ] {
                #expect(
                    try await api.call(.post, path, token: api.tokens.auditor, key: "k2", json: body).status == 403,
                    "\(path)")
            }
            #expect(
                try await api.call(
                    .put, "/v1/jurisdictions/hebei", token: api.tokens.auditor,
                    json:
                        #"{"name":"Hebei","nameZh":"河北省","level":"province","population":"1","ecologicalArea":"1","envSpendingPerCapita":"1"}"#
                ).status == 403)
            #expect(
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.approver, key: "k3", json: APIHarness.contribution()
                ).status == 403)
            #expect(try await api.count("contributions") == 0)
            // The Beijing official and an admin may.
            #expect(
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "k4",
                    json: APIHarness.contribution()
                ).status == 201)
            #expect(
                try await api.call(
                    .post, "/v1/contributions", token: api.tokens.admin, key: "k5",
                    json: APIHarness.contribution("tianjin")
                ).status == 201)
            // Everyone with a token may read.
            for token in [api.tokens.auditor, api.tokens.approver, api.tokens.assessor, api.tokens.financeTianjin] {
                #expect(try await api.call(.get, "/v1/contributions", token: token).items.count == 2)
            }
        }
    }
}
