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
        try await loadAssessment(into: database, as: principal)
        try await loadDisbursement(into: database, as: principal)
        try await loadAccountability(into: database, as: principal)
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
            let user = try await UserService.ensure(
                subject: subject, role: .admin, jurisdiction: nil, actor: subject, on: connection, logger: logger)
            return Principal(userID: user.id, subject: subject, role: .admin, jurisdiction: nil)
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
                request, by: principal, idempotencyKey: try IdempotencyKey("demo-commitment-\(contributor)-2025"))
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
            _ = try await ledger.recordContribution(
                request, by: principal, idempotencyKey: try IdempotencyKey("demo-\(reference)"))
        }
    }
}

extension DemoSeed {
    /// A green performance scheme drawn from China's 2016 Green Development Indicator System: code, name, nameZh,
    /// weight, direction, floor, ceiling, unit. Floors and ceilings are illustrative scoring ranges.
    static let indicators: [(String, String, String, String, IndicatorScheme.Direction, String, String, String)] = [
        (
            "energyIntensityCut", "Energy use per unit of GDP, reduction", "单位GDP能耗降低率", "0.15", .higherIsBetter, "0",
            "6", "%"
        ),
        (
            "co2IntensityCut", "CO2 emissions per unit of GDP, reduction", "单位GDP二氧化碳排放降低率", "0.15", .higherIsBetter,
            "0", "7", "%"
        ),
        ("pm25", "PM2.5 annual mean concentration", "细颗粒物(PM2.5)年均浓度", "0.20", .lowerIsBetter, "25", "75", "µg/m³"),
        ("goodAirDays", "Share of days with good air quality", "空气质量优良天数比率", "0.15", .higherIsBetter, "50", "90", "%"),
        ("forestCoverage", "Forest coverage", "森林覆盖率", "0.10", .higherIsBetter, "10", "60", "%"),
        (
            "envSpendingShare", "Environmental spending in the general budget", "节能环保支出占一般公共预算支出比重", "0.10",
            .higherIsBetter, "1", "6", "%"
        ),
        (
            "surfaceWaterGood", "Surface water at or better than Class III", "地表水达到或好于III类水体比例", "0.15",
            .higherIsBetter, "40", "100", "%"
        ),
    ]

    /// ILLUSTRATIVE 2025 values, in the order of ``indicators``: plausible, not official statistics.
    static let values2025: [(String, [String])] = [
        ("beijing", ["3.5", "4.2", "30", "78.1", "44.8", "5.3", "75.0"]),
        ("tianjin", ["3.0", "3.8", "37", "70.4", "12.1", "2.3", "55.0"]),
        ("shijiazhuang", ["3.2", "4.0", "45", "62.5", "37.0", "3.6", "70.0"]),
        ("tangshan", ["2.4", "3.1", "43", "66.0", "36.5", "3.1", "65.0"]),
        ("qinhuangdao", ["3.8", "4.5", "30", "80.0", "53.0", "4.2", "85.0"]),
        ("handan", ["2.6", "3.3", "48", "60.2", "30.0", "3.0", "60.0"]),
        ("xingtai", ["2.9", "3.5", "46", "61.3", "32.0", "3.2", "58.0"]),
        ("baoding", ["3.4", "4.1", "41", "66.8", "39.0", "4.0", "72.0"]),
        ("zhangjiakou", ["4.5", "5.2", "23", "86.3", "50.0", "5.1", "95.0"]),
        ("chengde", ["4.1", "4.8", "25", "84.9", "60.2", "5.4", "96.0"]),
        ("cangzhou", ["3.0", "3.7", "42", "68.0", "20.0", "3.3", "50.0"]),
        ("langfang", ["3.3", "4.0", "38", "70.0", "33.0", "3.7", "62.0"]),
        ("hengshui", ["2.8", "3.4", "44", "65.5", "31.0", "3.0", "57.0"]),
    ]

