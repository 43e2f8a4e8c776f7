import EcoFundAudit
import EcoFundCore
import EcoFundExport
import EcoFundStore
import Foundation
import Hummingbird

/// The signed log as an auditor reads it: the latest checkpoint and the events, newest first; one event with its
/// inclusion proof, which the page checks itself in the browser (Assets/verify.js: SHA-256 and Ed25519 with WebCrypto,
/// against the key the auditor holds); and the export, downloaded for a range of value dates.
extension Console {
    /// Events per page of the log.
    static let logPageEvents = 50

    func registerAuditLog(on router: Router<BasicRequestContext>) {
        router.get("audit") { request, context in
            try await self.page(request, context) { visit in try await self.auditLogPage(visit) }
        }
        router.get("audit/events/:index") { request, context in
            let index = context.parameters.get("index").flatMap { Int64($0) }
            return try await self.page(request, context) { visit in
                guard let index, index >= 0 else {
                    throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
                }
                return try await self.auditEventPage(visit, index: index)
            }
        }
        router.get("audit/export") { request, context in
            try await self.page(request, context) { visit in try await self.exportPage(visit) }
        }
    }

    func auditTabs(_ visit: Visit, current: String) -> [[String: Any]] {
        var tabs = [("/audit", "audit_log_tab")]
        if visit.principal?.may(.exportBooks) == true { tabs.append(("/audit/export", "audit_export_tab")) }
        return tabs.map { path, key in ["href": path, "label": visit.text(key), "current": path == current] }
    }

    /// The checkpoint's facts and the key, as the pages show them.
    func checkpointView(_ checkpoint: Checkpoint, _ visit: Visit) -> [String: Any] {
        [
            "treeSize": "\(checkpoint.treeSize)", "rootHash": checkpoint.rootHash, "keyId": checkpoint.keyId,
            "issuedAt": Format.time(utc: checkpoint.issuedAt), "issuedAtUTC": checkpoint.issuedAt,
            "signature": checkpoint.signature,
        ]
    }

    func auditLogPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        // Asked first: it is the service that refuses a role that may not read the log.
        let unsealed = try await auditLog.unsealedCount(by: principal)
        var data: [String: Any] = ["tabs": auditTabs(visit, current: "/audit"), "unsealed": "\(unsealed)"]
        if let key = try? auditLog.publicKey(by: principal) {
            data["publicKey"] = key.rawRepresentation.base64EncodedString()
        }
        let checkpoint: Checkpoint
        do { checkpoint = try await auditLog.latestCheckpoint(by: principal) } catch let error as StoreError
            where error.code == .notFound
        {
            data["noCheckpoint"] = true
            return views.page("audit-log", title: visit.text("audit_title"), visit: visit, data: data)
        }
        data["checkpoint"] = checkpointView(checkpoint, visit)
        // Newest first: the page ends before leaf `before` (the tree's size on the first page).
        var end = checkpoint.treeSize
        if let asked = visit.query.optional("before") {
            guard let before = Int64(asked), (1...checkpoint.treeSize).contains(before) else {
                throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
            }
            end = before
        }
        let start = max(0, end - Int64(Self.logPageEvents))
        let page =
            end > start
            ? try await auditLog.entries(after: start > 0 ? start - 1 : nil, limit: Int(end - start), by: principal)
                .entries : []
        data["events"] = page.reversed().map { entry -> [String: Any] in
            let event = try? JSONValue(parsing: Array(entry.canonical.utf8))
            func field(_ name: String) -> String {
                if case .object(let members) = event, case .string(let text) = members[name] { return text }
                return ""
            }
            return [
                "index": "\(entry.index)", "type": field("type"), "actor": field("actor"),
                "at": Format.time(utc: field("at")), "leafHash": entry.leafHash.hex,
            ]
        }
        if start > 0 { data["older"] = Views.address("/audit", [("before", "\(start)")]) }
        if end < checkpoint.treeSize {
            data["newer"] = Views.address(
                "/audit", [("before", "\(min(checkpoint.treeSize, end + Int64(Self.logPageEvents)))")])
        }
        return views.page("audit-log", title: visit.text("audit_title"), visit: visit, data: data)
    }

    /// One event and its inclusion proof in the tree of the latest checkpoint, with everything the page's script
    /// needs to check it: the canonical bytes, the audit path, the signed tree head and the key.
    func auditEventPage(_ visit: Visit, index: Int64) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let checkpoint = try await auditLog.latestCheckpoint(by: principal)
        guard index < checkpoint.treeSize,
            let entry = try await auditLog.entries(after: index > 0 ? index - 1 : nil, limit: 1, by: principal)
                .entries.first, entry.index == index
        else {
            throw PageOutcome.refused(status: .notFound, messageKey: "error_not-found", detail: nil)
        }
        let proof = try await auditLog.inclusionProof(index: index, size: checkpoint.treeSize, by: principal)
        var data: [String: Any] = [
            "tabs": auditTabs(visit, current: ""), "index": "\(index)", "canonical": entry.canonical,
            "leafHash": entry.leafHash.hex, "proof": proof.proof.map(\.hex).joined(separator: ","),
            "proofSteps": proof.proof.enumerated().map { step, hash in ["step": "\(step + 1)", "hash": hash.hex] },
            "checkpoint": checkpointView(checkpoint, visit),
        ]
        if let key = try? auditLog.publicKey(by: principal) {
            data["publicKey"] = key.rawRepresentation.base64EncodedString()
        }
        return views.page(
            "audit-event", title: visit.text("audit_event_title", ["index": "\(index)"]), visit: visit, data: data,
            current: "/audit", scripts: ["/assets/verify.js"])
    }

    /// The export's form, and the download itself once a range is given: the ZIP streamed as it is written, so a
    /// year of books takes no more memory than a day.
    func exportPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        try auditLog.authorizeExport(by: principal)
        var errors: [String: String] = [:]
        let today = Format.beijingDate(Date())
        if visit.query.optional("download") != nil {
            do {
                let range = try DateRange(parsingFrom: visit.query.optional("from"), to: visit.query.optional("to"))
                let language: ReportLanguage = visit.query.optional("lang") == "en" ? .en : .zh
                let snapshot = try await auditLog.openExport(range, by: principal)
                return Self.download(AuditExporter(snapshot, language: language))
            } catch let error as ValidationError { keep(error, visit, &errors) }
        }
        var data: [String: Any] = [
            "tabs": auditTabs(visit, current: "/audit/export"),
            "from": visit.query.optional("from") ?? "\(today.year)-01-01",
            "to": visit.query.optional("to") ?? today.description,
            // The report in the page's language unless the person chose the other.
            "english": (visit.query.optional("lang") ?? visit.language.rawValue) == "en",
        ]
        for (field, message) in errors { data["\(field)Error"] = message }
        return views.page(
            "audit-export", title: visit.text("audit_export_title"), visit: visit, data: data,
            status: errors.isEmpty ? .ok : .unprocessableContent, current: "/audit")
    }

    static func download(_ exporter: AuditExporter) -> Response {
        var headers = Views.headers
        headers[.contentType] = "application/zip"
        headers[.contentDisposition] = "attachment; filename=\"\(exporter.fileName)\""
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                for try await chunk in ExportStream(exporter: exporter) {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            })
    }
}
