import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// The accountability cycle of DOMAIN.md's real schemes, in the demo: a 2025 advance paid in April on the 2024
/// scores; 2025 targets and monthly readings; the 2025 period finalized with Handan missing its binding PM2.5 target;
/// a settlement in March 2026 that claws back what Handan was advanced beyond its final amount; Handan returning part
/// of it. Hebei and the central government pay in as well. ILLUSTRATIVE figures throughout.
extension DemoSeed {
    /// 2025 targets of Hebei's cities: PM2.5 (binding, µg/m³, at most) and forest coverage (not binding, %).
    static let targets2025: [(String, pm25: String, forest: String)] = [
        ("shijiazhuang", "47", "36"), ("tangshan", "45", "36"), ("qinhuangdao", "32", "52"), ("handan", "45", "30"),
        ("xingtai", "48", "32"), ("baoding", "43", "38"), ("zhangjiakou", "25", "50"), ("chengde", "27", "60"),
        ("cangzhou", "44", "22"), ("langfang", "40", "33"), ("hengshui", "46", "31"),
    ]

    /// Readings of PM2.5 in March, June and September 2025 (µg/m³), city by city; Handan's rise is the early warning.
    static let readings2025: [(String, [String])] = [
        ("shijiazhuang", ["52", "44", "46"]), ("tangshan", ["49", "41", "44"]), ("qinhuangdao", ["34", "27", "30"]),
        ("handan", ["46", "47", "49"]), ("xingtai", ["53", "44", "47"]), ("baoding", ["46", "38", "41"]),
        ("zhangjiakou", ["26", "21", "23"]), ("chengde", ["28", "23", "25"]), ("cangzhou", ["47", "39", "42"]),
        ("langfang", ["42", "35", "38"]), ("hengshui", ["50", "41", "44"]),
    ]

    static let hebeiCities = [
        "shijiazhuang", "tangshan", "qinhuangdao", "handan", "xingtai", "baoding", "zhangjiakou", "chengde", "cangzhou",
        "langfang", "hengshui",
    ]

    /// Targets and readings of the open 2025 period; a revision is never made twice.
    static func loadMonitoring(_ service: AssessmentService, as principal: Principal) async throws {
        let existing = try await service.targets(period: "2025", jurisdiction: nil, by: principal)
        guard existing.isEmpty else { return }
        for (city, pm25, forest) in targets2025 {
            let targets = [
                Target(indicator: "pm25", value: pm25, binding: true),
                Target(indicator: "forestCoverage", value: forest, binding: false),
            ]
            _ = try await service.putTargets(
                period: "2025", jurisdiction: city, targets, reason: nil, ifMatch: nil, by: principal)
        }
        for (city, values) in readings2025 {
            for (month, value) in zip(["2025-03", "2025-06", "2025-09"], values) {
                _ = try await service.putReadings(
                    period: "2025", jurisdiction: city, month: month, [.init(indicator: "pm25", value: value)],
                    reason: nil, ifMatch: nil, by: principal)
            }
        }
    }

    /// The 2025 advance: 40 million yuan to Hebei's cities on the 2024 scores.
    static let advanceRule = RuleDocument(
        code: "jjj-advance-2025", title: "2025 advance (预拨), on the 2024 scores",
        pool: .init(kind: "fixed", amount: "40000000.00"),
        tranches: [.init(name: "hebei-cities", share: "1", recipients: hebeiCities)],
        factors: annualRule.factors, assessmentPeriod: "2024", scoreBands: annualRule.scoreBands,
        maxShareOfTranche: "0.60", missingScore: "withhold", kind: "advance", fiscalYear: 2025)

    /// The 2025 settlement (清算): the year's 100 million yuan by the 2025 scores, halved for a missed binding
    /// target, less what the advance paid.
    static let settlementRule = RuleDocument(
        code: "jjj-settlement-2025", title: "2025 settlement (清算) against the advance",
        pool: .init(kind: "fixed", amount: "100000000.00"),
        tranches: [.init(name: "hebei-cities", share: "1", recipients: hebeiCities)],
        factors: annualRule.factors, assessmentPeriod: "2025", scoreBands: annualRule.scoreBands,
        maxShareOfTranche: "0.60", missingScore: "withhold", kind: "settlement", fiscalYear: 2025,
        settles: "jjj-advance-2025", missedBindingTarget: .init(multiplier: "0.50"))

