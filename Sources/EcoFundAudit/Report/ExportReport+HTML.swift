import EcoFundCore

/// The page, section by section, in the report's language. Every text that came from the books is escaped.
extension ExportReport {
    public func html(exportedAt: String) -> String {
        head(exportedAt: exportedAt) + fundStatement() + flowsTable() + charts() + pledgesTable()
            + contributionsTable() + runsTable() + paymentsTable() + scoresTable() + "</body></html>\n"
    }

    func t(_ key: String, _ values: [String: String] = [:]) -> String { ReportTexts.text(key, language, values) }

    /// A place by its name in the report's language.
    func place(_ code: String) -> String {
        guard let flow = flows.first(where: { $0.code == code }) else { return code }
        return language == .zh ? flow.nameZh : flow.name
    }

    private func head(exportedAt: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(language.tag)"><head><meta charset="utf-8">
        <title>\(t("title")) — \(range.from) – \(range.to)</title>
        <style>
        body { font: 10.5pt/1.45 "Noto Sans CJK SC", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
               color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem;
             border-bottom: 1px solid #999; break-after: avoid; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; table-layout: auto; }
        th, td { border: 1px solid #bbb; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
        th { background: #f2f4f6; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .name { white-space: nowrap; word-break: keep-all; } td.city { padding-left: 1.4rem; }
        td.ref, code { word-break: break-all; font-size: 0.9em; }
        tr { break-inside: avoid; } thead { display: table-header-group; }
        tr.subtotal td, tfoot td { font-weight: bold; } .muted { color: #555; font-size: 0.9rem; }
        svg { max-width: 100%; height: auto; } svg text { font-size: 12px; } svg .axis { stroke: #666; }
        @page { size: A4; margin: 14mm 12mm; }
        td.status { white-space: nowrap; }
        @media print { body { margin: 0; max-width: none; font-size: 9pt; } a { color: inherit; text-decoration: none; }
                       h2 { margin-top: 1rem; } th, td { padding: 0.15rem 0.3rem; } }
        </style></head><body>
        <h1>\(t("title"))</h1>
        <p>\(Self.escape(t("subtitle", ["from": "\(range.from)", "to": "\(range.to)", "at": Self.beijing(exportedAt)])))</p>
        <p class="muted">\(Self.escape(t("checkpoint", [
            "size": "\(checkpoint.treeSize)", "root": checkpoint.rootHash, "key": checkpoint.keyId,
            "at": Self.beijing(checkpoint.issuedAt),
        ])))</p>
        <p class="muted">\(Self.escape(t("how_to_verify")))</p>

        """
    }

    private var totals: (contributedFen: Int64, reversedFen: Int64, paidFen: Int64, disbursedFen: Int64) {
        flows.reduce((0, 0, 0, 0)) {
            ($0.0 + $1.contributedFen, $0.1 + $1.reversedFen, $0.2 + $1.paidFen, $0.3 + $1.disbursedFen)
        }
    }

    private func fundStatement() -> String {
        let totals = totals
        let dates = ["from": "\(range.from)", "to": "\(range.to)"]
        let rows: [(String, Int64, Bool)] = [
            (t("cash_opening", dates), cashOpeningFen, false), (t("received"), totals.contributedFen, false),
            (t("reversed"), totals.reversedFen, false), (t("paid"), totals.paidFen, false),
            (t("recovered"), receivables.recoveredFen, false),
            (t("cash_closing", dates), cashClosingFen, true), (t("disbursed"), totals.disbursedFen, false),
            (t("clawed_back"), receivables.clawedBackFen, false), (t("payable", dates), payableClosingFen, false),
            (t("receivable", dates), receivables.closingFen, false),
        ]
        return "<h2>\(t("statement"))</h2>\n<table><tbody>\n"
            + rows.map { label, fen, bold in
                let cell = bold ? "<strong>\(Self.yuan(fen))</strong>" : Self.yuan(fen)
                return "<tr><td>\(bold ? "<strong>\(Self.escape(label))</strong>" : Self.escape(label))</td>"
                    + "<td class=\"n\">\(cell)</td></tr>\n"
            }.joined() + "</tbody></table>\n"
    }

    private func flowRow(_ flow: Flow, css: String = "") -> String {
        let name = language == .zh ? flow.nameZh : flow.name
        return """
            <tr\(css.isEmpty ? "" : " class=\"\(css)\"")><td class="name\(flow.isProvince ? "" : " city")">\(Self.escape(name))</td>
            <td class="n">\(Self.escape(Self.people(flow.population)))</td>
            <td class="n">\(Self.yuan(flow.netInFen))</td><td class="n">\(Self.escape(flow.contributedPerResident ?? "—"))</td>
            <td class="n">\(Self.yuan(flow.disbursedFen))</td><td class="n">\(Self.escape(flow.disbursedPerResident ?? "—"))</td>
            <td class="n">\(Self.yuan(flow.paidFen))</td></tr>

            """
    }

    /// Each province, then its cities under it and the province's subtotal (Hebei: its eleven cities).
    private func flowsTable() -> String {
        let totals = totals
        var page = """
            <h2>\(t("flows"))</h2>
            <table><thead><tr><th>\(t("jurisdiction"))</th><th class="n">\(t("population"))</th><th class="n">\(t("contributed"))</th>
            <th class="n">\(t("per_resident"))</th><th class="n">\(t("disbursements"))</th><th class="n">\(t("per_resident"))</th>
            <th class="n">\(t("payments"))</th></tr></thead><tbody>

            """
        func moved(_ flow: Flow) -> Bool {
            flow.contributedFen != 0 || flow.disbursedFen != 0 || flow.paidFen != 0 || flow.reversedFen != 0
        }
        for province in flows where province.isProvince {
            let cities = flows.filter { !$0.isProvince && $0.parent == province.code && moved($0) }
            guard moved(province) || !cities.isEmpty else { continue }
            page += flowRow(province)
            guard !cities.isEmpty else { continue }
            page += cities.map { flowRow($0) }.joined()
            let group = [province] + cities
            let sum = Flow(
                code: province.code, name: t("subtotal", ["place": province.name]),
                nameZh: t("subtotal", ["place": province.nameZh]), isProvince: true, parent: "",
                population: "", contributedFen: group.reduce(0) { $0 + $1.contributedFen },
                reversedFen: group.reduce(0) { $0 + $1.reversedFen },
                disbursedFen: group.reduce(0) { $0 + $1.disbursedFen }, paidFen: group.reduce(0) { $0 + $1.paidFen })
            page += flowRow(sum, css: "subtotal")
        }
        return page + """
            </tbody><tfoot><tr><td>\(t("total"))</td><td></td><td class="n">\(Self.yuan(totals.contributedFen - totals.reversedFen))</td><td></td>
            <td class="n">\(Self.yuan(totals.disbursedFen))</td><td></td><td class="n">\(Self.yuan(totals.paidFen))</td></tr></tfoot></table>
            <p class="muted">\(t("per_resident_note"))</p>

            """
    }

    private func pledgesTable() -> String {
        var page = "<h2>\(t("pledges"))</h2>\n"
        guard !pledges.isEmpty else { return page + "<p>\(t("pledges_none"))</p>\n" }
        page += """
            <table><thead><tr><th>\(t("fiscal_year"))</th><th>\(t("contributor"))</th><th class="n">\(t("committed"))</th>
            <th class="n">\(t("fulfilled_amount"))</th><th class="n">\(t("outstanding"))</th><th class="n">\(t("fulfilled"))</th></tr></thead><tbody>

            """
        for pledge in pledges {
            let outstanding = max(0, pledge.committedFen - pledge.fulfilledFen)
            let percent = pledge.committedFen > 0 ? pledge.fulfilledFen * 100 / pledge.committedFen : 0
            page += """
                <tr><td>\(Self.escape(pledge.fiscalYear))</td><td class="name">\(Self.escape(place(pledge.contributor)))</td>
                <td class="n">\(Self.yuan(pledge.committedFen))</td><td class="n">\(Self.yuan(pledge.fulfilledFen))</td>
                <td class="n">\(Self.yuan(outstanding))</td><td class="n">\(percent)%</td></tr>

                """
        }
        return page + "</tbody></table>\n"
    }

    /// "… and 12 more, every one in contributions.csv" under a list cut at ``itemsMax``.
    private func more(_ shown: Int, of total: Int, _ file: ExportFormat.File) -> String {
        guard total > shown else { return "" }
        let text =
            language == .zh
            ? "另有 \(total - shown) 笔未在此列出，全部见 \(file.name)。"
            : "\(total - shown) more are not listed here; every one is in \(file.name)."
        return "<p class=\"muted\">\(text)</p>\n"
    }

    private func contributionsTable() -> String {
        var page = "<h2>\(t("contributions"))</h2>\n"
        guard !contributions.isEmpty else { return page + "<p>\(t("contributions_none"))</p>\n" }
        page += """
            <table><thead><tr><th>\(t("value_date"))</th><th>\(t("contributor"))</th><th class="n">\(t("amount"))</th>
            <th>\(t("reference"))</th></tr></thead><tbody>

            """
        for item in contributions {
            let reversed = item.reversalReason.map { " — " + Self.escape(t("reversed_tag", ["reason": $0])) } ?? ""
            page += """
                <tr><td class="n">\(Self.escape(item.valueDate))</td><td class="name">\(Self.escape(place(item.contributor)))</td>
                <td class="n">\(Self.yuan(item.amountFen))</td><td class="ref">\(Self.escape(item.reference))\(reversed)</td></tr>

                """
        }
        return page + "</tbody></table>\n" + more(contributions.count, of: contributionsTotal, .contributions)
    }

    private func runsTable() -> String {
        guard !runs.isEmpty else { return "" }
        var page = """
            <h2>\(t("runs"))</h2>
            <table><thead><tr><th>\(t("value_date"))</th><th>\(t("run"))</th><th>\(t("status"))</th><th class="n">\(t("pool"))</th>
            <th class="n">\(t("allocated"))</th><th class="n">\(t("payments"))</th><th>\(t("proposed"))</th><th>\(t("approved"))</th></tr></thead><tbody>

            """
        for run in runs {
            let status = ReportTexts.table["status_\(run.status)"] != nil ? t("status_\(run.status)") : run.status
            let approved = run.approvedBy.isEmpty ? "—" : "\(run.approvedBy)<br>\(Self.beijing(run.approvedAt))"
            page += """
                <tr><td class="n">\(Self.escape(run.valueDate))</td><td><code>\(Self.escape(String(run.id.prefix(8))))</code><br>\(Self.escape(run.rule))</td>
                <td class="status">\(Self.escape(status))</td><td class="n">\(Self.yuan(run.poolFen))</td>
                <td class="n">\(Self.yuan(run.allocatedFen))</td><td class="n">\(Self.yuan(run.paidFen))</td>
                <td>\(Self.escape(run.proposedBy))<br>\(Self.beijing(run.proposedAt))</td><td>\(approved)</td></tr>

                """
        }
        return page + "</tbody></table>\n"
    }

    private func paymentsTable() -> String {
        var page = "<h2>\(t("payments_items"))</h2>\n"
        guard !payments.isEmpty else { return page + "<p>\(t("payments_none"))</p>\n" }
        page += """
            <table><thead><tr><th>\(t("recipient"))</th><th class="n">\(t("amount"))</th><th>\(t("reference"))</th>
            <th>\(t("run"))</th><th>\(t("confirmed"))</th></tr></thead><tbody>

            """
        for item in payments {
            page += """
                <tr><td class="name">\(Self.escape(place(item.recipient)))</td><td class="n">\(Self.yuan(item.amountFen))</td>
                <td class="ref">\(Self.escape(item.bankReference))</td><td><code>\(Self.escape(String(item.run.prefix(8))))</code></td>
                <td>\(Self.escape(item.confirmedBy)) · \(Self.beijing(item.confirmedAt))</td></tr>

                """
        }
        return page + "</tbody></table>\n" + more(payments.count, of: paymentsTotal, .payments)
    }

    private func scoresTable() -> String {
        var page = "<h2>\(t("scores"))</h2>\n"
        guard !scores.isEmpty else { return page + "<p>\(t("scores_none"))</p>\n" }
        page += """
            <table><thead><tr><th>\(t("period"))</th><th>\(t("jurisdiction"))</th><th class="n">\(t("composite"))</th>
            <th class="n">\(t("revision"))</th></tr></thead><tbody>

            """
        for score in scores {
            page += """
                <tr><td>\(Self.escape(score.period))</td><td class="name">\(Self.escape(place(score.jurisdiction)))</td>
                <td class="n">\(Self.escape(score.composite))</td><td class="n">\(Self.escape(score.revision))</td></tr>

                """
        }
        return page + "</tbody></table>\n"
    }

    /// Two charts, each on its own scale so that the smaller bars still show: money in by contributor, money out by
    /// recipient (Hebei's cities among them). Each has an axis in 10,000 yuan with five ticks.
    func charts() -> String {
        let contributors = flows.filter { $0.netInFen > 0 }.map { ($0, $0.netInFen) }
        let recipients = flows.filter { $0.disbursedFen > 0 }.map { ($0, $0.disbursedFen) }
        guard !contributors.isEmpty || !recipients.isEmpty else { return "<p>\(t("chart_none"))</p>\n" }
        return (contributors.isEmpty ? "" : "<h2>\(t("chart_in"))</h2>\n" + barChart(contributors, colour: "#1f6fb2"))
            + (recipients.isEmpty ? "" : "<h2>\(t("chart_out"))</h2>\n" + barChart(recipients, colour: "#3a9b4a"))
    }

    private func barChart(_ bars: [(Flow, Int64)], colour: String) -> String {
        let largest = max(1, bars.map(\.1).max() ?? 1)
        // The axis ends at a round number of 10,000 yuan at least the largest bar.
        let unit: Int64 = 1_000_000  // 10,000 yuan in fen
        let end = Self.roundAxis(largest, unit: unit)
        let label = 120, width = 520, row = 24, top = 8
        let height = top + bars.count * row + 34
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="720" height="\(height)" viewBox="0 0 720 \(height)" role="img">

            """
        for (index, (flow, fen)) in bars.enumerated() {
            let y = top + index * row
            let barWidth = Int(Int64(width) * fen / (end * unit))
            let name = language == .zh ? flow.nameZh : flow.name
            svg += """
                <text x="\(label - 6)" y="\(y + 15)" text-anchor="end">\(Self.escape(name))</text>
                <rect x="\(label)" y="\(y + 3)" width="\(barWidth)" height="16" fill="\(colour)"/>
                <text x="\(label + barWidth + 4)" y="\(y + 15)">\(Self.yuan(fen))</text>

                """
        }
        let axis = top + bars.count * row + 4
        svg += "<line class=\"axis\" x1=\"\(label)\" y1=\"\(axis)\" x2=\"\(label + width)\" y2=\"\(axis)\"/>\n"
        for tick in 0...4 {
            let x = label + width * tick / 4
            let value = end * Int64(tick) / 4
            svg += """
                <line class="axis" x1="\(x)" y1="\(axis)" x2="\(x)" y2="\(axis + 5)"/>
                <text x="\(x)" y="\(axis + 17)" text-anchor="middle">\(Self.grouped(value))</text>

                """
        }
        svg += "<text x=\"\(label + width)\" y=\"\(axis + 30)\" text-anchor=\"end\">\(t("chart_axis"))</text>\n"
        return svg + "</svg>\n"
    }

    /// The smallest of 4, 8, 20, 40 × 10^n (in units of `unit` fen) that is at least `fen`: round, and in four
    /// equal ticks.
    static func roundAxis(_ fen: Int64, unit: Int64) -> Int64 {
        var scale: Int64 = 1
        while true {
            for step: Int64 in [4, 8, 20, 40] where step * scale * unit >= fen { return step * scale }
            scale *= 10
        }
    }

    /// A whole number with thousands separators.
    static func grouped(_ value: Int64) -> String { Text.groupedDigits(String(value)) }

    /// Yuan with thousands separators and two decimals: 1,234,567.89.
    static func yuan(_ fen: Int64) -> String {
        let text = Money(fen: fen).decimalString
        let negative = text.hasPrefix("-")
        let digits = text.dropFirst(negative ? 1 : 0)
        let whole = String(digits.prefix(while: { $0 != "." }))
        return (negative ? "-" : "") + Text.groupedDigits(whole) + digits.drop(while: { $0 != "." })
    }

    /// `part` as a percentage of `whole` with one decimal, rounded half up, in integers.
    static func percent(_ part: Int64, of whole: Int64) -> String {
        let (quotient, _) = whole.dividingFullWidth(part.multipliedFullWidth(by: 2000))
        let rounded = (quotient + 1) / 2
        return "\(rounded / 10).\(rounded % 10)%"
    }

    static func escape(_ text: String) -> String { Text.htmlEscaped(text) }
}
