import Foundation

/// The language of `report.html`: Chinese by default, English on request (`lang=en` on the export).
public enum ReportLanguage: String, Sendable, CaseIterable {
    case zh, en

    /// The `lang` attribute of the page.
    var tag: String { self == .zh ? "zh-CN" : "en" }
}

/// Every sentence and label of `report.html` in both languages, one table, so that neither can lack one.
enum ReportTexts {
    static let table: [String: (zh: String, en: String)] = [
        "title": ("京津冀生态补偿基金", "Beijing–Tianjin–Hebei ecological compensation fund"),
        "subtitle": (
            "审计导出：起息日 {from} 至 {to}，导出于 {at}（北京时间）。金额单位：人民币元。",
            "Audit export for value dates {from} to {to}, exported {at} (Beijing time). Amounts in yuan (CNY)."
        ),
        "checkpoint": (
            "事件日志：{size} 个事件，根哈希 {root}，由密钥 {key} 于 {at}（北京时间）签名。",
            "Event log: {size} events, root {root}, signed by key {key} at {at} (Beijing time)."
        ),
        "how_to_verify": (
            "如何核验：在任何电脑上运行 ecofund verify 本文件.zip --public-key 基金公钥.json（无需数据库或网络）；本页只是旁边 CSV 文件的摘要。",
            "To verify: run ecofund verify this-file.zip --public-key fund-key.json on any computer (no database or network needed); this page only summarises the CSV files beside it."
        ),
        "statement": ("基金收支表", "Fund statement"),
        "cash_opening": ("{from} 期初现金", "Cash at the start of {from}"),
        "received": ("+ 收到缴款", "+ contributions received"),
        "reversed": ("− 冲销缴款", "− contributions reversed"),
        "paid": ("− 向受补偿地区付款", "− payments to recipients"),
        "cash_closing": ("{to} 期末现金", "Cash at the end of {to}"),
        "disbursed": ("本期已过账拨付（分配给受补偿地区）", "Disbursements posted in the range (allocated to recipients)"),
        "payable": ("{to} 已过账未付款", "Posted but not yet paid at the end of {to}"),
        "recovered": ("+ 受补偿地区退回的收回款", "+ recoveries returned by recipients"),
        "clawed_back": (
            "其中清算收回（预拨超过最终应得的部分）", "of which clawed back by settlements (advances beyond the final amount)"
        ),
        "receivable": ("{to} 应收未收回款", "Owed back to the fund at the end of {to}"),
        "flows": ("各地区资金来源与使用", "Sources and uses by jurisdiction"),
        "jurisdiction": ("地区", "Jurisdiction"),
        "population": ("人口", "Population"),
        "contributed": ("缴款（净额）", "Contributed (net)"),
        "per_resident": ("人均", "per resident"),
        "disbursements": ("拨付", "Disbursed"),
        "payments": ("已付", "Paid"),
        "subtotal": ("{place}合计", "{place} total"),
        "total": ("合计", "Total"),
        "per_resident_note": (
            "人均数为按该地区户籍人口计算的每人元数。",
            "Per-resident figures are yuan per person of the jurisdiction's registered population."
        ),
        "chart_in": ("缴款（净额），按出资方", "Contributions (net) by contributor"),
        "chart_out": ("拨付，按受补偿地区", "Disbursements by recipient"),
        "chart_none": ("本期没有资金变动。", "No money moved in this range."),
        "chart_axis": ("万元", "10,000 yuan"),
        "pledges": ("认缴与到账", "Contributions against commitments"),
        "pledges_none": ("本期所涉年度没有认缴承诺。", "No commitments for the fiscal years of this range."),
        "fiscal_year": ("年度", "Fiscal year"),
        "contributor": ("出资方", "Contributor"),
        "committed": ("认缴额", "Committed"),
        "fulfilled_amount": ("已到账", "Contributed"),
        "outstanding": ("未到账", "Outstanding"),
        "fulfilled": ("完成度", "Fulfilled"),
        "contributions": ("缴款明细", "Contributions, item by item"),
        "contributions_none": ("本期没有缴款。", "No contribution in this range."),
        "value_date": ("起息日", "Value date"),
        "reference": ("银行流水号", "Bank reference"),
        "amount": ("金额", "Amount"),
        "reversed_tag": ("已冲销：{reason}", "reversed: {reason}"),
        "runs": ("拨付批次", "Disbursement runs"),
        "run": ("批次", "Run"),
        "rule": ("规则", "Rule"),
        "status": ("状态", "Status"),
        "pool": ("资金池", "Pool"),
        "allocated": ("已分配", "Allocated"),
        "proposed": ("提出", "Proposed"),
        "approved": ("审批", "Approved"),
        "payments_items": ("付款明细", "Payments, item by item"),
        "payments_none": ("本期没有付款。", "No payment in this range."),
        "recipient": ("受补偿地区", "Recipient"),
        "confirmed": ("确认人 · 时间（北京时间）", "Confirmed by · at (Beijing time)"),
        "scores": ("拨付所依据的考核得分", "The scores behind the allocations"),
        "scores_none": ("没有考核得分。", "No assessment score."),
        "period": ("考核期", "Period"),
        "composite": ("综合得分", "Composite score"),
        "revision": ("版次", "Revision"),
        "status_proposed": ("待审批", "proposed"), "status_approved": ("已审批", "approved"),
        "status_posted": ("已过账", "posted"), "status_paid": ("已付清", "paid"),
        "status_rejected": ("已驳回", "rejected"), "status_cancelled": ("已取消", "cancelled"),
    ]

    /// The text of `key` in `language`, its `{name}`s filled in. A key missing from the table is a bug.
    static func text(_ key: String, _ language: ReportLanguage, _ values: [String: String] = [:]) -> String {
        guard let entry = table[key] else { preconditionFailure("report.html has no text \(key)") }
        var text = language == .zh ? entry.zh : entry.en
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }
}
