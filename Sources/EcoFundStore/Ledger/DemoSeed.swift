import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Demo data from DOMAIN.md: Beijing, Tianjin, Hebei and Hebei's eleven prefecture-level cities, the two
/// contributors' accounts, their 2025 pledges and a few contributions. Running it again changes nothing.
///
/// Populations are 2020 census figures (rounded to thousands). Provincial per-capita environmental spending is
/// the 2015 figure of DOMAIN.md Table 1. ILLUSTRATIVE: every `ecologicalArea` and the cities' per-capita
/// spending are made-up but plausible demo values (Zhangjiakou and Chengde, upstream of Miyun reservoir, carry the
/// largest areas); check official statistics before any real use.
public enum DemoSeed {
    /// code, name, nameZh, parent, population, ecological area (km², illustrative), per-capita spending (yuan).
    static let jurisdictions: [(String, String, String, String?, String, String, String)] = [
        ("beijing", "Beijing", "北京市", nil, "21893000", "7860", "1397"),
        ("tianjin", "Tianjin", "天津市", nil, "13866000", "2980", "473"),
        ("hebei", "Hebei", "河北省", nil, "74610000", "78500", "381"),
        ("shijiazhuang", "Shijiazhuang", "石家庄市", "hebei", "11235000", "4620", "402"),
        ("tangshan", "Tangshan", "唐山市", "hebei", "7718000", "3150", "455"),
        ("qinhuangdao", "Qinhuangdao", "秦皇岛市", "hebei", "3137000", "3480", "428"),
        ("handan", "Handan", "邯郸市", "hebei", "9414000", "3010", "336"),
        ("xingtai", "Xingtai", "邢台市", "hebei", "7111000", "2870", "318"),
        ("baoding", "Baoding", "保定市", "hebei", "11544000", "8260", "347"),
        ("zhangjiakou", "Zhangjiakou", "张家口市", "hebei", "4118000", "21350", "512"),
        ("chengde", "Chengde", "承德市", "hebei", "3355000", "24870", "538"),
        ("cangzhou", "Cangzhou", "沧州市", "hebei", "7301000", "2240", "329"),
        ("langfang", "Langfang", "廊坊市", "hebei", "5464000", "1120", "371"),
        ("hengshui", "Hengshui", "衡水市", "hebei", "4213000", "1580", "305"),
    ]

    static let contributors: Set<String> = ["beijing", "tianjin"]
    static let subject = "demo-seed"

    /// Loads the reference data and the demo activity; safe to run again.
    public static func load(into database: Database) async throws {
        let principal = try await loadReferenceData(into: database)
        try await loadActivity(into: database, as: principal)
    }

    /// The jurisdictions and the contributors' accounts, and the admin user that recorded them.
    @discardableResult
    public static func loadReferenceData(into database: Database) async throws -> Principal {
        let logger = database.logger
        let principal = try await database.transaction { connection in
            for (code, name, nameZh, parent, population, area, spending) in jurisdictions {
                let jurisdiction = Jurisdiction(
                    code: code, name: name, nameZh: nameZh, level: parent == nil ? .province : .city, parent: parent,
                    population: try ExactDecimal(parsing: population, at: ""),
                    ecologicalArea: try ExactDecimal(parsing: area, at: ""),
                    envSpendingPerCapita: try ExactDecimal(parsing: spending, at: ""))
                try await JurisdictionService.upsert(
                    jurisdiction, contributor: contributors.contains(code), actor: subject, on: connection,
                    logger: logger)
            }
            let id = UUID()
            try await connection.query(
                "INSERT INTO users (id, subject, role) VALUES (\(id), \(subject), 'admin') ON CONFLICT (subject) DO NOTHING",
                logger: logger)
            try await AuditRepository.record(
                "user.created", actor: subject, payload: ["subject": subject], on: connection, logger: logger)
            for try await userID in try await connection.query(
                "SELECT id FROM users WHERE subject = \(subject)", logger: logger
            ).decode(UUID.self) {
                return Principal(userID: userID, subject: subject, role: .admin, jurisdiction: nil)
            }
            preconditionFailure("the demo user vanished inside its own transaction")
        }
        return principal
    }

    /// 2025 pledges of Beijing and Tianjin and three contributions against them.
    static func loadActivity(into database: Database, as principal: Principal) async throws {
        let commitments = CommitmentService(database: database)
        for (contributor, amount) in [("beijing", "300000000.00"), ("tianjin", "100000000.00")] {
            let request = try CommitmentRequest(
                contributor: contributor, fiscalYear: 2025, amount: amount, currency: "CNY", memo: "demo pledge")
            _ = try await commitments.create(
                request, by: principal, idempotencyKey: "demo-commitment-\(contributor)-2025")
        }
        let ledger = LedgerService(database: database)
        let contributions = [
            ("beijing", "120000000.00", "2025-03-15", "BOC-2025-0315-001"),
            ("tianjin", "40000000.00", "2025-03-31", "ICBC-2025-0331-017"),
            ("beijing", "90000000.00", "2025-06-30", "BOC-2025-0630-004"),
        ]
        for (contributor, amount, valueDate, reference) in contributions {
            let request = try ContributionRequest(
                contributor: contributor, amount: amount, currency: "CNY", valueDate: valueDate, reference: reference,
                memo: "demo contribution")
            _ = try await ledger.recordContribution(request, by: principal, idempotencyKey: "demo-\(reference)")
        }
    }
}
