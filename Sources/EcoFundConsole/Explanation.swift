import EcoFundCore
import Foundation

/// A payment form the service refused, to be shown again beside its recipient.
struct RefusedPayment {
    let recipient: String
    let bankReference: String
    let valueDate: String
    let offset: String
    let errors: [String: String]
}

/// A recipient's amount in plain words, step by step from its derivation (DESIGN.md steps 3–7), then what
/// accountability adds: the binding targets missed, and a settlement's x_r, a_r and s_r.
enum Explanation {
    static func lines(_ recipient: Allocation.Recipient, trancheAmount: Money, _ visit: Visit) -> [String] {
        steps(recipient, trancheAmount: trancheAmount, visit) + accountability(recipient, visit)
    }

    static func accountability(_ recipient: Allocation.Recipient, _ visit: Visit) -> [String] {
        let derivation = recipient.derivation
        var lines: [String] = []
        if let missed = derivation.missedTargets, !missed.isEmpty, let multiplier = derivation.targetMultiplier {
            lines.append(
                visit.text(
                    "explain_missed_targets",
                    ["targets": missed.joined(separator: ", "), "multiplier": decimal(multiplier)]))
        }
        if let settlement = derivation.settlement {
            lines.append(
                visit.text(
                    "explain_settlement",
                    [
                        "final": Format.money(settlement.finalAmount), "advanced": Format.money(settlement.advanced),
                        "runs": settlement.advanceRuns.map { String($0.prefix(8)) }.joined(separator: ", "),
                        "difference": Format.money(settlement.difference),
                    ]))
        }
        if let clawback = recipient.clawback, clawback.fen > 0 {
            lines.append(visit.text("explain_clawback", ["amount": Format.money(clawback)]))
        }
        return lines
    }

    static func steps(_ recipient: Allocation.Recipient, trancheAmount: Money, _ visit: Visit) -> [String] {
        let derivation = recipient.derivation
        var lines: [String] = []
        let factors = derivation.factors.map { factor in
            visit.text(
                "explain_factor",
                [
                    "factor": visit.text("factor_\(factor.key)"), "share": percent(factor.share),
                    "weight": percent(factor.weight),
                ])
        }
        lines.append(
            visit.text(
                "explain_weighted",
                [
                    "factors": factors.joined(separator: visit.language == .zh ? "；" : "; "),
                    "share": percent(derivation.weightedShare),
                ]))
        if let composite = derivation.composite {
            if let band = derivation.bandMinScore {
                lines.append(
                    visit.text(
                        "explain_score_band",
                        ["score": composite, "band": decimal(band), "multiplier": decimal(derivation.multiplier)]))
            } else {
                lines.append(visit.text("explain_score_no_band", ["score": composite]))
            }
        }
        if recipient.withheld {
            lines.append(
                derivation.composite == nil
                    ? visit.text("explain_withheld_no_score") : visit.text("explain_withheld_band"))
            return lines
        }
        lines.append(
            visit.text(
                derivation.capped ? "explain_share_capped" : "explain_share",
                ["share": percent(derivation.share), "capped": percent(derivation.cappedShare)]))
        lines.append(
            visit.text(
                "explain_amount",
                [
                    "tranche": recipient.tranche, "trancheAmount": Format.money(trancheAmount),
                    "share": percent(derivation.cappedShare), "floor": Format.money(fen: derivation.floorFen),
                ]))
        if derivation.remainderFen > 0 {
            lines.append(visit.text("explain_remainder", ["fen": "\(derivation.remainderFen)"]))
        }
        return lines
    }

    /// An exact share as a percentage with two decimals, rounded half-up: 3/8 → 37.50%.
    static func percent(_ value: Exact) -> String {
        (value.rational * Rational(100)).decimalString(scale: 2) + "%"
    }

    static func decimal(_ value: Exact) -> String { value.rational.decimalString(scale: 2) }
}
