extension ExportFormat.Column {
    static let jurisdictions: [Self] = [
        .init("code", "lower-case pinyin code, such as chengde"),
        .init("name", "English name (text)"),
        .init("name_zh", "Chinese name, such as 承德市 (text)"),
        .init("level", "province or city"),
        .init("parent", "the province of a city; empty for a province"),
        .init("population", "residents"),
        .init("ecological_area", "ecological protection area, km²"),
        .init("env_spending_per_capita", "energy-conservation and environmental spending, yuan per resident"),
    ]

    static let journalEntries: [Self] = [
        .init("entry_id", "the entry's number; entries are listed by it"),
        .init("kind", "contribution, reversal, disbursement, payment, clawback or recovery"),
        .init("value_date", "the date the money moved"),
        .init("memo", "what the entry records (text)"),
        .init("reverses", "for a reversal, the entry it mirrors"),
        .init("recorded_by", "who recorded it"),
        .init("recorded_at", "when it was recorded"),
    ]

    static let journalLines: [Self] = [
        .init("entry_id", "the entry the line belongs to"),
        .init("line_no", "the line's place in its entry"),
        .init("account", "the account code, such as fund:cash or payable:chengde"),
        .init("side", "debit or credit"),
        .init("amount", "yuan, above zero"),
    ]

    static let accounts: [Self] = [
        .init("account", "the account code"),
        .init("type", "asset, liability, revenue or expense"),
        .init("jurisdiction", "the jurisdiction the account belongs to; empty for fund:cash"),
        .init("opening", "balance on the account's normal side before the first date of the range"),
        .init("debits", "debits dated in the range"),
        .init("credits", "credits dated in the range"),
        .init("closing", "balance on the account's normal side at the end of the range"),
        .init("stored_balance", "the balance the database keeps now, every date included"),
    ]

    static let trialBalance: [Self] = [
        .init("account", "the account code"),
        .init("type", "asset, liability, revenue or expense"),
        .init("debit", "the closing balance when it sits on the debit side, else 0.00"),
        .init("credit", "the closing balance when it sits on the credit side, else 0.00"),
    ]

    static let contributions: [Self] = [
        .init("id", "the contribution's id"),
        .init("contributor", "the paying jurisdiction's code"),
        .init("contributor_name", "its Chinese name, such as 北京市 (text)"),
        .init("amount", "yuan received"),
        .init("value_date", "the date the bank received it"),
        .init("reference", "the bank's transfer reference, as entered (text)"),
        .init("memo", "a note (text)"),
        .init("entry_id", "the journal entry that booked it"),
        .init("recorded_by", "who recorded it"),
        .init("recorded_at", "when it was recorded"),
        .init("reversal_entry_id", "the entry that reversed it; empty unless reversed"),
        .init("reversal_reason", "why it was reversed (text)"),
        .init("reversed_by", "who reversed it"),
        .init("reversed_at", "when it was reversed"),
    ]

    static let commitments: [Self] = [
        .init("id", "the pledge's id"),
        .init("contributor", "the pledging jurisdiction's code"),
        .init("contributor_name", "its Chinese name (text)"),
        .init("fiscal_year", "the calendar year pledged for"),
        .init("amount", "yuan pledged"),
        .init("fulfilled", "yuan received for it: contributions dated in the year, less reversed ones"),
        .init("memo", "a note (text)"),
        .init("recorded_by", "who recorded it"),
        .init("recorded_at", "when it was recorded"),
    ]

    static let runs: [Self] = [
        .init("id", "the run's id"),
        .init("rule", "the allocation rule's code"),
        .init("rule_version", "the rule version the run allocated by"),
        .init("status", "proposed, approved, posted, paid, rejected or cancelled"),
        .init("value_date", "the date the run's posting carries"),
        .init("pool", "yuan the rule shared out"),
        .init("allocated", "yuan granted to recipients (a retained tranche stays in the fund)"),
        .init("period", "the assessment period whose scores the rule used"),
        .init("period_revision", "that period's revision when the run was proposed"),
        .init("proposed_by", "who proposed it"),
        .init("proposed_at", "when"),
        .init("approved_by", "who approved it (never the proposer)"),
        .init("approved_at", "when"),
        .init("posted_entry_id", "the journal entry of its posting"),
        .init("rule_document", "the rule version as published, JSON"),
        .init("snapshot", "every input the allocation read, JSON"),
        .init("allocation", "the allocation with every intermediate value, JSON"),
    ]

