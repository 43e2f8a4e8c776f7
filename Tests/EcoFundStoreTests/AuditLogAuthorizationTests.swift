import Crypto
import EcoFundCore
import EcoFundStore
import EcoFundTesting
import Foundation
import Testing

/// The audit log's service refuses whoever may not read it, with no handler in front: a finance official (and the
/// other roles without the right) gets ``AuthorizationError`` from every function, an auditor does not.
@Suite struct AuditLogAuthorizationTests {
    @Test func everyAuditFunctionRefusesAFinanceOfficial() async throws {
        try await TestDatabase.with { database in
            let finance = try await database.principal(.finance, jurisdiction: "beijing")
            let assessor = try await database.principal(.assessor)
            let approver = try await database.principal(.approver)
            let auditor = try await database.principal(.auditor)
            try await database.withApp { app in
                let log = AuditLog(
                    database: app, exportDatabaseURL: database.appURL,
                    publicKey: Curve25519.Signing.PrivateKey().publicKey, exportSealWait: .milliseconds(100))
                let calls: [(String, @Sendable (Principal) async throws -> Void)] = [
                    ("latestCheckpoint", { _ = try await log.latestCheckpoint(by: $0) }),
                    ("publicKey", { _ = try log.publicKey(by: $0) }),
                    ("entries", { _ = try await log.entries(after: nil, limit: nil, by: $0) }),
                    ("inclusionProof", { _ = try await log.inclusionProof(index: 0, size: 1, by: $0) }),
                    ("consistencyProof", { _ = try await log.consistencyProof(old: 1, size: 1, by: $0) }),
                    ("openExport", { await (try await log.openExport(.everyDate, by: $0)).close() }),
                ]
                for (name, call) in calls {
                    for principal in [finance, assessor, approver] {
                        await #expect(throws: AuthorizationError.self, "\(name) as \(principal.role)") {
                            try await call(principal)
                        }
                    }
                    // An auditor gets past the check (the empty log may still say not found or not sealed).
                    do {
                        try await call(auditor)
                    } catch let error as AuthorizationError {
                        Issue.record("\(name) refused an auditor: \(error)")
                    } catch {}
                }
            }
        }
    }
}
