import EcoFundCore
import EcoFundStore
import Foundation

/// `report.html`: the export's books for people — the fund statement of the range with per-capita figures,
/// contributions against commitments, disbursements by recipient, and a chart of money in and out by jurisdiction.
/// One self-contained page (inline CSS and SVG, no scripts), laid out to print on A4.
struct ExportReport {
    struct Flow {
        let code: String
        let name: String
        let nameZh: String
        let population: String
        let contributed: Int64
        let reversed: Int64
        let disbursed: Int64
        let paid: Int64
        let contributedPerCapita: String?
        let disbursedPerCapita: String?

        var netIn: Int64 { contributed - reversed }
    }

    struct Commitment {
        let contributor: String
        let fiscalYear: String
        let committed: Int64
        let fulfilled: Int64
    }

    struct Run {
        let id: String
        let rule: String
        let status: String
        let valueDate: String
        let pool: Int64
        let allocated: Int64
        let paid: Int64
    }

    let from: CalendarDate
    let to: CalendarDate
    let checkpoint: Checkpoint
    let flows: [Flow]
    let commitments: [Commitment]
    let runs: [Run]
    let cashOpening: Int64
    let cashClosing: Int64
    let payableClosing: Int64

    /// What accounts.csv says of one account: its balance before the range, its movements in it, and after it.
    struct AccountFigures {
        let opening: Int64
        let debits: Int64
        let credits: Int64
        let closing: Int64
    }

    /// Reads the rows of accounts.csv as the export wrote them (the report's figures come from there, so that the
    /// journal is read once for both).
    static func accountFigures(_ csv: [UInt8]) -> [String: AccountFigures] {
        var figures: [String: AccountFigures] = [:]
        var reader = CSVReader()
        var columns: [Int] = []
        let onRow: (borrowing CSVRow, Int) -> Void = { row, number in
            if number == 1 {
                let names = row.strings
                columns = ["account", "opening", "debits", "credits", "closing"].map { names.firstIndex(of: $0) ?? -1 }
                return
            }
            figures[row.string(columns[0])] = AccountFigures(
                opening: row.fen(columns[1]) ?? 0, debits: row.fen(columns[2]) ?? 0, credits: row.fen(columns[3]) ?? 0,
                closing: row.fen(columns[4]) ?? 0)
        }
        csv.withUnsafeBytes { reader.feed($0, onRow: onRow) }
        reader.finish(onRow: onRow)
        return figures
    }

    static func load(
        _ reader: SnapshotReader, from: CalendarDate, to: CalendarDate, checkpoint: Checkpoint,
        accounts: [String: AccountFigures]
    ) async throws -> ExportReport {
        let range = AuditExporter.inRange
        let jurisdictionRows = try await reader.query(
            """
            SELECT code, name, name_zh, population::text FROM jurisdictions
             ORDER BY level DESC, parent NULLS FIRST, code
            """)
        let flows = jurisdictionRows.map { row in
            let code = row[0] ?? ""
            let population = row[3] ?? "0"
            let contributions = accounts["contributions:\(code)"]
            let contributed = contributions?.credits ?? 0
            let reversed = contributions?.debits ?? 0
            let disbursed = accounts["disbursements:\(code)"]?.debits ?? 0
            return Flow(
                code: code, name: row[1] ?? "", nameZh: row[2] ?? "", population: population,
                contributed: contributed, reversed: reversed, disbursed: disbursed,
                paid: accounts["payable:\(code)"]?.debits ?? 0,
                contributedPerCapita: perResident(contributed - reversed, population: population),
                disbursedPerCapita: perResident(disbursed, population: population))
        }
        let commitmentRows = try await reader.query(
            """
            SELECT m.contributor, m.fiscal_year::text, m.amount_fen::text,
                   coalesce((SELECT sum(c.amount_fen) FROM contributions c
                              WHERE c.contributor = m.contributor
                                AND extract(year FROM c.value_date) = m.fiscal_year
                                AND NOT EXISTS (SELECT 1 FROM contribution_reversals r
                                                 WHERE r.contribution_id = c.id)), 0)::text
              FROM commitments m
             WHERE m.fiscal_year BETWEEN extract(year FROM \(AuditExporter.fromSQL))
                                     AND extract(year FROM \(AuditExporter.toSQL))
             ORDER BY m.fiscal_year, m.contributor
            """)
        let commitments = commitmentRows.map { row in
            Commitment(
                contributor: row[0] ?? "", fiscalYear: row[1] ?? "", committed: Int64(row[2] ?? "0") ?? 0,
                fulfilled: Int64(row[3] ?? "0") ?? 0)
        }
        let runRows = try await reader.query(
            """
            SELECT r.id::text, r.rule_code || ' v' || r.rule_version, r.status, r.value_date::text, r.pool_fen::text,
                   r.allocated_fen::text,
                   coalesce((SELECT sum(p.amount_fen) FROM disbursement_payments p WHERE p.run_id = r.id), 0)::text
              FROM disbursement_runs r WHERE r.value_date \(range) ORDER BY r.value_date, r.proposed_at
            """)
        let runs = runRows.map { row in
            Run(
                id: row[0] ?? "", rule: row[1] ?? "", status: row[2] ?? "", valueDate: row[3] ?? "",
                pool: Int64(row[4] ?? "0") ?? 0, allocated: Int64(row[5] ?? "0") ?? 0, paid: Int64(row[6] ?? "0") ?? 0)
        }
        let cash = accounts["fund:cash"]
        let payable = accounts.filter { $0.key.hasPrefix("payable:") }.values.reduce(Int64(0)) { $0 + $1.closing }
        return ExportReport(
            from: from, to: to, checkpoint: checkpoint, flows: flows, commitments: commitments, runs: runs,
            cashOpening: cash?.opening ?? 0, cashClosing: cash?.closing ?? 0, payableClosing: payable)
    }