    /// ILLUSTRATIVE 2024 values, the scores the 2025 advance is paid on: a little behind 2025 in most places;
    /// Handan's PM2.5 was then better than it turned out in 2025.
    static let values2024: [(String, [String])] = [
        ("beijing", ["3.3", "4.0", "32", "75.4", "44.6", "5.1", "72.0"]),
        ("tianjin", ["2.8", "3.6", "39", "68.9", "12.0", "2.2", "52.0"]),
        ("shijiazhuang", ["3.0", "3.8", "47", "60.1", "36.6", "3.4", "66.0"]),
        ("tangshan", ["2.2", "2.9", "46", "63.0", "36.2", "3.0", "61.0"]),
        ("qinhuangdao", ["3.6", "4.3", "31", "78.5", "52.8", "4.0", "83.0"]),
        ("handan", ["2.9", "3.6", "41", "66.0", "29.8", "3.1", "62.0"]),
        ("xingtai", ["2.7", "3.3", "48", "59.0", "31.7", "3.1", "55.0"]),
        ("baoding", ["3.2", "3.9", "43", "64.4", "38.6", "3.8", "69.0"]),
        ("zhangjiakou", ["4.3", "5.0", "24", "85.0", "49.5", "5.0", "93.0"]),
        ("chengde", ["3.9", "4.6", "26", "83.1", "59.9", "5.2", "94.0"]),
        ("cangzhou", ["2.8", "3.5", "44", "66.2", "19.6", "3.2", "48.0"]),
        ("langfang", ["3.1", "3.8", "40", "68.3", "32.7", "3.5", "60.0"]),
        ("hengshui", ["2.6", "3.2", "46", "63.0", "30.8", "2.9", "54.0"]),
    ]

    /// The `jjj-green` scheme and finalized periods `2024` and `2025` scoring every demo jurisdiction but Hebei
    /// itself.
    static func loadAssessment(into database: Database, as principal: Principal) async throws {
        let service = AssessmentService(database: database)
        var parsed: [IndicatorScheme.Indicator] = []
        var texts: [IndicatorTexts] = []
        for (code, name, nameZh, weight, direction, floor, ceiling, unit) in indicators {
            parsed.append(
                IndicatorScheme.Indicator(
                    code: code, name: name, nameZh: nameZh, weight: try parseDecimal(weight, at: ""),
                    direction: direction, floor: try parseDecimal(floor, at: ""),
                    ceiling: try parseDecimal(ceiling, at: ""), unit: unit))
            texts.append(IndicatorTexts(weight: weight, floor: floor, ceiling: ceiling))
        }
        let scheme = try IndicatorScheme(
            code: "jjj-green", version: 1, name: "Beijing–Tianjin–Hebei green performance", indicators: parsed)
        let published = try await service.createScheme(
            scheme, texts: texts, by: principal, idempotencyKey: try IdempotencyKey("demo-scheme-jjj-green"))
        for (code, values) in [("2024", values2024), ("2025", values2025)] {
            try await scorePeriod(code, values, scheme: published.value, service: service, as: principal)
        }
    }

    /// Opens a period under the scheme, enters its scores (and, for 2025, its targets and monthly readings) and
    /// finalizes it; a period already finalized is left as it is.
    static func scorePeriod(
        _ code: String, _ scores: [(String, [String])], scheme: SchemeRecord, service: AssessmentService,
        as principal: Principal
    ) async throws {
        let request = try PeriodRequest(
            code: code, schemeCode: scheme.code, schemeVersion: scheme.version, jurisdictions: scores.map(\.0))
        let period = try await service.createPeriod(
            request, by: principal, idempotencyKey: try IdempotencyKey("demo-period-\(code)"))
        guard period.value.status == .open else { return }
        for (jurisdiction, values) in scores {
            if (try? await service.score(period: code, jurisdiction: jurisdiction, by: principal)) != nil { continue }
            let input = AssessmentService.ScoreInput(
                values: zip(indicators, values).map { (code: $0.0.0, value: $0.1) }, reason: nil)
            _ = try await service.putScore(period: code, jurisdiction: jurisdiction, input, ifMatch: nil, by: principal)
        }
        if code == "2025" { try await loadMonitoring(service, as: principal) }
        _ = try await service.finalize(
            period: code, by: principal, idempotencyKey: try IdempotencyKey("demo-finalize-\(code)"))
    }
}

