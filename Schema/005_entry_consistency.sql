-- 005: what the service builds in Swift, checked again by the database at commit.
--
-- A contribution row must describe exactly its journal entry: a 'contribution' entry of two lines, Dr fund:cash and
-- Cr contributions:{contributor}, both of the contribution's amount. A reversal entry must mirror the entry it names
-- line for line (same accounts and amounts, sides swapped), and a contribution's reversal must reverse that
-- contribution's entry. Until now these held only because the Swift code built them so.

CREATE FUNCTION contributions_match_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT kind FROM journal_entries WHERE id = NEW.entry_id) IS DISTINCT FROM 'contribution'
       OR (SELECT count(*) FROM journal_lines WHERE entry_id = NEW.entry_id) <> 2
       OR NOT EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.entry_id AND account_code = 'fund:cash'
                         AND side = 'debit' AND amount_fen = NEW.amount_fen)
       OR NOT EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.entry_id
                         AND account_code = 'contributions:' || NEW.contributor AND side = 'credit'
                         AND amount_fen = NEW.amount_fen) THEN
        RAISE EXCEPTION 'contribution % does not match journal entry %', NEW.id, NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER contributions_match_entry AFTER INSERT ON contributions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION contributions_match_entry();

CREATE FUNCTION journal_entries_reversal_mirrors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'reversal' AND EXISTS (
        (SELECT account_code, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, amount_fen
           FROM journal_lines WHERE entry_id = NEW.reverses
         EXCEPT ALL
         SELECT account_code, side, amount_fen FROM journal_lines WHERE entry_id = NEW.id)
        UNION ALL
        (SELECT account_code, side, amount_fen FROM journal_lines WHERE entry_id = NEW.id
         EXCEPT ALL
         SELECT account_code, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, amount_fen
           FROM journal_lines WHERE entry_id = NEW.reverses)) THEN
        RAISE EXCEPTION 'reversal entry % does not mirror entry %', NEW.id, NEW.reverses
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_entries_reversal_mirrors AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entries_reversal_mirrors();

CREATE FUNCTION contribution_reversals_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT reverses FROM journal_entries WHERE id = NEW.entry_id)
       IS DISTINCT FROM (SELECT entry_id FROM contributions WHERE id = NEW.contribution_id) THEN
        RAISE EXCEPTION 'the reversal of contribution % must reverse its entry', NEW.contribution_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER contribution_reversals_match AFTER INSERT ON contribution_reversals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION contribution_reversals_match();
