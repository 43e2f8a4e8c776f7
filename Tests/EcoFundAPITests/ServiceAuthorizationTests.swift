import Crypto
import EcoFundCore
import EcoFundStore
import Foundation
import Testing

/// The authorization table of ``AuthorizationMatrixTests``, checked against the Store services with no handler in
/// front: every operation's service call as every role. A `-` must be refused by the service itself
/// (``AuthorizationError``); a `+` may fail for any other reason (not found, conflict, invalid), never that one.
/// This is what keeps a second front end (the console) from letting through what the API would refuse.
@Suite struct ServiceAuthorizationTests {
    typealias Call = @Sendable (Principal) async throws -> Void

    struct Services: Sendable {
        let jurisdictions: JurisdictionService
        let ledger: LedgerService
        let commitments: CommitmentService
        let assessment: AssessmentService
        let disbursements: DisbursementService
        let tokens: TokenService
        let auditLog: AuditLog
        let access: AccessService
        let people: PeopleService
        let recoveries: RecoveryService
    }

    @Test func everyServiceRefusesExactlyTheCallersTheTableRefuses() async throws {
        try await APIHarness.with(signingKey: Curve25519.Signing.PrivateKey().rawRepresentation) { api in
            let state = try await AuthorizationMatrixTests.prepare(api)
            try await api.database.withApp { app in
                let services = Services(
                    jurisdictions: JurisdictionService(database: app), ledger: LedgerService(database: app),
                    commitments: CommitmentService(database: app), assessment: AssessmentService(database: app),
                    disbursements: DisbursementService(database: app), tokens: TokenService(database: app),
                    auditLog: AuditLog(
                        database: app, exportDatabaseURL: api.database.appURL, exportSealWait: .milliseconds(100)),
                    access: AccessService(database: app, tokens: TokenService(database: app)),
                    people: PeopleService(database: app, tokens: TokenService(database: app)),
                    recoveries: RecoveryService(database: app))
                let calls = try Self.calls(services, state)
                // Every operation of the table but the public health check has its service call, and no other.
                #expect(Set(calls.keys) == Set(AuthorizationMatrixTests.allowed.keys).subtracting(["getHealth"]))
                let principals = try await Self.principals(api, services.tokens)
                var mismatches: [String] = []
                for (operation, call) in calls.sorted(by: { $0.key < $1.key }) {
                    for caller in AuthorizationMatrixTests.Caller.roles {
                        let allowed = AuthorizationMatrixTests.allows(operation, caller)
                        let refused = try await Self.isRefused(call, principals[caller]!)
                        if refused == allowed {
                            mismatches.append(
                                "\(operation) as \(caller.rawValue): \(refused ? "refused" : "let through"), "
                                    + "the table says \(allowed ? "+" : "-")")
                        }
                    }
                }
                #expect(mismatches == [], "\(mismatches.joined(separator: "\n"))")
            }
        }
    }

    /// Whether the service refused the caller for who they are (their role, or maker-checker), as opposed to
    /// failing for any other reason.
    static func isRefused(_ call: Call, _ principal: Principal) async throws -> Bool {
        do {
            try await call(principal)
            return false
        } catch is AuthorizationError {
            return true
        } catch is MakerCheckerError {
            return true
        } catch {
            return false
        }
    }

    /// The harness's people, as the services know them.
    static func principals(_ api: APIHarness, _ tokens: TokenService) async throws
        -> [AuthorizationMatrixTests.Caller: Principal]
    {
        let texts: [AuthorizationMatrixTests.Caller: String] = [
            .admin: api.tokens.admin, .finance: api.tokens.financeBeijing, .otherFinance: api.tokens.financeTianjin,
            .approver: api.tokens.approver, .assessor: api.tokens.assessor, .auditor: api.tokens.auditor,
        ]
        var principals: [AuthorizationMatrixTests.Caller: Principal] = [:]
        for (caller, text) in texts { principals[caller] = try await tokens.authenticate(text) }
        return principals
    }

    static func key() -> IdempotencyKey { try! IdempotencyKey("service-matrix-\(UUID())") }