    static let runTransitions: [Self] = [
        .init("run_id", "the run"),
        .init("seq", "the transition's place in the run's history"),
        .init("status", "the status the run moved to"),
        .init("reason", "why, for a rejection or cancellation (text)"),
        .init("actor", "who moved it"),
        .init("at", "when"),
    ]

    static let allocations: [Self] = [
        .init("run_id", "the run"),
        .init("recipient", "the recipient jurisdiction's code"),
        .init("recipient_name", "its Chinese name, such as 承德市 (text)"),
        .init("tranche", "the tranche it was allocated from (text)"),
        .init("amount", "yuan allocated"),
        .init("clawback", "for a settlement, yuan taken back of what advances paid beyond the final amount (−s_r)"),
        .init("withheld", "true when the recipient was withheld"),
        .init("derivation", "every intermediate value behind the amount, JSON"),
    ]

    static let payments: [Self] = [
        .init("run_id", "the run"),
        .init("recipient", "the jurisdiction paid"),
        .init("recipient_name", "its Chinese name (text)"),
        .init("amount", "yuan paid"),
        .init("offset", "of which kept back against the recipient's receivable (Cr receivable, not fund:cash)"),
        .init("bank_reference", "the bank's reference of the transfer, as entered (text)"),
        .init("entry_id", "the journal entry of the payment"),
        .init("confirmed_by", "who confirmed it"),
        .init("confirmed_at", "when"),
    ]

    static let scores: [Self] = [
        .init("period", "the assessment period"),
        .init("scheme", "the indicator scheme"),
        .init("scheme_version", "its version"),
        .init("jurisdiction", "the jurisdiction scored"),
        .init("revision", "1 for the first entry, then each revision"),
        .init("values", "indicator code → raw value as entered, JSON"),
        .init("composite", "the composite score, two decimals"),
        .init("reason", "why it was revised (text)"),
        .init("recorded_by", "who entered it"),
        .init("recorded_at", "when"),
    ]

    static let clawbacks: [Self] = [
        .init("run_id", "the settlement run"),
        .init("recipient", "the jurisdiction clawed back from"),
        .init("recipient_name", "its Chinese name (text)"),
        .init("amount", "yuan clawed back: Dr receivable, Cr disbursements"),
        .init("entry_id", "the journal entry of the clawback"),
    ]

    static let recoveries: [Self] = [
        .init("id", "the recovery's id"),
        .init("recipient", "the jurisdiction that returned money"),
        .init("recipient_name", "its Chinese name (text)"),
        .init("amount", "yuan returned: Dr fund:cash, Cr receivable"),
        .init("value_date", "the date the bank received it"),
        .init("bank_reference", "the bank's reference, as entered (text)"),
        .init("entry_id", "the journal entry of the recovery"),
        .init("recorded_by", "who recorded it"),
        .init("recorded_at", "when"),
    ]

    static let targets: [Self] = [
        .init("period", "the assessment period"),
        .init("jurisdiction", "the jurisdiction the targets are set for"),
        .init("revision", "1 for the first entry, then each revision"),
        .init("targets", "indicator code → {value, binding}, JSON"),
        .init("reason", "why it was revised (text)"),
        .init("recorded_by", "who entered it"),
        .init("recorded_at", "when"),
    ]

    static let readings: [Self] = [
        .init("period", "the assessment period"),
        .init("jurisdiction", "the jurisdiction read"),
        .init("month", "the month of the readings, such as 2025-07"),
        .init("revision", "1 for the first entry, then each revision"),
        .init("values", "indicator code → reading, JSON"),
        .init("reason", "why it was revised (text)"),
        .init("recorded_by", "who entered it"),
        .init("recorded_at", "when"),
    ]
}
