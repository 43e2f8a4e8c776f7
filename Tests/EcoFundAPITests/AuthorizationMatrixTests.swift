import Crypto
import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import PostgresNIO
import Testing

/// Every operation of the API × every caller: the five roles, a finance official of the other jurisdiction, and no,
/// an expired or a revoked token. ``allowed`` is the specification: `+` the caller is let through (the answer may
/// still be 200, 201, 404, 409 or 422 depending on the state, but never 401, 403 or 5xx), `-` the caller is refused
/// with 403, and the last three columns are always 401 (public operations aside). Bodies are valid, so that only the
/// caller decides. The same table is checked against the services themselves (``ServiceAuthorizationTests``), so a
/// service that lost its check fails even when every handler in front of it is bypassed.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin, finance, otherFinance, approver, assessor, auditor, none, expired, revoked

        /// The callers that are people with a role (the rest have no valid token).
        static let roles: [Caller] = [.admin, .finance, .otherFinance, .approver, .assessor, .auditor]
    }

    /// Who may call each operation: admin, finance (Beijing), finance (Tianjin, for Beijing's data), approver,
    /// assessor, auditor.
    static let allowed: [String: String] = [
        "getHealth": "++++++",
        "listJurisdictions": "++++++",
        "getJurisdiction": "++++++",
        "putJurisdiction": "+-----",
        "listAccounts": "++++++",
        "getAccount": "++++++",
        "createContribution": "++----",
        "listContributions": "++++++",
        "getContribution": "++++++",
        "reverseContribution": "++----",
        "createCommitment": "++----",
        "listCommitments": "++++++",
        "getTrialBalance": "++++++",
        "getFundStatement": "++++++",
        "createAssessmentScheme": "+---+-",
        "getAssessmentScheme": "++++++",
        "createAssessmentPeriod": "+---+-",
        "getAssessmentPeriod": "++++++",
        "putScore": "+---+-",
        "listScores": "++++++",
        "getScore": "++++++",
        "getScoreHistory": "++++++",
        "finalizeAssessmentPeriod": "+---+-",
        "reopenAssessmentPeriod": "+---+-",
        "publishAllocationRule": "+-----",
        "getAllocationRule": "++++++",
        "previewAllocation": "++++--",
        "proposeRun": "-+++--",
        "listRuns": "++++++",
        "getRun": "++++++",
        "rejectRun": "---+--",
        "cancelRun": "---+--",
        "approveRun": "---+--",
        "postRun": "---+--",
        "confirmPayment": "---+--",
        "listAuditEvents": "+----+",
        "getCheckpoint": "+----+",
        "getPublicKey": "+----+",
        "getInclusionProof": "+----+",
        "getConsistencyProof": "+----+",
        "getAuditExport": "-----+",
        "createToken": "+-----",
        "revokeToken": "+-----",
        "listAccessRequests": "+-----",
        "requestRoleChange": "+-----",
        "getAccessRequest": "+-----",
        "approveAccessRequest": "+-----",
        "rejectAccessRequest": "+-----",
        "listUsers": "+-----",
        "createUser": "+-----",
        "deactivateUser": "+-----",
        "issueActivationCode": "+-----",
        "listRunAllocations": "++++++",
        "listTargets": "++++++",
        "getTargets": "++++++",
        "putTargets": "+---+-",
        "getTargetHistory": "++++++",
        "listReadings": "++++++",
        "getReadings": "++++++",
        "putReadings": "+---+-",
        "getReadingHistory": "++++++",
        "getMonitor": "++++++",
        "createRecovery": "---+--",
        "listRecoveries": "++++++",
        "listReceivables": "++++++",
        // Maker-checker: the approver proposed this run, so no one here may confirm its payments; the admin asked
        // for this access, so no one here may decide it.
        "confirmPayment.ownRun": "------",
        "approveAccessRequest.ownRequest": "------",
    ]

    /// Targets, readings, the monitor, recoveries and receivables (a recovery from Chengde, which owes nothing, is a
    /// 422 for those let through).
    static let accountabilityRows: [Row] = {
        let period = "/v1/assessment-periods/2025"
        let targets = #"{"targets":[{"indicator":"pm25","value":"30","binding":true}],"reason":"matrix"}"#
        let readings = #"{"values":[{"indicator":"pm25","value":"31"}],"reason":"matrix"}"#
        let recovery = #"{"recipient":"chengde","amount":"1.00","valueDate":"2026-04-20","bankReference":"M-1"}"#
        return [
            Row(operation: "listTargets", method: .get, path: "\(period)/targets", body: nil),
            Row(operation: "getTargets", method: .get, path: "\(period)/targets/chengde", body: nil),
            Row(operation: "putTargets", method: .put, path: "\(period)/targets/chengde", body: targets),
            Row(operation: "getTargetHistory", method: .get, path: "\(period)/targets/chengde/history", body: nil),
            Row(operation: "listReadings", method: .get, path: "\(period)/readings/chengde", body: nil),
            Row(operation: "getReadings", method: .get, path: "\(period)/readings/chengde/2025-07", body: nil),
            Row(operation: "putReadings", method: .put, path: "\(period)/readings/chengde/2025-07", body: readings),
            Row(
                operation: "getReadingHistory", method: .get, path: "\(period)/readings/chengde/2025-07/history",
                body: nil),
            Row(operation: "getMonitor", method: .get, path: "\(period)/monitor", body: nil),
            Row(operation: "createRecovery", method: .post, path: "/v1/recoveries", body: recovery),
            Row(operation: "listRecoveries", method: .get, path: "/v1/recoveries", body: nil),
            Row(operation: "listReceivables", method: .get, path: "/v1/receivables", body: nil),
        ]
    }()

    struct Row: Sendable {
        let operation: String
        let method: HTTPRequest.Method
        let path: String
        let body: String?
    }

    /// What the operations act on: an open period 2025, the rule `simple`, a funded fund, a contribution and a
    /// proposed run.
    struct State: Sendable {
        let contribution: UUID
        let run: UUID
        /// Proposed by the approver.
        let ownRun: UUID
        /// A pending token request of the second admin, and one of the first.
        let secondAdminsRequest: UUID
        let adminsRequest: UUID
    }

    static func prepare(_ api: APIHarness) async throws -> State {
        try await AssessmentTests.openPeriod(api)
        #expect(
            try await api.call(
                .post, "/v1/allocation-rules", token: api.tokens.admin, json: DisbursementTests.rule()
            ).status == 201)
        try await DisbursementTests.fund(api, "5000.00")
        let contribution = try #require(
            try await api.call(.get, "/v1/contributions", token: api.tokens.auditor).items.first?["id"] as? String)
        let run = try await DisbursementTests.propose(api, key: "matrix-run")
        let ownRun = try await DisbursementTests.propose(api, token: api.tokens.approver, key: "matrix-own-run")
        func ask(_ token: String, _ subject: String) async throws -> UUID {
            let reply = try await api.call(
                .post, "/v1/tokens", token: token,
                json: #"{"subject":"\#(subject)","role":"finance","jurisdiction":"beijing"}"#)
            #expect(reply.status == 202)
            return try #require(reply.string("id").flatMap(UUID.init(uuidString:)))
        }
        return State(
            contribution: try #require(UUID(uuidString: contribution)), run: try #require(UUID(uuidString: run)),
            ownRun: try #require(UUID(uuidString: ownRun)),
            secondAdminsRequest: try await ask(api.tokens.secondAdmin, "matrix.finance"),
            adminsRequest: try await ask(api.tokens.admin, "matrix.other"))
    }

    @Test func everyOperationLetsInExactlyTheCallersItShould() async throws {
        try await APIHarness.with(signingKey: Curve25519.Signing.PrivateKey().rawRepresentation) { api in
            let state = try await Self.prepare(api)
            let contribution = state.contribution.uuidString.lowercased()
            let run = state.run.uuidString.lowercased()
            let unknown = UUID().uuidString
            let reason = #"{"reason":"authorization matrix"}"#

            let rows: [Row] =
                [
                    // operation                 method  path                                               body           A F O P S U
                    Row(operation: "getHealth", method: .get, path: "/healthz", body: nil),
                    Row(
                        operation: "listJurisdictions", method: .get, path: "/v1/jurisdictions", body: nil),
                    Row(
                        operation: "getJurisdiction", method: .get, path: "/v1/jurisdictions/hebei", body: nil),
                    Row(
                        operation: "putJurisdiction", method: .put, path: "/v1/jurisdictions/xiongan",
                        body:
                            #"{"name":"Xiong'an","nameZh":"雄安新区","level":"city","parent":"hebei","population":"1205000.00","ecologicalArea":"1770.00","envSpendingPerCapita":"300.00"}"#
                    ),
                    Row(operation: "listAccounts", method: .get, path: "/v1/accounts", body: nil),
                    Row(
                        operation: "getAccount", method: .get, path: "/v1/accounts/fund:cash", body: nil),
                    Row(
                        operation: "createContribution", method: .post, path: "/v1/contributions",
                        body: APIHarness.contribution(amount: "1.00", reference: "MATRIX")),
                    Row(
                        operation: "listContributions", method: .get, path: "/v1/contributions", body: nil),
                    Row(
                        operation: "getContribution", method: .get, path: "/v1/contributions/\(contribution)", body: nil
                    ),
                    Row(
                        operation: "reverseContribution", method: .post,
                        path: "/v1/contributions/\(contribution)/reversal",
                        body: reason),
                    Row(
                        operation: "createCommitment", method: .post, path: "/v1/commitments",
                        body: #"{"contributor":"beijing","fiscalYear":2031,"amount":"100.00","currency":"CNY"}"#),
                    Row(operation: "listCommitments", method: .get, path: "/v1/commitments", body: nil),
                    Row(
                        operation: "getTrialBalance", method: .get, path: "/v1/reports/trial-balance", body: nil),
                    Row(
                        operation: "getFundStatement", method: .get, path: "/v1/reports/fund-statement?fiscalYear=2026",
                        body: nil),
                    Row(
                        operation: "createAssessmentScheme", method: .post, path: "/v1/assessment-schemes",
                        body: AssessmentTests.scheme),
                    Row(
                        operation: "getAssessmentScheme", method: .get, path: "/v1/assessment-schemes/green", body: nil),
                    Row(
                        operation: "createAssessmentPeriod", method: .post, path: "/v1/assessment-periods",
                        body: #"{"code":"2031","scheme":"green","jurisdictions":["chengde"]}"#),
                    Row(
                        operation: "getAssessmentPeriod", method: .get, path: "/v1/assessment-periods/2025", body: nil),
                    Row(
                        operation: "putScore", method: .put, path: "/v1/assessment-periods/2025/scores/chengde",
                        body: AssessmentTests.values(forest: "40", pm25: "35", reason: "matrix")),
                    Row(
                        operation: "listScores", method: .get, path: "/v1/assessment-periods/2025/scores", body: nil),
                    Row(
                        operation: "getScore", method: .get, path: "/v1/assessment-periods/2025/scores/chengde",
                        body: nil),
                    Row(
                        operation: "getScoreHistory", method: .get,
                        path: "/v1/assessment-periods/2025/scores/chengde/history", body: nil),
                    Row(
                        operation: "finalizeAssessmentPeriod", method: .post,
                        path: "/v1/assessment-periods/2031/finalize",
                        body: nil),
                    Row(
                        operation: "reopenAssessmentPeriod", method: .post, path: "/v1/assessment-periods/2031/reopen",
                        body: reason),
                    Row(
                        operation: "publishAllocationRule", method: .post, path: "/v1/allocation-rules",
                        body: DisbursementTests.rule(code: "matrix")),
                    Row(
                        operation: "getAllocationRule", method: .get, path: "/v1/allocation-rules/simple", body: nil),
                    Row(
                        operation: "previewAllocation", method: .post, path: "/v1/allocation-rules/simple/preview",
                        body: "{}"),
                    Row(
                        operation: "proposeRun", method: .post, path: "/v1/disbursement-runs",
                        body: #"{"rule":"simple","valueDate":"2026-02-01"}"#),
                    Row(operation: "listRuns", method: .get, path: "/v1/disbursement-runs", body: nil),
                    Row(
                        operation: "getRun", method: .get, path: "/v1/disbursement-runs/\(run)", body: nil),
                    Row(
                        operation: "rejectRun", method: .post, path: "/v1/disbursement-runs/\(unknown)/reject",
                        body: reason),
                    Row(
                        operation: "cancelRun", method: .post, path: "/v1/disbursement-runs/\(unknown)/cancel",
                        body: reason),
                    Row(
                        operation: "approveRun", method: .post, path: "/v1/disbursement-runs/\(run)/approve", body: nil),
                    Row(
                        operation: "postRun", method: .post, path: "/v1/disbursement-runs/\(run)/post", body: nil),
                    Row(
                        operation: "confirmPayment", method: .post, path: "/v1/disbursement-runs/\(run)/payments",
                        body: #"{"recipient":"chengde","bankReference":"MATRIX-1"}"#),
                    Row(operation: "listAuditEvents", method: .get, path: "/v1/audit/events", body: nil),
                    Row(
                        operation: "getCheckpoint", method: .get, path: "/v1/audit/checkpoint", body: nil),
                    Row(
                        operation: "getPublicKey", method: .get, path: "/v1/audit/public-key", body: nil),
                    Row(
                        operation: "getInclusionProof", method: .get,
                        path: "/v1/audit/proofs/inclusion?index=0&treeSize=1",
                        body: nil),
                    Row(
                        operation: "getConsistencyProof", method: .get,
                        path: "/v1/audit/proofs/consistency?from=1&to=1",
                        body: nil),
                    Row(operation: "getAuditExport", method: .get, path: "/v1/audit/export", body: nil),
                    Row(
                        operation: "createToken", method: .post, path: "/v1/tokens",
                        body: #"{"subject":"matrix.auditor","role":"auditor"}"#),
                    Row(
                        operation: "revokeToken", method: .delete, path: "/v1/tokens/\(unknown)", body: nil),
                    Row(operation: "listAccessRequests", method: .get, path: "/v1/access-requests", body: nil),
                    Row(
                        operation: "requestRoleChange", method: .post, path: "/v1/access-requests",
                        body: #"{"subject":"sun.auditor","role":"assessor"}"#),
                    Row(operation: "getAccessRequest", method: .get, path: "/v1/access-requests/\(unknown)", body: nil),
                    Row(
                        operation: "approveAccessRequest", method: .post,
                        path: "/v1/access-requests/\(state.secondAdminsRequest)/approve", body: "{}"),
                    Row(
                        operation: "rejectAccessRequest", method: .post, path: "/v1/access-requests/\(unknown)/reject",
                        body: reason),
                    Row(operation: "listUsers", method: .get, path: "/v1/users", body: nil),
                    Row(
                        operation: "createUser", method: .post, path: "/v1/users",
                        body: #"{"subject":"matrix.assessor","role":"assessor"}"#),
                    Row(
                        operation: "deactivateUser", method: .post, path: "/v1/users/\(unknown)/deactivate",
                        body: reason),
                    Row(
                        operation: "issueActivationCode", method: .post, path: "/v1/users/\(unknown)/activation-code",
                        body: nil),
                    Row(
                        operation: "listRunAllocations", method: .get, path: "/v1/disbursement-runs/\(run)/allocations",
                        body: nil),
                ] + Self.accountabilityRows + [

                    Row(
                        operation: "confirmPayment.ownRun", method: .post,
                        path: "/v1/disbursement-runs/\(state.ownRun)/payments",
                        body: #"{"recipient":"chengde","bankReference":"MATRIX-2"}"#),
                    Row(
                        operation: "approveAccessRequest.ownRequest", method: .post,
                        path: "/v1/access-requests/\(state.adminsRequest)/approve", body: "{}"),
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

    /// Whether the table lets `caller` (one of ``Caller/roles``) through `operation`.
    static func allows(_ operation: String, _ caller: Caller) -> Bool {
        guard let allowed = allowed[operation], let index = Caller.roles.firstIndex(of: caller) else {
            preconditionFailure("the table has no row for \(operation) or no column for \(caller)")
        }
        return Array(allowed)[index] == "+"
    }

    static func expectation(_ row: Row, _ caller: Caller) -> Expectation {
        if Caller.roles.contains(caller) { return allows(row.operation, caller) ? .through : .forbidden }
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
            .post, "/v1/tokens", token: api.tokens.admin, json: #"{"subject":"revoked.auditor","role":"auditor"}"#)
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
