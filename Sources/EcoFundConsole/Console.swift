import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// How the console is served, read from the environment by the executable.
public struct ConsoleConfiguration: Sendable {
    /// Whether cookies carry `Secure` (HTTPS only). Off only for local HTTP, with `ECOFUND_INSECURE_COOKIES=1`.
    public var secureCookies: Bool

    public init(secureCookies: Bool = true) { self.secureCookies = secureCookies }
}

/// The web pages for the fund's people (DESIGN.md "The console"), at `/` beside the API's `/v1`: rendered on the
/// server, working without JavaScript, on the same Store services as the API. Pages translate between forms and
/// service calls; who may do what is the services' to decide, and the menu only follows it.
public struct Console: Sendable {
    let sessions: SessionService
    let people: PeopleService
    let access: AccessService
    let ledger: LedgerService
    let jurisdictions: JurisdictionService
    let overview: FundOverviewService
    let commitments: CommitmentService
    let disbursements: DisbursementService
    let assessment: AssessmentService
    let recoveries: RecoveryService
    let tokens: TokenService
    let auditLog: AuditLog
    let configuration: ConsoleConfiguration
    let views: Views
    let logger: Logger

    /// - Parameter auditLog: the server's log, with its public key and export connection; without one, the log's
    ///   pages cannot show a checkpoint's key and the export is refused.
    public init(
        database: Database, tokens: TokenService, auditLog: AuditLog? = nil, configuration: ConsoleConfiguration
    ) throws {
        self.tokens = tokens
        sessions = SessionService(database: database, tokens: tokens)
        people = PeopleService(database: database, tokens: tokens)
        access = AccessService(database: database, tokens: tokens)
        ledger = LedgerService(database: database)
        jurisdictions = JurisdictionService(database: database)
        overview = FundOverviewService(database: database)
        commitments = CommitmentService(database: database)
        disbursements = DisbursementService(database: database)
        assessment = AssessmentService(database: database)
        recoveries = RecoveryService(database: database)
        self.auditLog = auditLog ?? AuditLog(database: database)
        self.configuration = configuration
        views = try Views()
        logger = database.logger
    }

    /// Adds the console's routes to the server's router.
    public func register(on router: Router<BasicRequestContext>) {
        router.get("assets/console.css") { _, _ in Assets.css }
        router.get("assets/verify.js") { _, _ in Assets.verifyScript }
        router.get("language") { request, _ in self.switchLanguage(request) }
        registerSignIn(on: router)
        router.get("/") { request, context in
            try await self.page(request, context) { visit in try await self.dashboard(visit) }
        }
        registerContributions(on: router)
        registerCommitments(on: router)
        registerRuns(on: router)
        registerPeople(on: router)
        registerAssessment(on: router)
        registerMonitoring(on: router)
        registerReceivables(on: router)
        registerAssessmentSetup(on: router)
        registerSchemes(on: router)
        registerTokens(on: router)
        registerJurisdictions(on: router)
        registerRules(on: router)
        registerBooks(on: router)
        registerAuditLog(on: router)
    }
}

/// One request to a page: who asks (if signed in), in which language, and the session's form token.
struct Visit: Sendable {
    let request: Request
    let language: Language
    let catalog: Catalog
    /// The session id from the cookie, when there is one.
    let sessionID: String?
    let session: SessionService.Session?
    /// The query, decoded as the form a browser sent it (`+` is a space); nil when a name came twice.
    let parsedQuery: Form?

    var query: Form { parsedQuery ?? Form(fields: [:]) }

    var principal: Principal? { session?.stage == .complete ? session?.principal : nil }

    func text(_ key: String, _ values: [String: String] = [:]) -> String { catalog.text(key, values) }
}

/// Why a page is not shown: a redirect (to sign in, or after a POST), or an error page with its status.
enum PageOutcome: Error {
    case redirect(String)
    case refused(status: HTTPResponse.Status, messageKey: String, detail: String?)
}

extension Console {
    static let sessionCookie = "ecofund_session"

