import EcoFundCore
import EcoFundStore
import Foundation
import HTTPTypes
import Hummingbird

/// Activation, sign-in with a password and a second factor, sign-out and the password change.
extension Console {
    func registerSignIn(on router: Router<BasicRequestContext>) {
        router.get("sign-in") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                self.signInPage(visit, subject: "", error: nil)
            }
        }
        router.post("sign-in") { request, context in
            try await self.page(request, context, signedIn: false) { visit in try await self.signIn(visit) }
        }
        router.get("sign-in/code") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                try self.halfway(visit, .secondFactorDue)
                return self.codePage(visit, error: nil)
            }
        }
        router.post("sign-in/code") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                try self.halfway(visit, .secondFactorDue)
                let form = try await self.form(visit)
                do {
                    try await self.sessions.giveSecondFactor(session: visit.sessionID ?? "", code: form["code"])
                } catch let error as SignInError {
                    if case .locked = error.reason { return self.signInPage(visit, subject: "", error: error) }
                    return self.codePage(visit, error: error)
                }
                return Views.redirect("/")
            }
        }
        router.get("sign-in/setup") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                try self.halfway(visit, .secondFactorSetupDue)
                return try await self.setupPage(visit, error: nil)
            }
        }
        router.post("sign-in/setup") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                try self.halfway(visit, .secondFactorSetupDue)
                let form = try await self.form(visit)
                do {
                    try await self.sessions.confirmSecondFactor(session: visit.sessionID ?? "", code: form["code"])
                } catch let error as SignInError {
                    if case .locked = error.reason { return self.signInPage(visit, subject: "", error: error) }
                    return try await self.setupPage(visit, error: error)
                }
                return Views.redirect("/")
            }
        }
        registerActivation(on: router)
    }

    func registerActivation(on router: Router<BasicRequestContext>) {
        router.get("activate") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                self.activatePage(visit, code: visit.query["code"], error: nil)
            }
        }
        router.post("activate") { request, context in
            try await self.page(request, context, signedIn: false) { visit in try await self.activate(visit) }
        }
        router.post("sign-out") { request, context in
            try await self.page(request, context, signedIn: false) { visit in
                _ = try await self.form(visit)
                try await self.sessions.signOut(session: visit.sessionID ?? "")
                var response = Views.redirect("/sign-in")
                response.setCookie(self.endedSessionCookie())
                return response
            }
        }
        router.get("password") { request, context in
            try await self.page(request, context) { visit in self.passwordPage(visit, error: nil) }
        }
        router.post("password") { request, context in
            try await self.page(request, context) { visit in
                let form = try await self.form(visit)
                do {
                    try await self.sessions.changePassword(
                        session: visit.sessionID ?? "", current: form["currentPassword"], new: form["password"],
                        confirmation: form["confirmation"])
                } catch let error as SignInError {
                    return self.passwordPage(visit, error: error)
                } catch let error as ValidationError {
                    return self.passwordPage(visit, error: error)
                }
                var response = Views.redirect("/sign-in?changed=1")
                response.setCookie(self.endedSessionCookie())
                return response
            }
        }
    }

    /// Only a session at this step may see the step's page.
    func halfway(_ visit: Visit, _ stage: SessionService.Stage) throws {
        guard let session = visit.session else { throw PageOutcome.redirect("/sign-in") }
        guard session.stage == stage else { throw PageOutcome.redirect("/") }
    }

    func signIn(_ visit: Visit) async throws -> Response {
        let form = try await readForm(visit.request)
        let subject = form["subject"].trimmingCharacters(in: .whitespaces)
        // A new session id at every sign-in: whatever session the browser had ends first.
        if let old = visit.sessionID { try await sessions.signOut(session: old) }
        let ticket: SessionService.Ticket
        let stage: SessionService.Stage
        do {
            (ticket, stage) = try await sessions.signIn(subject: subject, password: form["password"])
        } catch let error as SignInError {
            return signInPage(visit, subject: subject, error: error, status: .unprocessableContent)
        }
        let next =
            switch stage {
            case .complete: "/"
            case .secondFactorDue: "/sign-in/code"
            case .secondFactorSetupDue: "/sign-in/setup"
            }
        var response = Views.redirect(next)
        response.setCookie(sessionCookie(ticket.id))
        return response
    }

    func activate(_ visit: Visit) async throws -> Response {
        let form = try await readForm(visit.request)
        do {
            let subject = try await sessions.activate(
                code: form["activationCode"], password: form["password"], confirmation: form["confirmation"])
            return signInPage(visit, subject: subject, error: nil, notice: visit.text("activate_done"))
        } catch let error as SignInError {
            return activatePage(visit, code: form["activationCode"], error: error)
        } catch let error as ValidationError {
            return activatePage(visit, code: form["activationCode"], error: error)
        }
    }

    func signInPage(
        _ visit: Visit, subject: String, error: SignInError?, status: HTTPResponse.Status = .ok, notice: String? = nil
    ) -> Response {
        var data: [String: Any] = ["subject": subject]
        if let error {
            if case .locked(let until) = error.reason {
                data["formError"] = visit.text("error_locked", ["until": Format.time(until)])
            } else {
                data["passwordError"] = visit.catalog.message(kind: error.kind, pointer: error.pointer)
            }
        }
        if let notice { data["notice"] = notice }
        if visit.query.fields["changed"] != nil { data["notice"] = visit.text("password_changed") }
        return views.page(
            "sign-in", title: visit.text("signin_title"), visit: visit, data: data, status: status, address: "/sign-in")
    }

    func codePage(_ visit: Visit, error: SignInError?) -> Response {
        var data: [String: Any] = ["csrf": visit.session?.csrfToken ?? ""]
        if let error { data["codeError"] = visit.catalog.message(kind: error.kind, pointer: error.pointer) }
        return views.page(
            "sign-in-code", title: visit.text("code_title"), visit: visit, data: data,
            status: error == nil ? .ok : .unprocessableContent, address: "/sign-in/code")
    }

    func setupPage(_ visit: Visit, error: SignInError?) async throws -> Response {
        let setup = try await sessions.secondFactorSetup(session: visit.sessionID ?? "")
        var data: [String: Any] = [
            "csrf": visit.session?.csrfToken ?? "", "secret": Self.grouped(setup.secretText),
            "qr": QRCode.svg(setup.url, label: visit.text("setup_qr_label")) ?? "",
        ]
        if let error { data["codeError"] = visit.catalog.message(kind: error.kind, pointer: error.pointer) }
        return views.page(
            "sign-in-setup", title: visit.text("setup_title"), visit: visit, data: data,
            status: error == nil ? .ok : .unprocessableContent, address: "/sign-in/setup")
    }

    func activatePage(_ visit: Visit, code: String, error: (any ProblemDescribing)?) -> Response {
        var data: [String: Any] = ["activationCode": code]
        if let error {
            let facts = error.problem
            let field = (facts.pointer ?? "").split(separator: "/").first.map(String.init) ?? "password"
            data["\(field)Error"] = visit.catalog.message(kind: facts.kind, pointer: facts.pointer)
        }
        return views.page(
            "activate", title: visit.text("activate_title"), visit: visit, data: data,
            status: error == nil ? .ok : .unprocessableContent, address: "/activate")
    }

    func passwordPage(_ visit: Visit, error: (any ProblemDescribing)?) -> Response {
        var data: [String: Any] = ["csrf": visit.session?.csrfToken ?? ""]
        if let error {
            let facts = error.problem
            let field = (facts.pointer ?? "").split(separator: "/").first.map(String.init) ?? "password"
            data["\(field)Error"] = visit.catalog.message(kind: facts.kind, pointer: facts.pointer)
        }
        return views.page(
            "password", title: visit.text("password_title"), visit: visit, data: data,
            status: error == nil ? .ok : .unprocessableContent, address: "/password")
    }

    /// A secret in groups of four, easier to type: `ABCD EFGH …`.
    static func grouped(_ text: String) -> String {
        stride(from: 0, to: text.count, by: 4).map { start in
            let from = text.index(text.startIndex, offsetBy: start)
            let to = text.index(from, offsetBy: min(4, text.count - start))
            return String(text[from..<to])
        }.joined(separator: " ")
    }
}