extension DemoSeed {
    /// The `jjj-annual` rule: 80 % of the pool to Hebei's eleven cities, 20 % to the capital municipalities'
    /// ecological areas; factors and bands as in DESIGN.md, bands set so the demo cities' scores fall in them.
    static let annualRule = RuleDocument(
        code: "jjj-annual", title: "Annual allocation, tilted toward Hebei",
        pool: .init(kind: "shareOfAvailable", share: "0.80"),
        tranches: [
            .init(
                name: "hebei-cities", share: "0.80",
                recipients: [
                    "shijiazhuang", "tangshan", "qinhuangdao", "handan", "xingtai", "baoding", "zhangjiakou", "chengde",
                    "cangzhou", "langfang", "hengshui",
                ]),
            .init(name: "capital-ecological-areas", share: "0.20", recipients: ["beijing", "tianjin"]),
        ],
        factors: [
            .init(key: "population", weight: "0.30"), .init(key: "envSpendingGap", weight: "0.30"),
            .init(key: "greenScore", weight: "0.40"),
        ],
        assessmentPeriod: "2025",
        scoreBands: [
            .init(minScore: "80", multiplier: "1.20"), .init(minScore: "60", multiplier: "1.00"),
            .init(minScore: "45", multiplier: "0.80"), .init(minScore: "40", multiplier: "0.50"),
            .init(minScore: "0", multiplier: "0"),
        ],
        maxShareOfTranche: "0.60", missingScore: "withhold")

    /// Publishes `jjj-annual` and takes one run through the whole cycle: proposed by a finance official,
    /// approved and posted by an approver, every recipient's payment confirmed; in December 2025, on the 2025 scores,
    /// so that the year's books (and an export of 2025) hold money in, money out, and the payments.
    static func loadDisbursement(into database: Database, as admin: Principal) async throws {
        let service = DisbursementService(database: database)
        _ = try await service.publish(annualRule, by: admin, idempotencyKey: try IdempotencyKey("demo-rule-jjj-annual"))
        let proposer = try await user(database, subject: "demo-finance", role: .finance, jurisdiction: "beijing")
        let approver = try await user(database, subject: "demo-approver", role: .approver, jurisdiction: nil)
        let valueDate = try CalendarDate(parsing: "2025-12-15", at: "")
        let run = try await service.propose(
            rule: "jjj-annual", version: 1, pool: nil, valueDate: valueDate, by: proposer,
            idempotencyKey: try IdempotencyKey("demo-run-2025-12"))
        let id = run.value.id
        _ = try await service.transition(
            id, .approve, reason: nil, by: approver, idempotencyKey: try IdempotencyKey("demo-approve"))
        _ = try await service.transition(
            id, .post, reason: nil, by: approver, idempotencyKey: try IdempotencyKey("demo-post"))
        for (index, recipient) in run.value.allocation.allocations.enumerated() where recipient.amount.fen > 0 {
            _ = try await service.confirmPayment(
                id, recipient: recipient.recipient, bankReference: "PBOC-20251220-\(100 + index)",
                valueDate: try CalendarDate(parsing: "2025-12-20", at: ""), by: approver,
                idempotencyKey: try IdempotencyKey("demo-pay-\(recipient.recipient)"))
        }
    }

    /// A demo user, created once, with an audit event like any other.
    static func user(_ database: Database, subject: String, role: Role, jurisdiction: String?) async throws -> Principal
    {
        let logger = database.logger
        let user = try await database.transaction { connection in
            try await UserService.ensure(
                subject: subject, role: role, jurisdiction: jurisdiction, actor: Self.subject, on: connection,
                logger: logger)
        }
        return Principal(userID: user.id, subject: user.subject, role: role, jurisdiction: jurisdiction)
    }
}