    static func loadAccountability(into database: Database, as admin: Principal) async throws {
        try await loadContributors(into: database, as: admin)
        let service = DisbursementService(database: database)
        let proposer = try await user(database, subject: "demo-finance", role: .finance, jurisdiction: "beijing")
        let approver = try await user(database, subject: "demo-approver", role: .approver, jurisdiction: nil)
        for rule in [advanceRule, settlementRule] {
            _ = try await service.publish(rule, by: admin, idempotencyKey: try IdempotencyKey("demo-rule-\(rule.code)"))
        }
        for (rule, posted, paid) in [
            ("jjj-advance-2025", "2025-04-15", "2025-04-22"), ("jjj-settlement-2025", "2026-03-31", "2026-04-10"),
        ] {
            let run = try await service.propose(
                rule: rule, version: 1, pool: nil, valueDate: try CalendarDate(parsing: posted, at: ""), by: proposer,
                idempotencyKey: try IdempotencyKey("demo-run-\(rule)"))
            for action in [RunStatus.Action.approve, .post] {
                _ = try await service.transition(
                    run.value.id, action, reason: nil, by: approver,
                    idempotencyKey: try IdempotencyKey("demo-\(action.rawValue)-\(rule)"))
            }
            for recipient in run.value.allocation.allocations where recipient.amount.fen > 0 {
                _ = try await service.confirmPayment(
                    run.value.id, recipient: recipient.recipient,
                    bankReference: "PBOC-\(paid.replacingOccurrences(of: "-", with: ""))-\(recipient.recipient)",
                    valueDate: try CalendarDate(parsing: paid, at: ""), by: approver,
                    idempotencyKey: try IdempotencyKey("demo-pay-\(rule)-\(recipient.recipient)"))
            }
        }
        try await loadRecovery(into: database, by: approver)
    }

    /// The central government (中央财政) as a contributor that is no member region, Hebei paying in too.
    static func loadContributors(into database: Database, as admin: Principal) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            let central = Jurisdiction(
                code: "central", name: "Central government", nameZh: "中央财政", level: .central, parent: nil,
                population: try ExactDecimal(parsing: "0", at: ""),
                ecologicalArea: try ExactDecimal(parsing: "0", at: ""),
                envSpendingPerCapita: try ExactDecimal(parsing: "0", at: ""))
            try await JurisdictionService.upsert(
                central, contributor: true, actor: subject, on: connection, logger: logger)
            guard
                let hebei = try await JurisdictionRepository.select(code: "hebei", on: connection, logger: logger).first
            else { preconditionFailure("the reference data has Hebei") }
            try await JurisdictionService.upsert(
                hebei, contributor: true, actor: subject, on: connection, logger: logger)
        }
        let ledger = LedgerService(database: database)
        for (contributor, amount, valueDate, reference) in [
            ("hebei", "20000000.00", "2025-04-30", "HEBEI-FIN-2025-0430-002"),
            ("central", "60000000.00", "2025-05-29", "MOF-2025-0529-031"),
        ] {
            let request = try ContributionRequest(
                contributor: contributor, amount: amount, currency: "CNY", valueDate: valueDate, reference: reference,
                memo: "demo contribution")
            _ = try await ledger.recordContribution(
                request, by: admin, idempotencyKey: try IdempotencyKey("demo-\(reference)"))
        }
    }

    /// Handan returns half of what the settlement clawed back (in whole yuan); the rest stays owed.
    static func loadRecovery(into database: Database, by approver: Principal) async throws {
        let recoveries = RecoveryService(database: database)
        guard let owed = try await recoveries.receivables(by: approver).first(where: { $0.recipient == "handan" })
        else { return }
        let half = Money(fen: owed.clawedBack.fen / 200 * 100)
        guard half.fen > 0 else { return }
        let request = try RecoveryRequest(
            recipient: "handan", amount: half.decimalString, valueDate: "2026-04-20",
            bankReference: "HANDAN-FIN-2026-0420-007")
        _ = try await recoveries.record(
            request, by: approver, idempotencyKey: try IdempotencyKey("demo-recovery-handan-2026"))
    }
}
