import Crypto
import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import PostgresNIO
import Testing

/// Every operation of the API × every caller: the five roles, a finance official of the other jurisdiction, and no,
/// an expired or a revoked token. The table below is the specification: `+` the caller is let through (the answer
/// may still be 200, 201, 404, 409 or 422 depending on the state, but never 401, 403 or 5xx), `-` the caller is
/// refused with 403, and the last three columns are always 401 (public operations aside). Bodies are valid, so that
/// only the caller decides.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin, finance, otherFinance, approver, assessor, auditor, none, expired, revoked
    }

    struct Row: Sendable {
        let operation: String
        let method: HTTPRequest.Method
        let path: String
        let body: String?
        /// admin, finance (Beijing), finance (Tianjin, for Beijing's data), approver, assessor, auditor
        let allowed: String
    }

    @Test func everyOperationLetsInExactlyTheCallersItShould() async throws {
        try await APIHarness.with(signingKey: Curve25519.Signing.PrivateKey().rawRepresentation) { api in
            // State for the operations to act on.
            try await AssessmentTests.openPeriod(api)
            #expect(
                try await api.call(
                    .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
                ).status == 201)
            try await DisbursementTests.fund(api, "5000.00")
            let contribution = try #require(
                try await api.call(.get, "/v1/contributions", token: api.tokens.auditor).items.first?["id"] as? String)
            let run = try await DisbursementTests.propose(api, key: "matrix-run")
            let unknown = UUID().uuidString
            let reason = #"{"reason":"authorization matrix"}"#

            let rows: [Row] = [
                // operation                 method  path                                               body           A F O P S U
                Row(operation: "getHealth", method: .get, path: "/healthz", body: nil, allowed: "++++++"),
                Row(
                    operation: "listJurisdictions", method: .get, path: "/v1/jurisdictions", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "getJurisdiction", method: .get, path: "/v1/jurisdictions/hebei", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "putJurisdiction", method: .put, path: "/v1/jurisdictions/xiongan",
                    body:
                        #"{"name":"Xiong'an","nameZh":"雄安新区","level":"city","parent":"hebei","population":"1205000.00","ecologicalArea":"1770.00","envSpendingPerCapita":"300.00"}"#,
                    allowed: "+-----"),
                Row(operation: "listAccounts", method: .get, path: "/v1/accounts", body: nil, allowed: "++++++"),
                Row(
                    operation: "getAccount", method: .get, path: "/v1/accounts/fund:cash", body: nil, allowed: "++++++"),
                Row(
                    operation: "createContribution", method: .post, path: "/v1/contributions",
                    body: APIHarness.contribution(amount: "1.00", reference: "MATRIX"), allowed: "++----"),
                Row(
                    operation: "listContributions", method: .get, path: "/v1/contributions", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "getContribution", method: .get, path: "/v1/contributions/\(contribution)", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "reverseContribution", method: .post, path: "/v1/contributions/\(contribution)/reversal",
                    body: reason, allowed: "++----"),
                Row(
                    operation: "createCommitment", method: .post, path: "/v1/commitments",
                    body: #"{"contributor":"beijing","fiscalYear":2031,"amount":"100.00","currency":"CNY"}"#,
                    allowed: "++----"),
                Row(operation: "listCommitments", method: .get, path: "/v1/commitments", body: nil, allowed: "++++++"),
                Row(
                    operation: "getTrialBalance", method: .get, path: "/v1/reports/trial-balance", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "createAssessmentScheme", method: .post, path: "/v1/assessment-schemes",
                    body: AssessmentTests.scheme, allowed: "+---+-"),
                Row(
                    operation: "getAssessmentScheme", method: .get, path: "/v1/assessment-schemes/green", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "createAssessmentPeriod", method: .post, path: "/v1/assessment-periods",
                    body: #"{"code":"2031","scheme":"green","jurisdictions":["chengde"]}"#, allowed: "+---+-"),
                Row(
                    operation: "getAssessmentPeriod", method: .get, path: "/v1/assessment-periods/2025", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "putScore", method: .put, path: "/v1/assessment-periods/2025/scores/chengde",
                    body: AssessmentTests.values(forest: "40", pm25: "35", reason: "matrix"), allowed: "+---+-"),
                Row(
                    operation: "listScores", method: .get, path: "/v1/assessment-periods/2025/scores", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "getScore", method: .get, path: "/v1/assessment-periods/2025/scores/chengde", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "getScoreHistory", method: .get,
                    path: "/v1/assessment-periods/2025/scores/chengde/history", body: nil, allowed: "++++++"),
                Row(
                    operation: "finalizeAssessmentPeriod", method: .post, path: "/v1/assessment-periods/2031/finalize",
                    body: nil, allowed: "+---+-"),
                Row(
                    operation: "reopenAssessmentPeriod", method: .post, path: "/v1/assessment-periods/2031/reopen",
                    body: reason, allowed: "+---+-"),
                Row(
                    operation: "publishAllocationRule", method: .post, path: "/v1/allocation-rules",
                    body: DisbursementTests.rule(code: "matrix"), allowed: "+-----"),
                Row(
                    operation: "getAllocationRule", method: .get, path: "/v1/allocation-rules/simple", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "previewAllocation", method: .post, path: "/v1/allocation-rules/simple/preview",
                    body: "{}", allowed: "++++--"),
                Row(
                    operation: "proposeRun", method: .post, path: "/v1/disbursement-runs",
                    body: #"{"rule":"simple","valueDate":"2026-02-01"}"#, allowed: "-+++--"),
                Row(operation: "listRuns", method: .get, path: "/v1/disbursement-runs", body: nil, allowed: "++++++"),
                Row(
                    operation: "getRun", method: .get, path: "/v1/disbursement-runs/\(run)", body: nil,
                    allowed: "++++++"),
                Row(
                    operation: "rejectRun", method: .post, path: "/v1/disbursement-runs/\(unknown)/reject",
                    body: reason,
                    allowed: "---+--"),
                Row(
                    operation: "cancelRun", method: .post, path: "/v1/disbursement-runs/\(unknown)/cancel",
                    body: reason,
                    allowed: "---+--"),
                Row(
                    operation: "approveRun", method: .post, path: "/v1/disbursement-runs/\(run)/approve", body: nil,
                    allowed: "---+--"),
                Row(
                    operation: "postRun", method: .post, path: "/v1/disbursement-runs/\(run)/post", body: nil,
                    allowed: "---+--"),
                Row(
                    operation: "confirmPayment", method: .post, path: "/v1/disbursement-runs/\(run)/payments",
                    body: #"{"recipient":"chengde","bankReference":"MATRIX-1"}"#, allowed: "---+--"),
                Row(operation: "listAuditEvents", method: .get, path: "/v1/audit/events", body: nil, allowed: "+----+"),
                Row(
                    operation: "getCheckpoint", method: .get, path: "/v1/audit/checkpoint", body: nil, allowed: "+----+"
                ),
                Row(
                    operation: "getPublicKey", method: .get, path: "/v1/audit/public-key", body: nil, allowed: "+----+"),
                Row(
                    operation: "getInclusionProof", method: .get, path: "/v1/audit/proofs/inclusion?index=0&treeSize=1",
                    body: nil, allowed: "+----+"),
                Row(
                    operation: "getConsistencyProof", method: .get, path: "/v1/audit/proofs/consistency?from=1&to=1",
                    body: nil, allowed: "+----+"),
                Row(operation: "getAuditExport", method: .get, path: "/v1/audit/export", body: nil, allowed: "-----+"),
                Row(
                    operation: "createToken", method: .post, path: "/v1/tokens",
                    body: #"{"subject":"matrix.auditor","role":"auditor"}"#, allowed: "+-----"),
                Row(
                    operation: "revokeToken", method: .delete, path: "/v1/tokens/\(unknown)", body: nil,
                    allowed: "+-----"),
            ]
            let tokens = try await Self.tokens(api)
            var mismatches: [String] = []
            for row in rows {
                for caller in Caller.allCases {
                    let reply = try await api.call(
                        row.method, row.path, token: tokens[caller], key: "matrix-\(UUID())", json: row.body)
                    let expected = Self.expectation(row, caller)
                    if !expected.matches(reply.status) {
                        mismatches.append(
                            "\(row.operation) as \(caller.rawValue): \(reply.status), expected \(expected) — "
                                + String(decoding: reply.body.prefix(200), as: UTF8.self))
                    }
                }
            }
            #expect(mismatches == [], "\(mismatches.joined(separator: "\n"))")
            // Every operation of the OpenAPI document has its row.
            let documented = try String(contentsOf: Self.specification, encoding: .utf8)
                .split(separator: "\n").compactMap { line -> String? in
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    return trimmed.hasPrefix("operationId: ") ? String(trimmed.dropFirst("operationId: ".count)) : nil
                }
            let covered = Set(rows.map(\.operation) + ["getReadiness"])
            #expect(Set(documented).subtracting(covered) == [], "operations without a row")
        }
    }

    static var specification: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/EcoFundAPI/openapi.yaml")
    }

    enum Expectation: CustomStringConvertible {
        case through, forbidden, unauthenticated

        func matches(_ status: Int) -> Bool {
            switch self {
            case .through: return ![401, 403].contains(status) && status < 500
            case .forbidden: return status == 403
            case .unauthenticated: return status == 401
            }
        }

        var description: String {
            switch self {
            case .through: return "let through"
            case .forbidden: return "403"
            case .unauthenticated: return "401"
            }
        }
    }

    static func expectation(_ row: Row, _ caller: Caller) -> Expectation {
        let columns: [Caller] = [.admin, .finance, .otherFinance, .approver, .assessor, .auditor]
        if let index = columns.firstIndex(of: caller) {
            return Array(row.allowed)[index] == "+" ? .through : .forbidden
        }
        return row.operation == "getHealth" ? .through : .unauthenticated
    }

    /// A token per caller: the harness's, plus an expired one and a revoked one.
    static func tokens(_ api: APIHarness) async throws -> [Caller: String] {
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
                      FROM users WHERE subject = 'admin'
                    """, logger: owner.logger)
            }
        }
        let issued = try await api.call(
            .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"revoked.admin","role":"admin"}"#)
        let revoked = try #require(issued.string("token"))
        let id = try #require(issued.string("id"))
        #expect(try await api.call(.delete, "/v1/tokens/\(id)", token: api.tokens.admin).status == 204)
        return [
            .admin: api.tokens.admin, .finance: api.tokens.financeBeijing, .otherFinance: api.tokens.financeTianjin,
            .approver: api.tokens.approver, .assessor: api.tokens.assessor, .auditor: api.tokens.auditor,
            .expired: expired.text, .revoked: revoked,
        ]
    }
}
