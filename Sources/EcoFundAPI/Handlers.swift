import Crypto
import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// The generated `APIProtocol`, implemented by translating between wire types and service calls. No logic lives
/// here: who may do what, validation and transactions belong to the services, which every operation calls with the
/// request's caller.
struct Handlers: APIProtocol {
    let database: Database
    let ledger: LedgerService
    /// The ledger read for reports, through `DATABASE_READ_URL` (a replica) when one is set.
    let reports: LedgerService
    let commitments: CommitmentService
    let jurisdictions: JurisdictionService
    let tokens: TokenService
    let assessment: AssessmentService
    let disbursements: DisbursementService
    let auditLog: AuditLog
    let access: AccessService
    let people: PeopleService
    let recoveries: RecoveryService

    /// - Parameters:
    ///   - exportDatabaseURL: where the audit export's own libpq connection goes (`DATABASE_READ_URL` when set: an
    ///     export is one long read-only snapshot, work a replica can take); nil refuses exports.
    ///   - signingPublicKey: the key checkpoints are verified with; nil when the server has no signing key.
    init(
        database: Database, readDatabase: Database? = nil, exportDatabaseURL: DatabaseURL? = nil,
        signingPublicKey: Curve25519.Signing.PublicKey? = nil
    ) {
        self.database = database
        self.ledger = LedgerService(database: database)
        self.reports = LedgerService(database: readDatabase ?? database)
        self.commitments = CommitmentService(database: database)
        self.jurisdictions = JurisdictionService(database: database)
        self.tokens = TokenService(database: database)
        self.assessment = AssessmentService(database: database)
        self.disbursements = DisbursementService(database: database)
        self.auditLog = AuditLog(
            database: database, exportDatabaseURL: exportDatabaseURL, publicKey: signingPublicKey)
        self.access = AccessService(database: database, tokens: tokens)
        self.people = PeopleService(database: database, tokens: tokens)
        self.recoveries = RecoveryService(database: database)
    }

    // MARK: health

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        guard await database.isReachable(within: .seconds(2)) else {
            throw StoreError(.unavailable, "the database cannot be reached")
        }
        return .ok(.init(body: .json(.init(status: .ok))))
    }

    // MARK: reference data

    func listJurisdictions(_ input: Operations.ListJurisdictions.Input) async throws
        -> Operations.ListJurisdictions.Output
    {
        let items = try await jurisdictions.list(by: try RequestScope.caller()).map(Wire.jurisdiction)
        return .ok(.init(body: .json(.init(items: items))))
    }

    func getJurisdiction(_ input: Operations.GetJurisdiction.Input) async throws -> Operations.GetJurisdiction.Output {
        let found = try await jurisdictions.get(input.path.code, by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.jurisdiction(found))))
    }

    func putJurisdiction(_ input: Operations.PutJurisdiction.Input) async throws -> Operations.PutJurisdiction.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let jurisdiction = try Wire.jurisdiction(code: input.path.code, body)
        let stored = try await jurisdictions.put(jurisdiction, contributor: body.contributor ?? false, by: caller)
        return .ok(.init(body: .json(Wire.jurisdiction(stored))))
    }

    // MARK: ledger

    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        let asOf = try Wire.date(input.query.asOf, at: "asOf")
        let accounts = try await ledger.accounts(asOf: asOf, by: try RequestScope.caller())
        return .ok(
            .init(body: .json(.init(asOf: asOf?.description, items: accounts.map { Wire.account($0, asOf: asOf) }))))
    }

    func getAccount(_ input: Operations.GetAccount.Input) async throws -> Operations.GetAccount.Output {
        let asOf = try Wire.date(input.query.asOf, at: "asOf")
        let account = try await ledger.account(input.path.code, asOf: asOf, by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.account(account, asOf: asOf))))
    }

    func createContribution(_ input: Operations.CreateContribution.Input) async throws
        -> Operations.CreateContribution.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try ContributionRequest(
            contributor: body.contributor, amount: body.amount, currency: body.currency.rawValue,
            valueDate: body.valueDate, reference: body.reference, memo: body.memo)
        let recorded = try await ledger.recordContribution(
            request, by: caller, idempotencyKey: try IdempotencyKey(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.contribution(recorded.value))))
    }

    func listContributions(_ input: Operations.ListContributions.Input) async throws
        -> Operations.ListContributions.Output
    {
        let query = input.query
        let filter = try ContributionFilter(
            contributor: query.contributor, from: try Wire.date(query.from, at: "from"),
            to: try Wire.date(query.to, at: "to"), cursor: query.cursor, limit: query.limit)
        let page = try await ledger.contributions(filter, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: page.items.map(Wire.contribution), nextCursor: page.nextCursor))))
    }

    func getContribution(_ input: Operations.GetContribution.Input) async throws -> Operations.GetContribution.Output {
        let contribution = try await ledger.contribution(id: try Wire.id(input.path.id), by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.contribution(contribution))))
    }

    func reverseContribution(_ input: Operations.ReverseContribution.Input) async throws
        -> Operations.ReverseContribution.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try ReversalRequest(reason: body.reason, valueDate: body.valueDate)
        let reversed = try await ledger.reverseContribution(
            id: try Wire.id(input.path.id), request, by: caller,
            idempotencyKey: try IdempotencyKey(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.contribution(reversed.value))))
    }

    func createCommitment(_ input: Operations.CreateCommitment.Input) async throws -> Operations.CreateCommitment.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try CommitmentRequest(
            contributor: body.contributor, fiscalYear: body.fiscalYear, amount: body.amount,
            currency: body.currency.rawValue, memo: body.memo)
        let created = try await commitments.create(
            request, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        return .created(.init(body: .json(Wire.commitment(created.value))))
    }

    func listCommitments(_ input: Operations.ListCommitments.Input) async throws -> Operations.ListCommitments.Output {
        let list = try await commitments.list(
            fiscalYear: input.query.fiscalYear, contributor: input.query.contributor, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: list.map(Wire.commitment)))))
    }

    func getTrialBalance(_ input: Operations.GetTrialBalance.Input) async throws -> Operations.GetTrialBalance.Output {
        let trial = try await reports.trialBalance(
            asOf: try Wire.date(input.query.asOf, at: "asOf"), by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.trialBalance(trial))))
    }

    func getFundStatement(_ input: Operations.GetFundStatement.Input) async throws
        -> Operations.GetFundStatement.Output
    {
        let statement = try await reports.fundStatement(
            fiscalYear: input.query.fiscalYear, by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.fundStatement(statement))))
    }
}
