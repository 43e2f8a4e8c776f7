import EcoFundCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The templates (`Templates/*.mustache`), and the frame every page shares: the fund's name, who is signed in and
/// in what role, the menu of what the role may do, the language switch; with the headers of DESIGN.md.
struct Views: Sendable {
    let library: MustacheLibrary

    init() throws {
        guard let directory = Bundle.module.resourceURL?.appendingPathComponent("Templates") else {
            throw ConsoleSetupError("the console's templates are missing from its bundle")
        }
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".mustache")
        }
        for name in names {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        self.library = library
    }

    /// The headers of every page: no framing, no inline script or style, no sniffing, no referrer to other sites, and
    /// no caching (pages show the books and a form token).
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    /// Where the language switch returns to: this page for a GET; after a POST, the address of the page shown (its
    /// form afresh), else the page of this site the form was on.
    static func back(_ request: Request, address: String?) -> String {
        if request.method == .get {
            return request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        }
        if let address { return address }
        guard let referer = request.headers[.referer].flatMap(URLComponents.init(string:)),
            referer.host == request.head.authority?.split(separator: ":").first.map(String.init),
            !referer.path.isEmpty
        else { return "/" }
        return referer.path + (referer.query.map { "?\($0)" } ?? "")
    }

    /// A page of this console with a query, each value encoded as a form would send it.
    static func address(_ path: String, _ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return path }
        return path + "?"
            + query.map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
    }

    static func redirect(_ path: String) -> Response {
        var headers = Self.headers
        headers[.location] = path
        return Response(status: .seeOther, headers: headers)
    }

    /// A page in the frame.
    func page(
        _ template: String, title: String, visit: Visit, data: [String: Any], status: HTTPResponse.Status = .ok,
        current: String? = nil, address: String? = nil, scripts: [String] = []
    ) -> Response {
        var context = data
        context["t"] = visit.catalog.texts
        guard let content = library.render(context, withTemplate: template) else {
            preconditionFailure("no template \(template)")
        }
        let path = visit.request.uri.path
        var frame: [String: Any] = [
            "t": visit.catalog.texts, "lang": visit.language.tag, "title": title, "content": content,
            // Scripts of this server only (the CSP allows no other), each an enhancement: the page works without.
            "scripts": scripts,
            "switchTo": visit.language == .zh ? "en" : "zh",
            "switchLabel": visit.language == .zh ? "English" : "简体中文",
            // Back to this very page after the switch, its query too (a filtered list, a preview); a page that
            // answered a POST goes back to the page the form was on.
            "back": Self.back(visit.request, address: address).addingPercentEncoding(
                withAllowedCharacters: .alphanumerics) ?? "/",
        ]
        if let session = visit.session {
            frame["signedIn"] = [
                "subject": session.principal.subject,
                "role": visit.text("role_\(session.principal.role.rawValue)"),
                "csrf": session.csrfToken,
            ]
            if let principal = visit.principal {
                frame["menu"] = Menu.items(for: principal, catalog: visit.catalog, current: current ?? path)
                frame["hasMenu"] = true
            }
        }
        guard let html = library.render(frame, withTemplate: "layout") else { preconditionFailure("no layout") }
        return Response(status: status, headers: Self.headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What the menu offers a role: the pages whose work the role may do (the services still decide).
enum Menu {
    static func items(for principal: Principal, catalog: Catalog, current: String) -> [[String: Any]] {
        var items: [(String, String)] = [("/", "nav_dashboard")]
        if principal.may(.approveRuns) { items.append(("/approvals", "nav_approvals")) }
        if principal.may(.readBooks) {
            items.append(("/contributions", "nav_contributions"))
            items.append(("/commitments", "nav_commitments"))
            items.append(("/runs", "nav_runs"))
        }
        if principal.may(.proposeRuns) { items.append(("/runs/new", "nav_run_new")) }
        if principal.may(.enterScores) || principal.may(.readAuditLog) {
            items.append(("/assessment", "nav_assessment"))
        }
        if principal.may(.readBooks) { items.append(("/journal", "nav_books")) }
        if principal.may(.recordRecoveries) || principal.may(.readAuditLog) {
            items.append(("/receivables", "nav_receivables"))
        }
        if principal.may(.publishRules) || principal.may(.proposeRuns) { items.append(("/rules", "nav_rules")) }
        if principal.may(.readAuditLog) { items.append(("/audit", "nav_audit")) }
        if principal.may(.managePeople) { items.append(("/people", "nav_people")) }
        if principal.may(.manageTokens) { items.append(("/tokens", "nav_tokens")) }
        if principal.may(.changeReferenceData) { items.append(("/jurisdictions", "nav_jurisdictions")) }
        if principal.may(.decideAccess) { items.append(("/access-requests", "nav_access_requests")) }
        // The page's own item is the longest path it lies under: /runs/new lights "propose", not "runs".
        let matching = items.map(\.0).filter { path in
            path == "/" ? current == "/" : current == path || current.hasPrefix(path + "/")
        }
        let lit = matching.max { $0.count < $1.count }
        return items.map { path, key in ["href": path, "label": catalog.text(key), "current": path == lit] }
    }
}

struct ConsoleSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The style sheet and the one script (the inclusion proof's check), served by the binary itself (no CDN).
enum Assets {
    static let css = asset("console", "css", type: "text/css; charset=utf-8")
    static let verifyScript = asset("verify", "js", type: "text/javascript; charset=utf-8")

    static func asset(_ name: String, _ ext: String, type: String) -> Response {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Assets"),
            let data = try? Data(contentsOf: url)
        else { preconditionFailure("the console's \(name).\(ext) is missing from its bundle") }
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "public, max-age=3600",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
