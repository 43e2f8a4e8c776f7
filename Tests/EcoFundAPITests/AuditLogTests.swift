import Crypto
import EcoFundAudit
import EcoFundCore
import EcoFundExport
import Foundation
import Testing

@Suite struct AuditLogTests {
    /// Polls the checkpoint until the log holds at least `size` leaves (the sealer works in the background).
    static func checkpoint(_ api: APIHarness, atLeast size: Int64) async throws -> [String: Any] {
        for _ in 0..<100 {
            let reply = try await api.call(.get, "/v1/audit/checkpoint", token: api.tokens.auditor)
            if reply.status == 200,
                let treeSize = reply.json["treeSize"] as? Int64 ?? (reply.json["treeSize"] as? Int).map(Int64.init),
                treeSize >= size
            {
                return reply.json
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the sealer did not reach \(size) leaves within 10 s")
        return [:]
    }

    @Test func everyCommittedEventIsSealedSignedAndProvable() async throws {
        let key = Curve25519.Signing.PrivateKey()
        try await APIHarness.with(signingKey: key.rawRepresentation) { api in
            #expect(try await api.call(.get, "/v1/audit/checkpoint", token: api.tokens.financeBeijing).status == 403)
            let events = try await api.count("audit_events")
            let first = try await Self.checkpoint(api, atLeast: Int64(events))
            for index in 0..<5 {
                #expect(
                    try await api.call(
                        .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "sealed-\(index)",
                        json: APIHarness.contribution(amount: "\(index + 1).00", reference: "S\(index)")
                    ).status == 201)
            }
            let total = Int64(try await api.count("audit_events"))
            let second = try await Self.checkpoint(api, atLeast: total)
            let size = try #require(second["treeSize"] as? Int)
            #expect(Int64(size) == total)

            // The checkpoint is signed by the published key.
            let published = try await api.call(.get, "/v1/audit/public-key", token: api.tokens.auditor)
            let raw = try #require(Data(base64Encoded: published.string("publicKey") ?? ""))
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
            let checkpoint = Checkpoint(
                treeSize: Int64(size), rootHash: second["rootHash"] as? String ?? "",
                issuedAt: second["issuedAt"] as? String ?? "",
                keyId: second["keyId"] as? String ?? "", signature: second["signature"] as? String ?? "")
            #expect(checkpoint.isSigned(by: publicKey))

            // Every event's canonical bytes hash to its leaf, and its inclusion proof verifies against the root.
            let page = try await api.call(.get, "/v1/audit/events?limit=1000", token: api.tokens.auditor)
            #expect(page.items.count == size)
            let root = try #require([UInt8](hex: checkpoint.rootHash))
            var leaves: [Digest32] = []
            for item in page.items {
                let index = try #require(item["index"] as? Int)
                let canonical = try #require(item["event"] as? String)
                let leaf = MerkleTree.leafHash(Array(canonical.utf8))
                #expect(leaf.hex == item["leafHash"] as? String)
                #expect(try JSONValue(parsing: Array(canonical.utf8)).canonicalBytes == Array(canonical.utf8))
                leaves.append(leaf)
                let proof = try await api.call(
                    .get, "/v1/audit/proofs/inclusion?index=\(index)&treeSize=\(size)", token: api.tokens.auditor)
                let path = (proof.json["proof"] as? [String] ?? []).compactMap { [UInt8](hex: $0) }
                #expect(MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: path, root: root))
            }
            #expect(MerkleTree.root(leaves[...]) == root)
            #expect(page.items.contains { ($0["event"] as? String)?.contains("contribution.recorded") == true })

            // The earlier tree is a prefix of the later one.
            let oldSize = try #require(first["treeSize"] as? Int)
            try #require(oldSize > 0 && oldSize < size)
            do {
                let oldRoot = try #require([UInt8](hex: first["rootHash"] as? String ?? ""))
                let reply = try await api.call(
                    .get, "/v1/audit/proofs/consistency?from=\(oldSize)&to=\(size)", token: api.tokens.auditor)
                let proof = (reply.json["proof"] as? [String] ?? []).compactMap { [UInt8](hex: $0) }
                #expect(
                    MerkleTree.verifyConsistency(old: oldSize, size: size, proof: proof, oldRoot: oldRoot, root: root))
            }
            #expect(
                try await api.call(
                    .get, "/v1/audit/proofs/inclusion?index=\(size)&treeSize=\(size)", token: api.tokens.auditor
                ).status == 422)
            #expect(
                try await api.call(
                    .get, "/v1/audit/proofs/consistency?from=1&to=\(size + 10)", token: api.tokens.auditor
                ).status == 422)
        }
    }
}