    /// Resolves the visit (language, session) and shows the page; a visitor who is not signed in goes to the sign-in
    /// page, one halfway through it to the step due.
    func page(
        _ request: Request, _ context: BasicRequestContext, signedIn required: Bool = true,
        _ body: (Visit) async throws -> Response
    ) async throws -> Response {
        let visit = try await self.visit(request)
        do {
            if required {
                guard let session = visit.session else { throw PageOutcome.redirect("/sign-in") }
                switch session.stage {
                case .complete: break
                case .secondFactorDue: throw PageOutcome.redirect("/sign-in/code")
                case .secondFactorSetupDue: throw PageOutcome.redirect("/sign-in/setup")
                }
            }
            if request.method == .post { try checkOrigin(request, visit) }
            guard visit.parsedQuery != nil else {
                throw PageOutcome.refused(status: .badRequest, messageKey: "error_form_malformed", detail: nil)
            }
            return try await body(visit)
        } catch let outcome as PageOutcome {
            return render(outcome, visit)
        } catch let error as any ProblemDescribing {
            let facts = error.problem
            if facts.status >= 500 { logger.error("console page failed", metadata: ["error": "\(error)"]) }
            let status = HTTPResponse.Status(code: facts.status)
            return render(.refused(status: status, messageKey: "error_\(facts.kind)", detail: facts.detail), visit)
        } catch {
            logger.error(
                "console page failed",
                metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            return render(.refused(status: .internalServerError, messageKey: "error_internal", detail: nil), visit)
        }
    }

    func visit(_ request: Request) async throws -> Visit {
        let language = Language.chosen(
            cookie: request.cookies[Language.cookie]?.value, acceptLanguage: request.headers[.acceptLanguage])
        let id = request.cookies[Self.sessionCookie]?.value
        let session = try await id.asyncMap { try await sessions.session($0) } ?? nil
        return Visit(
            request: request, language: language, catalog: Catalog.of(language), sessionID: id, session: session,
            parsedQuery: try? Form(parsing: request.uri.query ?? ""))
    }

    /// Every POST comes from a page of this server: its `Origin` is this host (a form of another site is refused).
    func checkOrigin(_ request: Request, _ visit: Visit) throws {
        guard let origin = request.headers[.origin], let host = request.head.authority,
            origin == "http://\(host)" || origin == "https://\(host)"
        else {
            logger.notice(
                "console POST from another origin refused",
                metadata: ["origin": "\(request.headers[.origin] ?? "none")"])
            throw PageOutcome.refused(status: .forbidden, messageKey: "error_forbidden_origin", detail: nil)
        }
    }

    /// Reads a submitted form of a signed-in person and checks its form token; a form without it, or with another
    /// session's, is refused.
    func form(_ visit: Visit) async throws -> Form {
        let form = try await readForm(visit.request)
        guard let session = visit.session, form["csrf"] == session.csrfToken else {
            logger.notice("console POST without this session's form token refused")
            throw PageOutcome.refused(status: .forbidden, messageKey: "error_forbidden_csrf", detail: nil)
        }
        return form
    }

    func readForm(_ request: Request) async throws -> Form {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            throw PageOutcome.refused(status: .unsupportedMediaType, messageKey: "error_form_malformed", detail: nil)
        }
        let buffer = try await request.body.collect(upTo: Form.bytesMax)
        do {
            return try Form(parsing: String(decoding: buffer.readableBytesView, as: UTF8.self))
        } catch {
            throw PageOutcome.refused(status: .badRequest, messageKey: "error_form_malformed", detail: nil)
        }
    }

    /// The idempotency key the form was shown with: a double click or a resubmitted form does the work once.
    func idempotencyKey(_ form: Form) throws -> IdempotencyKey {
        do { return try IdempotencyKey(form["idempotencyKey"]) } catch {
            throw PageOutcome.refused(status: .badRequest, messageKey: "error_form_malformed", detail: nil)
        }
    }

    /// The field a refused form is refused for, with the message in the page's language; an error that names no
    /// field of the form (a conflict, a server fault) is thrown on, to the error page.
    func fieldError(_ error: any Error, _ visit: Visit) throws -> [String: String] {
        guard let described = error as? any ProblemDescribing else { throw error }
        let facts = described.problem
        guard facts.status < 500, let pointer = facts.pointer, pointer.hasPrefix("/"), pointer.count > 1 else {
            throw error
        }
        let field = String(pointer.dropFirst().split(separator: "/").first ?? "")
        return [field: visit.catalog.message(kind: facts.kind, pointer: pointer)]
    }

    /// A path's id segment as a UUID; anything else is a page that does not exist.
    func id(_ context: BasicRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        return id
    }

    func switchLanguage(_ request: Request) -> Response {
        let language = Language(rawValue: request.uri.queryParameters["lang"].map(String.init) ?? "") ?? .zh
        var back = request.uri.queryParameters["back"].map(String.init) ?? "/"
        // Only back to a page of this console.
        if !back.hasPrefix("/") || back.hasPrefix("//") || back.contains("\\") { back = "/" }
        var response = Views.redirect(back)
        response.setCookie(
            Cookie(
                name: Language.cookie, value: language.rawValue, maxAge: 365 * 24 * 3600, path: "/",
                secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    func sessionCookie(_ id: String) -> Cookie {
        Cookie(
            name: Self.sessionCookie, value: id, path: "/", secure: configuration.secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    func endedSessionCookie() -> Cookie {
        Cookie(
            name: Self.sessionCookie, value: "", maxAge: 0, path: "/", secure: configuration.secureCookies,
            httpOnly: true, sameSite: .strict)
    }

    func render(_ outcome: PageOutcome, _ visit: Visit) -> Response {
        switch outcome {
        case .redirect(let path): return Views.redirect(path)
        case .refused(let status, let key, let detail):
            var data: [String: Any] = ["message": visit.text(key), "status": "\(status.code)"]
            // The services' sentence is English; a Chinese page shows its catalog's message alone.
            if visit.language == .en, let detail { data["detail"] = detail }
            return views.page(
                "error", title: visit.text("error_title"), visit: visit, data: data, status: status)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
