-- 013: the auditors' journal, fast at a million entries. The journal is listed newest first by entry id, filtered
-- by kind or by value dates; without these an uncommon kind (a reversal) or an old month walked every newer entry.
-- An account's filter and its ledger walk journal_lines_account (account_code, entry_id) of 001.
CREATE INDEX journal_entries_kind ON journal_entries (kind, id);
CREATE INDEX journal_entries_value_date ON journal_entries (value_date, id);
