import EcoFundCore

/// The page, section by section. Every text that came from the books is escaped.
extension ExportReport {
    public func html(exportedAt: String) -> String {
        head(exportedAt: exportedAt) + fundStatement() + flowsTable()
            + "<h2>Money in and out by jurisdiction</h2>\n\(chart())\n" + pledgesTable() + recipientsTable()
            + runsTable() + "</body></html>\n"
    }

    private func head(exportedAt: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>EcoFund Ledger — audit export \(range.from) to \(range.to)</title>
        <style>
        body { font: 11pt/1.4 "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
               color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 2rem;
             border-bottom: 1px solid #999; break-after: avoid; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; break-inside: auto; }
        th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr { break-inside: avoid; } thead { display: table-header-group; }
        tfoot td { font-weight: bold; } .muted { color: #555; font-size: 0.9rem; }
        svg { max-width: 100%; height: auto; } svg text { font-size: 12px; }
        @page { size: A4; margin: 15mm; }
        @media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
        </style></head><body>
        <h1>Beijing–Tianjin–Hebei ecological compensation fund</h1>
        <p>Audit export for value dates <strong>\(range.from)</strong> to <strong>\(range.to)</strong>, exported \(
        Self.escape(exportedAt)). Amounts in yuan (CNY).</p>
        <p class="muted">Event log: \(checkpoint.treeSize) events, root <code>\(checkpoint.rootHash)</code>,
        signed by key <code>\(checkpoint.keyId)</code> at \(Self.escape(checkpoint.issuedAt)).
        Check this archive with <code>ecofund verify</code>; this page is a summary of the CSV files beside it.</p>

        """
    }

    private var totals: (contributedFen: Int64, reversedFen: Int64, paidFen: Int64, disbursedFen: Int64) {
        flows.reduce((0, 0, 0, 0)) {
            ($0.0 + $1.contributedFen, $0.1 + $1.reversedFen, $0.2 + $1.paidFen, $0.3 + $1.disbursedFen)
        }
    }

    private func fundStatement() -> String {
        let totals = totals
        return """
            <h2>Fund statement</h2>
            <table><tbody>
            <tr><td>Cash at the start of \(range.from)</td><td class="n">\(Self.yuan(cashOpeningFen))</td></tr>
            <tr><td>+ contributions received</td><td class="n">\(Self.yuan(totals.contributedFen))</td></tr>
            <tr><td>− contributions reversed</td><td class="n">\(Self.yuan(totals.reversedFen))</td></tr>
            <tr><td>− payments to recipients</td><td class="n">\(Self.yuan(totals.paidFen))</td></tr>
            <tr><td><strong>Cash at the end of \(range.to)</strong></td><td class="n"><strong>\(Self.yuan(cashClosingFen))</strong></td></tr>
            <tr><td>Disbursements posted in the range (allocated to recipients)</td><td class="n">\(Self.yuan(totals.disbursedFen))</td></tr>
            <tr><td>Posted but not yet paid, at the end of \(range.to)</td><td class="n">\(Self.yuan(payableClosingFen))</td></tr>
            </tbody></table>

            """
    }

    private func flowsTable() -> String {
        let totals = totals
        var page = """
            <h2>Sources and uses by jurisdiction</h2>
            <table><thead><tr><th>Jurisdiction</th><th class="n">Population</th><th class="n">Contributed (net)</th>
            <th class="n">per resident</th><th class="n">Disbursed</th><th class="n">per resident</th><th class="n">Paid</th></tr></thead><tbody>

            """
        for flow in flows
        where flow.contributedFen != 0 || flow.disbursedFen != 0 || flow.paidFen != 0 || flow.reversedFen != 0 {
            page += """
                <tr><td>\(Self.escape(flow.name)) \(Self.escape(flow.nameZh))</td><td class="n">\(Self.escape(flow.population))</td>
                <td class="n">\(Self.yuan(flow.netInFen))</td><td class="n">\(Self.escape(flow.contributedPerResident ?? "—"))</td>
                <td class="n">\(Self.yuan(flow.disbursedFen))</td><td class="n">\(Self.escape(flow.disbursedPerResident ?? "—"))</td>
                <td class="n">\(Self.yuan(flow.paidFen))</td></tr>

                """
        }
        return page + """
            </tbody><tfoot><tr><td>Total</td><td></td><td class="n">\(Self.yuan(totals.contributedFen - totals.reversedFen))</td><td></td>
            <td class="n">\(Self.yuan(totals.disbursedFen))</td><td></td><td class="n">\(Self.yuan(totals.paidFen))</td></tr></tfoot></table>
            <p class="muted">Per-resident figures are yuan per person of the jurisdiction's registered population.</p>

            """
    }

    private func pledgesTable() -> String {
        var page = "<h2>Contributions against commitments</h2>\n"
        guard !pledges.isEmpty else { return page + "<p>No commitments for the fiscal years of this range.</p>\n" }
        let names = Dictionary(flows.map { ($0.code, "\($0.name) \($0.nameZh)") }, uniquingKeysWith: { a, _ in a })
        page += """
            <table><thead><tr><th>Fiscal year</th><th>Contributor</th><th class="n">Committed</th>
            <th class="n">Contributed</th><th class="n">Outstanding</th><th class="n">Fulfilled</th></tr></thead><tbody>

            """
        for pledge in pledges {
            let outstanding = max(0, pledge.committedFen - pledge.fulfilledFen)
            let percent = pledge.committedFen > 0 ? pledge.fulfilledFen * 100 / pledge.committedFen : 0
            page += """
                <tr><td>\(Self.escape(pledge.fiscalYear))</td><td>\(Self.escape(names[pledge.contributor] ?? pledge.contributor))</td>
                <td class="n">\(Self.yuan(pledge.committedFen))</td><td class="n">\(Self.yuan(pledge.fulfilledFen))</td>
                <td class="n">\(Self.yuan(outstanding))</td><td class="n">\(percent)%</td></tr>

                """
        }
        return page + "</tbody></table>\n"
    }

    private func recipientsTable() -> String {
        var page = "<h2>Disbursements by recipient</h2>\n"
        let recipients = flows.filter { $0.disbursedFen != 0 || $0.paidFen != 0 }
        guard !recipients.isEmpty else { return page + "<p>No disbursement was posted in this range.</p>\n" }
        let disbursed = totals.disbursedFen
        page += """
            <table><thead><tr><th>Recipient</th><th class="n">Allocated and posted</th><th class="n">Paid</th>
            <th class="n">Share of all disbursed</th></tr></thead><tbody>

            """
        for flow in recipients {
            let share = disbursed > 0 ? Self.percent(flow.disbursedFen, of: disbursed) : "—"
            page += """
                <tr><td>\(Self.escape(flow.name)) \(Self.escape(flow.nameZh))</td><td class="n">\(Self.yuan(flow.disbursedFen))</td>
                <td class="n">\(Self.yuan(flow.paidFen))</td><td class="n">\(share)</td></tr>

                """
        }
        return page + "</tbody></table>\n"
    }

    private func runsTable() -> String {
        guard !runs.isEmpty else { return "" }
        var page = """
            <h2>Disbursement runs</h2>
            <table><thead><tr><th>Value date</th><th>Run</th><th>Rule</th><th>Status</th><th class="n">Pool</th>
            <th class="n">Allocated</th><th class="n">Paid</th></tr></thead><tbody>

            """
        for run in runs {
            page += """
                <tr><td>\(Self.escape(run.valueDate))</td><td><code>\(Self.escape(String(run.id.prefix(8))))</code></td>
                <td>\(Self.escape(run.rule))</td><td>\(Self.escape(run.status))</td><td class="n">\(Self.yuan(run.poolFen))</td>
                <td class="n">\(Self.yuan(run.allocatedFen))</td><td class="n">\(Self.yuan(run.paidFen))</td></tr>

                """
        }
        return page + "</tbody></table>\n"
    }

    /// Horizontal bars, two per jurisdiction: net contributions in, disbursements out. Scaled to the largest.
    func chart() -> String {
        let shown = flows.filter { $0.netInFen != 0 || $0.disbursedFen != 0 }
        guard !shown.isEmpty else { return "<p>No money moved in this range.</p>" }
        let largest = max(1, shown.map { max($0.netInFen, $0.disbursedFen) }.max() ?? 1)
        let label = 190, barMax = 420, row = 44, top = 30
        let height = top + shown.count * row + 10
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="760" height="\(height)" viewBox="0 0 760 \(height)" role="img"
                 aria-label="Money in and out by jurisdiction">
            <rect x="\(label)" y="4" width="12" height="12" fill="#1f6fb2"/><text x="\(label + 16)" y="14">in: contributions (net)</text>
            <rect x="\(label + 200)" y="4" width="12" height="12" fill="#3a9b4a"/><text x="\(label + 216)" y="14">out: disbursements</text>

            """
        for (index, flow) in shown.enumerated() {
            let y = top + index * row
            let inWidth = Int(Int64(barMax) * max(0, flow.netInFen) / largest)
            let outWidth = Int(Int64(barMax) * flow.disbursedFen / largest)
            svg += """
                <text x="\(label - 8)" y="\(y + 20)" text-anchor="end">\(Self.escape(flow.name)) \(Self.escape(flow.nameZh))</text>
                <rect x="\(label)" y="\(y + 4)" width="\(inWidth)" height="16" fill="#1f6fb2"/>
                <text x="\(label + inWidth + 6)" y="\(y + 17)">\(Self.yuan(flow.netInFen))</text>
                <rect x="\(label)" y="\(y + 22)" width="\(outWidth)" height="16" fill="#3a9b4a"/>
                <text x="\(label + outWidth + 6)" y="\(y + 35)">\(Self.yuan(flow.disbursedFen))</text>

                """
        }
        return svg + "</svg>"
    }

    /// Yuan with thousands separators and two decimals: 1,234,567.89.
    static func yuan(_ fen: Int64) -> String {
        let text = Money(fen: fen).decimalString
        let negative = text.hasPrefix("-")
        let digits = text.dropFirst(negative ? 1 : 0)
        let whole = digits.prefix(while: { $0 != "." })
        var grouped = ""
        for (index, character) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (negative ? "-" : "") + grouped + digits.drop(while: { $0 != "." })
    }

    /// `part` as a percentage of `whole` with one decimal, rounded half up, in integers.
    static func percent(_ part: Int64, of whole: Int64) -> String {
        let (quotient, _) = whole.dividingFullWidth(part.multipliedFullWidth(by: 2000))
        let rounded = (quotient + 1) / 2
        return "\(rounded / 10).\(rounded % 10)%"
    }

    static func escape(_ text: String) -> String { Text.htmlEscaped(text) }
}