    /// The service call behind each operation, with the same inputs as the HTTP rows.
    static func calls(_ services: Services, _ state: AuthorizationMatrixTests.State) throws -> [String: Call] {
        var calls = try ledgerCalls(services, state)
        calls.merge(try assessmentCalls(services)) { first, _ in first }
        calls.merge(try disbursementCalls(services, state)) { first, _ in first }
        calls.merge(try accessCalls(services, state)) { first, _ in first }
        calls.merge(try accountabilityCalls(services)) { first, _ in first }
        return calls
    }

    static func accountabilityCalls(_ services: Services) throws -> [String: Call] {
        let (assessment, recoveries) = (services.assessment, services.recoveries)
        let targets = [Target(indicator: "pm25", value: "30", binding: true)]
        let readings = [ReadingSet.Value(indicator: "pm25", value: "31")]
        let recovery = try RecoveryRequest(
            recipient: "chengde", amount: "1.00", valueDate: "2026-04-20", bankReference: "M-1")
        return [
            "listTargets": { _ = try await assessment.targets(period: "2025", jurisdiction: nil, by: $0) },
            "getTargets": { _ = try await assessment.targets(period: "2025", jurisdiction: "chengde", by: $0) },
            "putTargets": {
                _ = try await assessment.putTargets(
                    period: "2025", jurisdiction: "chengde", targets, reason: "matrix", ifMatch: nil, by: $0)
            },
            "getTargetHistory": {
                _ = try await assessment.targets(period: "2025", jurisdiction: "chengde", history: true, by: $0)
            },
            "listReadings": {
                _ = try await assessment.readings(period: "2025", jurisdiction: "chengde", month: nil, by: $0)
            },
            "getReadings": {
                _ = try await assessment.readings(period: "2025", jurisdiction: "chengde", month: "2025-07", by: $0)
            },
            "putReadings": {
                _ = try await assessment.putReadings(
                    period: "2025", jurisdiction: "chengde", month: "2025-07", readings, reason: "matrix",
                    ifMatch: nil, by: $0)
            },
            "getReadingHistory": {
                _ = try await assessment.readings(
                    period: "2025", jurisdiction: "chengde", month: "2025-07", history: true, by: $0)
            },
            "getMonitor": { _ = try await assessment.monitor(period: "2025", by: $0) },
            "createRecovery": { _ = try await recoveries.record(recovery, by: $0, idempotencyKey: key()) },
            "listRecoveries": { _ = try await recoveries.recoveries(recipient: nil, by: $0) },
            "listReceivables": { _ = try await recoveries.receivables(by: $0) },
        ]
    }

    static func ledgerCalls(_ services: Services, _ state: AuthorizationMatrixTests.State) throws -> [String: Call] {
        let (jurisdictions, ledger, commitments) = (services.jurisdictions, services.ledger, services.commitments)
        let xiongan = Jurisdiction(
            code: "xiongan", name: "Xiong'an", nameZh: "雄安新区", level: .city, parent: "hebei",
            population: try ExactDecimal(parsing: "1205000.00", at: ""),
            ecologicalArea: try ExactDecimal(parsing: "1770.00", at: ""),
            envSpendingPerCapita: try ExactDecimal(parsing: "300.00", at: ""))
        let contribution = try ContributionRequest(
            contributor: "beijing", amount: "1.00", currency: "CNY", valueDate: "2025-03-15", reference: "MATRIX",
            memo: nil)
        let reversal = try ReversalRequest(reason: "authorization matrix", valueDate: nil)
        let pledge = try CommitmentRequest(
            contributor: "beijing", fiscalYear: 2031, amount: "100.00", currency: "CNY", memo: nil)
        return [
            "listJurisdictions": { _ = try await jurisdictions.list(by: $0) },
            "getJurisdiction": { _ = try await jurisdictions.get("hebei", by: $0) },
            "putJurisdiction": { _ = try await jurisdictions.put(xiongan, contributor: false, by: $0) },
            "listAccounts": { _ = try await ledger.accounts(asOf: nil, by: $0) },
            "getAccount": { _ = try await ledger.account("fund:cash", asOf: nil, by: $0) },
            "createContribution": {
                _ = try await ledger.recordContribution(contribution, by: $0, idempotencyKey: key())
            },
            "listContributions": { _ = try await ledger.contributions(try ContributionFilter(), by: $0) },
            "getContribution": { _ = try await ledger.contribution(id: state.contribution, by: $0) },
            "reverseContribution": {
                _ = try await ledger.reverseContribution(
                    id: state.contribution, reversal, by: $0, idempotencyKey: key())
            },
            "createCommitment": { _ = try await commitments.create(pledge, by: $0, idempotencyKey: key()) },
            "listCommitments": { _ = try await commitments.list(fiscalYear: nil, contributor: nil, by: $0) },
            "getTrialBalance": { _ = try await ledger.trialBalance(asOf: nil, by: $0) },
            "getFundStatement": { _ = try await ledger.fundStatement(fiscalYear: 2026, by: $0) },
        ]
    }

