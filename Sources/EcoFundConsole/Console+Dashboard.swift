import EcoFundCore
import EcoFundStore
import Foundation
import Hummingbird

/// The dashboard every role sees: the fund's figures, this year's pledges against receipts, the grants per resident
/// on a tile map of the region, the audit log's seal, and what waits for the person.
extension Console {
    func dashboard(_ visit: Visit) async throws -> Response {
        guard let principal = visit.principal else { throw PageOutcome.redirect("/sign-in") }
        // This fiscal year in Beijing, or the newest with pledges while this one has none yet (in January, say);
        // `?year=` shows another, and the years with pledges are offered as links.
        let pledgeYears = Set(
            try await commitments.list(fiscalYear: nil, contributor: nil, by: principal).map(\.fiscalYear))
        let thisYear = Format.beijingDate(Date()).year
        let asked = visit.query.optional("year").flatMap { Int($0) }
            .flatMap { CalendarDate.yearRange.contains($0) ? $0 : nil }
        let year = asked ?? (pledgeYears.contains(thisYear) ? thisYear : pledgeYears.max() ?? thisYear)
        let overview = try await self.overview.overview(fiscalYear: year, by: principal)
        let places = Dictionary(
            uniqueKeysWithValues: try await jurisdictions.list(by: principal).map { ($0.code, $0) })
        let figures: [[String: Any]] = [
            ["label": visit.text("dash_cash"), "value": Format.money(overview.cash)],
            ["label": visit.text("dash_available"), "value": Format.money(overview.available)],
            ["label": visit.text("dash_approved"), "value": Format.money(overview.approvedNotPosted)],
            ["label": visit.text("dash_payables"), "value": Format.money(overview.payables)],
        ]
        let waiting: [[String: Any]] = overview.waiting.map { run in
            [
                "id": run.id.text, "rule": run.rule, "amount": Format.money(run.allocated),
                "proposedBy": run.proposedBy, "proposedAt": Format.time(run.proposedAt),
            ]
        }
        var data: [String: Any] = [
            "figures": figures,
            "year": "\(year)",
            "years": Set(pledgeYears).union([thisYear]).sorted(by: >).map { ["year": "\($0)", "current": $0 == year] },
            "pledges": Charts.pledges(overview.contributors, places: places, visit: visit),
            "tileMap": Charts.tileMap(overview.grants, places: places, visit: visit),
            "unsealed": "\(overview.unsealedEvents)",
            "waiting": waiting, "hasWaiting": !waiting.isEmpty, "isApprover": principal.may(.approveRuns),
        ]
        if let size = overview.checkpointSize, let issuedAt = overview.checkpointIssuedAt {
            data["checkpoint"] = ["size": "\(size)", "issuedAt": Format.time(utc: issuedAt)]
        }
        return views.page("dashboard", title: visit.text("dash_title"), visit: visit, data: data)
    }
}

/// Charts drawn on the server as inline SVG (no script): bars of pledges against receipts, and a tile map of the
/// region where each square is a place and its shade what it was granted per resident.
enum Charts {
    /// Horizontal bars: each contributor's pledge (outline) and what it received (filled), to one scale.
    static func pledges(_ contributors: [FundOverviewService.Contributor], places: [String: Jurisdiction], visit: Visit)
        -> String
    {
        guard !contributors.isEmpty else { return "" }
        let scale = max(contributors.map { max($0.pledged.fen, $0.received.fen) }.max() ?? 1, 1)
        let rowHeight = 44
        let labelWidth = 110
        let barWidth = 420
        let height = contributors.count * rowHeight + 10
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(labelWidth + barWidth + 10) \(height)" \
            class="chart" role="img" aria-label="\(Text.htmlEscaped(visit.text("dash_pledges_chart")))">
            """
        for (index, contributor) in contributors.enumerated() {
            let y = index * rowHeight + 8
            let pledged = Int(Int64(barWidth) * contributor.pledged.fen / scale)
            let received = Int(Int64(barWidth) * contributor.received.fen / scale)
            let name = Text.htmlEscaped(Format.place(contributor.code, places, visit.language))
            let caption = Text.htmlEscaped(
                visit.text(
                    "dash_pledge_caption",
                    ["received": Format.money(contributor.received), "pledged": Format.money(contributor.pledged)]))
            svg += """
                <text x="0" y="\(y + 14)" class="label">\(name)</text>\
                <rect x="\(labelWidth)" y="\(y)" width="\(max(pledged, 1))" height="18" class="pledged"/>\
                <rect x="\(labelWidth)" y="\(y)" width="\(received)" height="18" class="received"/>\
                <text x="\(labelWidth)" y="\(y + 33)" class="caption">\(caption)</text>
                """
        }
        return svg + "</svg>"
    }

    /// Where each place sits on the tile map (column, row): Beijing and Tianjin among Hebei's eleven cities, roughly
    /// as they lie from north (Zhangjiakou, Chengde) to south (Handan).
    static let tiles: [String: (Int, Int)] = [
        "zhangjiakou": (1, 0), "chengde": (3, 0),
        "beijing": (2, 1), "qinhuangdao": (4, 1),
        "baoding": (1, 2), "langfang": (2, 2), "tangshan": (3, 2), "tianjin": (3, 3),
        "shijiazhuang": (0, 3), "cangzhou": (2, 3),
        "hengshui": (1, 4), "xingtai": (0, 4),
        "handan": (0, 5),
    ]

    /// The tile map: a square per place, darker for more granted per resident, with the figure written in it.
    static func tileMap(_ grants: [FundOverviewService.Grant], places: [String: Jurisdiction], visit: Visit) -> String {
        let placed = grants.filter { tiles[$0.code] != nil }
        guard !placed.isEmpty else { return "" }
        // Fen per resident, in whole fen (integer arithmetic; residents are kept to hundredths).
        func perResident(_ grant: FundOverviewService.Grant) -> Int64 {
            let hundredths = grant.population.hundredths
            return hundredths > 0 ? grant.granted.fen * 100 / hundredths : 0
        }
        let most = max(placed.map(perResident).max() ?? 1, 1)
        let size = 96
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(5 * size + 8) \(6 * size + 8)" class="tiles" \
            role="img" aria-label="\(Text.htmlEscaped(visit.text("dash_tiles_chart")))">
            """
        for grant in placed.sorted(by: { $0.code < $1.code }) {
            guard let (column, row) = tiles[grant.code] else { continue }
            let fen = perResident(grant)
            let shade = Int(fen * 5 / most)
            let x = column * size + 4
            let y = row * size + 4
            let name = Text.htmlEscaped(Format.place(grant.code, places, visit.language))
            let hebei = places[grant.code]?.parent == "hebei"
            svg += """
                <g><title>\(name) \(Text.htmlEscaped(Format.money(fen: fen)))</title>\
                <rect x="\(x)" y="\(y)" width="\(size - 6)" height="\(size - 6)" rx="6" \
                class="tile shade\(shade)\(hebei ? " hebei" : "")"/>\
                <text x="\(x + size / 2 - 3)" y="\(y + 38)" class="tile-name\(shade >= 3 ? " light" : "")">\(name)</text>\
                <text x="\(x + size / 2 - 3)" y="\(y + 62)" class="tile-value\(shade >= 3 ? " light" : "")">\
                \(Text.htmlEscaped(Format.money(fen: fen)))</text></g>
                """
        }
        return svg + "</svg>"
    }
}
