import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird

/// Pledges by contributor and fiscal year, with how much of each has been received.
extension Console {
    func registerCommitments(on router: Router<BasicRequestContext>) {
        router.get("commitments") { request, context in
            try await self.page(request, context) { visit in try await self.commitmentsPage(visit) }
        }
    }

    func commitmentsPage(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        let names = try await placeNames(principal)
        let asked = visit.query.optional("year")
        let all = try await commitments.list(fiscalYear: nil, contributor: nil, by: principal)
        let years = Set(all.map(\.fiscalYear)).sorted(by: >)
        // The year asked for, else the newest year with a pledge, else this year in Beijing.
        let year = asked.flatMap(Int.init) ?? years.first ?? Int(Format.beijingDate(Date()).description.prefix(4)) ?? 0
        let rows: [[String: Any]] = all.filter { $0.fiscalYear == year }.map { commitment in
            let share = commitment.amount.fen > 0 ? min(100, commitment.fulfilled.fen * 100 / commitment.amount.fen) : 0
            return [
                "contributor": Format.place(commitment.contributor, names, visit.language),
                "amount": Format.money(commitment.amount), "fulfilled": Format.money(commitment.fulfilled),
                "outstanding": Format.money(max(commitment.amount - commitment.fulfilled, .zero)),
                "percent": "\(share)", "memo": commitment.memo, "recordedBy": commitment.recordedBy,
                "recordedAt": Format.time(commitment.recordedAt),
            ]
        }
        let tabs = years.map { ["year": "\($0)", "current": $0 == year] as [String: Any] }
        return views.page(
            "commitments", title: visit.text("commitments_title", ["year": "\(year)"]), visit: visit,
            data: ["rows": rows, "empty": rows.isEmpty, "tabs": tabs, "year": "\(year)"])
    }
}