    static func assessmentCalls(_ services: Services) throws -> [String: Call] {
        let assessment = services.assessment
        let scheme = try IndicatorScheme(
            code: "green", version: 1, name: "Green performance",
            indicators: [
                .init(
                    code: "forest", name: "Forest coverage", nameZh: "森林覆盖率", weight: try parseDecimal("1", at: ""),
                    direction: .higherIsBetter, floor: try parseDecimal("10", at: ""),
                    ceiling: try parseDecimal("60", at: ""), unit: "%")
            ])
        let texts = [IndicatorTexts(weight: "1", floor: "10", ceiling: "60")]
        let period = try PeriodRequest(
            code: "2031", schemeCode: "green", schemeVersion: nil, jurisdictions: ["chengde"])
        let score = AssessmentService.ScoreInput(
            values: [(code: "forest", value: "40"), (code: "pm25", value: "35")], reason: "matrix")
        return [
            "createAssessmentScheme": {
                _ = try await assessment.createScheme(scheme, texts: texts, by: $0, idempotencyKey: nil)
            },
            "getAssessmentScheme": { _ = try await assessment.schemeVersions("green", by: $0) },
            "createAssessmentPeriod": { _ = try await assessment.createPeriod(period, by: $0, idempotencyKey: nil) },
            "getAssessmentPeriod": { _ = try await assessment.period("2025", by: $0) },
            "putScore": {
                _ = try await assessment.putScore(
                    period: "2025", jurisdiction: "chengde", score, ifMatch: nil, by: $0)
            },
            "listScores": { _ = try await assessment.ranking(period: "2025", by: $0) },
            "getScore": { _ = try await assessment.score(period: "2025", jurisdiction: "chengde", by: $0) },
            "getScoreHistory": { _ = try await assessment.history(period: "2025", jurisdiction: "chengde", by: $0) },
            "finalizeAssessmentPeriod": {
                _ = try await assessment.finalize(period: "2031", by: $0, idempotencyKey: nil)
            },
            "reopenAssessmentPeriod": {
                _ = try await assessment.reopen(
                    period: "2031", reason: "authorization matrix", by: $0, idempotencyKey: nil)
            },
        ]
    }