@Suite struct SealerConcurrencyTests {
    /// 100 contributions committed concurrently while the sealer runs: afterwards every audit event is a leaf exactly
    /// once, whatever order the transactions committed in.
    @Test func everyEventIsSealedExactlyOnceUnderConcurrentWrites() async throws {
        try await APIHarness.with(signingKey: Curve25519.Signing.PrivateKey().rawRepresentation) { api in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        try await api.send(
                            .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "c-\(index)",
                            json: APIHarness.contribution(amount: "\(index + 1).00", reference: "C\(index)")
                        ).status
                    }
                }
                for try await status in group { #expect(status == 201) }
            }
            let events = Int64(try await api.count("audit_events"))
            _ = try await AuditLogTests.checkpoint(api, atLeast: events)
            #expect(try await api.count("audit_log") == events)
            #expect(
                try await api.count(
                    "audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)") == 0)
            #expect(
                try await api.count("(SELECT event_id FROM audit_log GROUP BY event_id HAVING count(*) > 1) d") == 0)
        }
    }
}

@Suite struct AuditExportAPITests {
    /// An auditor downloads the books over HTTP while the server's own sealer runs, and the download verifies offline
    /// against the key the server publishes. Others are refused, and bad ranges are named.
    @Test func anAuditorDownloadsAnExportThatVerifies() async throws {
        try await APIHarness.with(signingKey: Curve25519.Signing.PrivateKey().rawRepresentation) { api in
            for index in 0..<3 {
                let status = try await api.call(
                    .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "export-\(index)",
                    json: APIHarness.contribution(amount: "\(index + 1)000.00", reference: "EXP-\(index)")
                ).status
                #expect(status == 201)
            }
            // The export proves only sealed events and answers 503 for a moment otherwise; on a loaded CI machine the
            // server's sealer can take longer than that moment, so wait for it here (at most 30 s) first.
            let unsealed = "audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)"
            var waits = 0
            while try await api.count(unsealed) > 0, waits < 300 {
                try await Task.sleep(for: .milliseconds(100))
                waits += 1
            }
            #expect(try await api.count(unsealed) == 0, "the server's sealer sealed every event")
            let reply = try await api.call(
                .get, "/v1/audit/export?from=2025-01-01&to=2025-12-31", token: api.tokens.auditor)
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/zip")
            #expect(
                reply.headers[.contentDisposition] == "attachment; filename=\"ecofund-audit-2025-01-01-2025-12-31.zip\""
            )
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("api-export-\(UUID()).zip")
            try reply.body.write(to: file)
            let published = try await api.call(.get, "/v1/audit/public-key", token: api.tokens.auditor)
            let encoded = try #require(published.string("publicKey"))
            let raw = try #require(Data(base64Encoded: encoded))
            let key = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
            let report = ExportVerifier(trustedKey: key).verify(archiveAt: file)
            #expect(report.failures == [])
            let archive = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            #expect(archive.contains("EXP-2"), "the new contributions are in the export")

            for token in [api.tokens.admin, api.tokens.financeBeijing, api.tokens.approver] {
                #expect(try await api.call(.get, "/v1/audit/export", token: token).status == 403)
            }
            #expect(try await api.call(.get, "/v1/audit/export", token: nil).status == 401)
            let badDate = try await api.call(.get, "/v1/audit/export?from=2025-02-30", token: api.tokens.auditor)
            #expect(badDate.status == 422 && badDate.problemPointer == "from")
            let backwards = try await api.call(
                .get, "/v1/audit/export?from=2025-12-31&to=2025-01-01", token: api.tokens.auditor)
            #expect(backwards.status == 422 && backwards.problemPointer == "from")
        }
    }
}
