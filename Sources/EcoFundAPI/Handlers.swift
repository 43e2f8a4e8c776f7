import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// The generated `APIProtocol`, implemented by translating between wire types and service calls. No logic lives
/// here: authorization, validation and transactions belong to the services.
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
    /// The raw Ed25519 key checkpoints are verified with; nil when the server has no signing key.
    let signingPublicKey: Data?
    /// The connection settings the audit export's own libpq connection uses: `DATABASE_READ_URL` when set (an export
    /// is one long read-only snapshot, work a replica can take), else the pool's.
    let exportDatabaseURL: DatabaseURL?
    /// Today's date in UTC, the default value date of reversals. A function so tests can fix it.
    let today: @Sendable () -> CalendarDate

    init(
        database: Database, databaseURL: DatabaseURL? = nil, readDatabase: Database? = nil,
        readDatabaseURL: DatabaseURL? = nil, signingPublicKey: Data? = nil,
        today: @escaping @Sendable () -> CalendarDate = CalendarDate.todayUTC
    ) {
        self.database = database
        self.exportDatabaseURL = readDatabaseURL ?? databaseURL
        self.ledger = LedgerService(database: database)
        self.reports = LedgerService(database: readDatabase ?? database)
        self.commitments = CommitmentService(database: database)
        self.jurisdictions = JurisdictionService(database: database)
        self.tokens = TokenService(database: database)
        self.assessment = AssessmentService(database: database)
        self.disbursements = DisbursementService(database: database)
        self.auditLog = AuditLog(database: database)
        self.signingPublicKey = signingPublicKey
        self.today = today
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
        _ = try RequestScope.caller()
        return .ok(.init(body: .json(.init(items: try await jurisdictions.list().map(Wire.jurisdiction)))))
    }

    func getJurisdiction(_ input: Operations.GetJurisdiction.Input) async throws -> Operations.GetJurisdiction.Output {
        _ = try RequestScope.caller()
        return .ok(.init(body: .json(Wire.jurisdiction(try await jurisdictions.get(input.path.code)))))
    }

    func putJurisdiction(_ input: Operations.PutJurisdiction.Input) async throws -> Operations.PutJurisdiction.Output {
        let caller = try RequestScope.caller()
        try caller.require(.admin, to: "change reference data")
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let jurisdiction = try Wire.jurisdiction(code: input.path.code, body)
        let stored = try await jurisdictions.put(jurisdiction, contributor: body.contributor ?? false, by: caller)
        return .ok(.init(body: .json(Wire.jurisdiction(stored))))
    }

    // MARK: ledger

    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        _ = try RequestScope.caller()
        let asOf = try Wire.date(input.query.asOf, at: "asOf")
        let accounts = try await ledger.accounts(asOf: asOf)
        return .ok(
            .init(body: .json(.init(asOf: asOf?.description, items: accounts.map { Wire.account($0, asOf: asOf) }))))
    }

    func getAccount(_ input: Operations.GetAccount.Input) async throws -> Operations.GetAccount.Output {
        _ = try RequestScope.caller()
        let asOf = try Wire.date(input.query.asOf, at: "asOf")
        guard let code = AccountCode(input.path.code) else {
            throw StoreError(.notFound, "no account \(input.path.code)")
        }
        return .ok(.init(body: .json(Wire.account(try await ledger.account(code.description, asOf: asOf), asOf: asOf))))
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
            request, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.contribution(recorded.value))))
    }

    func listContributions(_ input: Operations.ListContributions.Input) async throws
        -> Operations.ListContributions.Output
    {
        _ = try RequestScope.caller()
        let query = input.query
        if let contributor = query.contributor { try Jurisdiction.validateCode(contributor, at: "contributor") }
        let filter = ContributionFilter(
            contributor: query.contributor, from: try Wire.date(query.from, at: "from"),
            to: try Wire.date(query.to, at: "to"),
            afterEntryID: try query.cursor.map { (cursor) throws(ValidationError) in try Cursor.decode(cursor) },
            limit: try Wire.limit(query.limit))
        let page = try await ledger.contributions(filter)
        return .ok(.init(body: .json(.init(items: page.items.map(Wire.contribution), nextCursor: page.nextCursor))))
    }

    func getContribution(_ input: Operations.GetContribution.Input) async throws -> Operations.GetContribution.Output {
        _ = try RequestScope.caller()
        return .ok(.init(body: .json(Wire.contribution(try await ledger.contribution(id: try Wire.id(input.path.id))))))
    }

    func reverseContribution(_ input: Operations.ReverseContribution.Input) async throws
        -> Operations.ReverseContribution.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let id = try Wire.id(input.path.id)
        let request = try ReversalRequest(reason: body.reason, valueDate: body.valueDate)
        let reversed = try await ledger.reverseContribution(
            id: id, request, by: caller, idempotencyKey: input.headers.idempotencyKey, today: today())
        return .created(.init(body: .json(Wire.contribution(reversed.value))))
    }

    func createCommitment(_ input: Operations.CreateCommitment.Input) async throws -> Operations.CreateCommitment.Output
    {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try CommitmentRequest(
            contributor: body.contributor, fiscalYear: body.fiscalYear, amount: body.amount,
            currency: body.currency.rawValue, memo: body.memo)
        let created = try await commitments.create(request, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.commitment(created.value))))
    }

    func listCommitments(_ input: Operations.ListCommitments.Input) async throws -> Operations.ListCommitments.Output {
        _ = try RequestScope.caller()
        if let year = input.query.fiscalYear, !CalendarDate.yearRange.contains(year) {
            throw ValidationError(.invalidValue, at: "fiscalYear", "must be a year between 2000 and 2100")
        }
        if let contributor = input.query.contributor { try Jurisdiction.validateCode(contributor, at: "contributor") }
        let list = try await commitments.list(fiscalYear: input.query.fiscalYear, contributor: input.query.contributor)
        return .ok(.init(body: .json(.init(items: list.map(Wire.commitment)))))
    }

    func getTrialBalance(_ input: Operations.GetTrialBalance.Input) async throws -> Operations.GetTrialBalance.Output {
        _ = try RequestScope.caller()
        let trial = try await reports.trialBalance(asOf: try Wire.date(input.query.asOf, at: "asOf"))
        return .ok(.init(body: .json(Wire.trialBalance(trial))))
    }

    // MARK: access

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        let caller = try RequestScope.caller()
        try caller.require(.admin, to: "issue tokens")
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let request = try TokenRequest(
            subject: body.subject, role: body.role.rawValue, jurisdiction: body.jurisdiction,
            lifetimeDays: body.lifetimeDays)
        let issued = try await tokens.issue(request, by: caller, idempotencyKey: input.headers.idempotencyKey)
        return .created(.init(body: .json(Wire.token(issued.value))))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        let caller = try RequestScope.caller()
        try await tokens.revoke(id: try Wire.id(input.path.id), by: caller)
        return .noContent(.init())
    }
}

extension CalendarDate {
    /// Today in UTC, the fund's calendar.
    @Sendable public static func todayUTC() -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        let text = String(format: "%04d-%02d-%02d", parts.year ?? 2000, parts.month ?? 1, parts.day ?? 1)
        guard let today = try? CalendarDate(parsing: text, at: "") else {
            preconditionFailure("the system clock is outside the years the fund accepts: \(text)")
        }
        return today
    }
}