    static func disbursementCalls(_ services: Services, _ state: AuthorizationMatrixTests.State) throws
        -> [String: Call]
    {
        let disbursements = services.disbursements
        let rule = try JSONDecoder().decode(RuleDocument.self, from: Data(DisbursementTests.rule(code: "matrix").utf8))
        let unknown = UUID()
        let valueDate = try CalendarDate(parsing: "2026-02-01", at: "")
        return [
            "publishAllocationRule": { _ = try await disbursements.publish(rule, by: $0, idempotencyKey: nil) },
            "getAllocationRule": { _ = try await disbursements.rules("simple", by: $0) },
            "previewAllocation": {
                _ = try await disbursements.preview(rule: "simple", version: nil, pool: nil, by: $0)
            },
            "proposeRun": {
                _ = try await disbursements.propose(
                    rule: "simple", version: nil, pool: nil, valueDate: valueDate, by: $0, idempotencyKey: key())
            },
            "listRuns": { _ = try await disbursements.runs(limit: nil, by: $0) },
            "getRun": { _ = try await disbursements.run(state.run, by: $0) },
            "rejectRun": {
                _ = try await disbursements.transition(unknown, .reject, reason: "matrix", by: $0, idempotencyKey: nil)
            },
            "cancelRun": {
                _ = try await disbursements.transition(unknown, .cancel, reason: "matrix", by: $0, idempotencyKey: nil)
            },
            "approveRun": {
                _ = try await disbursements.transition(state.run, .approve, reason: nil, by: $0, idempotencyKey: nil)
            },
            "postRun": {
                _ = try await disbursements.transition(state.run, .post, reason: nil, by: $0, idempotencyKey: nil)
            },
            "confirmPayment": {
                _ = try await disbursements.confirmPayment(
                    state.run, recipient: "chengde", bankReference: "MATRIX-1", valueDate: nil, by: $0,
                    idempotencyKey: nil)
            },
            "confirmPayment.ownRun": {
                _ = try await disbursements.confirmPayment(
                    state.ownRun, recipient: "chengde", bankReference: "MATRIX-2", valueDate: nil, by: $0,
                    idempotencyKey: nil)
            },
            "listRunAllocations": {
                _ = try await disbursements.allocations(of: state.run, cursor: nil, limit: nil, by: $0)
            },
        ]
    }

    static func accessCalls(_ services: Services, _ state: AuthorizationMatrixTests.State) throws -> [String: Call] {
        let (auditLog, tokens) = (services.auditLog, services.tokens)
        let token = try TokenRequest(subject: "matrix.auditor", role: "auditor", jurisdiction: nil, lifetimeDays: nil)
        let change = try RoleChange(subject: "sun.auditor", role: "assessor", jurisdiction: nil)
        let access = services.access
        let people = services.people
        return [
            "listAccessRequests": { _ = try await access.requests(status: nil, by: $0) },
            "requestRoleChange": { _ = try await access.requestRoleChange(change, by: $0, idempotencyKey: nil) },
            "getAccessRequest": { _ = try await access.request(UUID(), by: $0) },
            "approveAccessRequest": {
                _ = try await access.approve(state.secondAdminsRequest, note: nil, by: $0, idempotencyKey: nil)
            },
            "rejectAccessRequest": {
                _ = try await access.reject(UUID(), reason: "matrix", by: $0, idempotencyKey: nil)
            },
            "approveAccessRequest.ownRequest": {
                _ = try await access.approve(state.adminsRequest, note: nil, by: $0, idempotencyKey: nil)
            },
            "listAuditEvents": { _ = try await auditLog.entries(after: nil, limit: nil, by: $0) },
            "getCheckpoint": { _ = try await auditLog.latestCheckpoint(by: $0) },
            "getPublicKey": { _ = try auditLog.publicKey(by: $0) },
            "getInclusionProof": { _ = try await auditLog.inclusionProof(index: 0, size: 1, by: $0) },
            "getConsistencyProof": { _ = try await auditLog.consistencyProof(old: 1, size: 1, by: $0) },
            "getAuditExport": { await (try await auditLog.openExport(.everyDate, by: $0)).close() },
            "createToken": { _ = try await tokens.issue(token, by: $0, idempotencyKey: nil) },
            "revokeToken": { try await tokens.revoke(id: UUID(), by: $0) },
            "listUsers": { _ = try await people.list(cursor: nil, limit: nil, by: $0) },
            "createUser": {
                _ = try await people.create(
                    try NewPerson(subject: "service.assessor", role: "assessor", jurisdiction: nil), by: $0,
                    idempotencyKey: nil)
            },
            "deactivateUser": { _ = try await people.deactivate(UUID(), reason: "gone", by: $0) },
            "issueActivationCode": { _ = try await people.newActivationCode(for: UUID(), by: $0, idempotencyKey: nil) },
        ]
    }
}