    /// Yuan per resident with two decimals, rounded half up, from fen and a population such as "21893000.00"; nil
    /// when the population is not a positive number.
    static func perResident(_ fen: Int64, population: String) -> String? {
        let parts = population.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]) else { return nil }
        let fraction =
            parts.count == 2 ? String(parts[1].prefix(2)).padding(toLength: 2, withPad: "0", startingAt: 0) : "00"
        guard let hundredths = Int64(fraction) else { return nil }
        let people = whole * 100 + hundredths  // in hundredths of a person
        guard people > 0 else { return nil }
        // yuan per person = (fen / 100) / (people / 100) = fen / people; in hundredths: fen × 100 / people.
        let (quotient, remainder) = people.dividingFullWidth(fen.multipliedFullWidth(by: 100))
        let rounded = remainder.magnitude * 2 >= people.magnitude ? quotient + (fen < 0 ? -1 : 1) : quotient
        return Money(fen: rounded).decimalString
    }

    func html(exportedAt: String) -> String {
        let names = Dictionary(flows.map { ($0.code, "\($0.name) \($0.nameZh)") }, uniquingKeysWith: { a, _ in a })
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>EcoFund Ledger — audit export \(from) to \(to)</title>
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
            <p>Audit export for value dates <strong>\(from)</strong> to <strong>\(to)</strong>, exported \(
            Self.escape(exportedAt)). Amounts in yuan (CNY).</p>
            <p class="muted">Event log: \(checkpoint.treeSize) events, root <code>\(checkpoint.rootHash)</code>,
            signed by key <code>\(checkpoint.keyId)</code> at \(Self.escape(checkpoint.issuedAt)).
            Check this archive with <code>ecofund verify</code>; this page is a summary of the CSV files beside it.</p>

            """
        // Fund statement.
        let contributed = flows.reduce(Int64(0)) { $0 + $1.contributed }
        let reversed = flows.reduce(Int64(0)) { $0 + $1.reversed }
        let paid = flows.reduce(Int64(0)) { $0 + $1.paid }
        let disbursed = flows.reduce(Int64(0)) { $0 + $1.disbursed }
        page += """
            <h2>Fund statement</h2>
            <table><tbody>
            <tr><td>Cash at the start of \(from)</td><td class="n">\(Self.yuan(cashOpening))</td></tr>
            <tr><td>+ contributions received</td><td class="n">\(Self.yuan(contributed))</td></tr>
            <tr><td>− contributions reversed</td><td class="n">\(Self.yuan(reversed))</td></tr>
            <tr><td>− payments to recipients</td><td class="n">\(Self.yuan(paid))</td></tr>
            <tr><td><strong>Cash at the end of \(to)</strong></td><td class="n"><strong>\(Self.yuan(cashClosing))</strong></td></tr>
            <tr><td>Disbursements posted in the range (allocated to recipients)</td><td class="n">\(Self.yuan(disbursed))</td></tr>
            <tr><td>Posted but not yet paid, at the end of \(to)</td><td class="n">\(Self.yuan(payableClosing))</td></tr>
            </tbody></table>
            <h2>Sources and uses by jurisdiction</h2>
            <table><thead><tr><th>Jurisdiction</th><th class="n">Population</th><th class="n">Contributed (net)</th>
            <th class="n">per resident</th><th class="n">Disbursed</th><th class="n">per resident</th><th class="n">Paid</th></tr></thead><tbody>

            """
        for flow in flows where flow.contributed != 0 || flow.disbursed != 0 || flow.paid != 0 || flow.reversed != 0 {
            page += """
                <tr><td>\(Self.escape(flow.name)) \(Self.escape(flow.nameZh))</td><td class="n">\(Self.escape(flow.population))</td>
                <td class="n">\(Self.yuan(flow.netIn))</td><td class="n">\(Self.escape(flow.contributedPerCapita ?? "—"))</td>
                <td class="n">\(Self.yuan(flow.disbursed))</td><td class="n">\(Self.escape(flow.disbursedPerCapita ?? "—"))</td>
                <td class="n">\(Self.yuan(flow.paid))</td></tr>

                """
        }
        page += """
            </tbody><tfoot><tr><td>Total</td><td></td><td class="n">\(Self.yuan(contributed - reversed))</td><td></td>
            <td class="n">\(Self.yuan(disbursed))</td><td></td><td class="n">\(Self.yuan(paid))</td></tr></tfoot></table>
            <p class="muted">Per-resident figures are yuan per person of the jurisdiction's registered population.</p>
            <h2>Money in and out by jurisdiction</h2>
            \(chart())
            <h2>Contributions against commitments</h2>

            """
        if commitments.isEmpty {
            page += "<p>No commitments for the fiscal years of this range.</p>\n"
        } else {
            page += """
                <table><thead><tr><th>Fiscal year</th><th>Contributor</th><th class="n">Committed</th>
                <th class="n">Contributed</th><th class="n">Outstanding</th><th class="n">Fulfilled</th></tr></thead><tbody>

                """
            for commitment in commitments {
                let outstanding = max(0, commitment.committed - commitment.fulfilled)
                let percent = commitment.committed > 0 ? commitment.fulfilled * 100 / commitment.committed : 0
                page += """
                    <tr><td>\(Self.escape(commitment.fiscalYear))</td><td>\(Self.escape(names[commitment.contributor] ?? commitment.contributor))</td>
                    <td class="n">\(Self.yuan(commitment.committed))</td><td class="n">\(Self.yuan(commitment.fulfilled))</td>
                    <td class="n">\(Self.yuan(outstanding))</td><td class="n">\(percent)%</td></tr>

                    """
            }
            page += "</tbody></table>\n"
        }
        page += "<h2>Disbursements by recipient</h2>\n"
        let recipients = flows.filter { $0.disbursed != 0 || $0.paid != 0 }
        if recipients.isEmpty {
            page += "<p>No disbursement was posted in this range.</p>\n"
        } else {
            page += """
                <table><thead><tr><th>Recipient</th><th class="n">Allocated and posted</th><th class="n">Paid</th>
                <th class="n">Share of all disbursed</th></tr></thead><tbody>

                """
            for flow in recipients {
                let share = disbursed > 0 ? Self.percent(flow.disbursed, of: disbursed) : "—"
                page += """
                    <tr><td>\(Self.escape(flow.name)) \(Self.escape(flow.nameZh))</td><td class="n">\(Self.yuan(flow.disbursed))</td>
                    <td class="n">\(Self.yuan(flow.paid))</td><td class="n">\(share)</td></tr>

                    """
            }
            page += "</tbody></table>\n"
        }
        if !runs.isEmpty {
            page += """
                <h2>Disbursement runs</h2>
                <table><thead><tr><th>Value date</th><th>Run</th><th>Rule</th><th>Status</th><th class="n">Pool</th>
                <th class="n">Allocated</th><th class="n">Paid</th></tr></thead><tbody>

                """
            for run in runs {
                page += """
                    <tr><td>\(Self.escape(run.valueDate))</td><td><code>\(Self.escape(String(run.id.prefix(8))))</code></td>
                    <td>\(Self.escape(run.rule))</td><td>\(Self.escape(run.status))</td><td class="n">\(Self.yuan(run.pool))</td>
                    <td class="n">\(Self.yuan(run.allocated))</td><td class="n">\(Self.yuan(run.paid))</td></tr>

                    """
            }
            page += "</tbody></table>\n"
        }
        page += "</body></html>\n"
        return page
    }

    /// Horizontal bars, two per jurisdiction: net contributions in, disbursements out. Scaled to the largest.
    func chart() -> String {
        let shown = flows.filter { $0.netIn != 0 || $0.disbursed != 0 }
        guard !shown.isEmpty else { return "<p>No money moved in this range.</p>" }
        let largest = max(1, shown.map { max($0.netIn, $0.disbursed) }.max() ?? 1)
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
            let inWidth = Int(Int64(barMax) * max(0, flow.netIn) / largest)
            let outWidth = Int(Int64(barMax) * flow.disbursed / largest)
            svg += """
                <text x="\(label - 8)" y="\(y + 20)" text-anchor="end">\(Self.escape(flow.name)) \(Self.escape(flow.nameZh))</text>
                <rect x="\(label)" y="\(y + 4)" width="\(inWidth)" height="16" fill="#1f6fb2"/>
                <text x="\(label + inWidth + 6)" y="\(y + 17)">\(Self.yuan(flow.netIn))</text>
                <rect x="\(label)" y="\(y + 22)" width="\(outWidth)" height="16" fill="#3a9b4a"/>
                <text x="\(label + outWidth + 6)" y="\(y + 35)">\(Self.yuan(flow.disbursed))</text>

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

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
