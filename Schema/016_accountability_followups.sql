-- 016: what walking the accountability cycle found after 015 had been applied (015 stays as it was applied).
--
--   an offset: part of a later payment kept back against the recipient's receivable  -> disbursement_payments
--   every payment's entry is exactly its payable, cash and receivable lines           -> disbursement_payments_match
--   no advance run for a year whose settlement has begun (it would never be settled) -> disbursement_runs_advance_open

-- An offset is recorded with the payment it reduces: Dr payable:{r} of the amount, Cr fund:cash of what the bank paid,
-- Cr receivable:{r} of the offset (each line only when above zero). The receivable's CHECK keeps the offset within
-- what is owed. Payments without an offset are held to the same rule, which the database did not check before.
ALTER TABLE disbursement_payments
    ADD COLUMN offset_fen bigint NOT NULL DEFAULT 0 CHECK (offset_fen >= 0),
    ADD CONSTRAINT disbursement_payments_offset_within CHECK (offset_fen <= amount_fen);

CREATE FUNCTION disbursement_payments_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT kind FROM journal_entries WHERE id = NEW.entry_id) IS DISTINCT FROM 'payment' OR EXISTS (
        (SELECT account_code, side, amount_fen FROM journal_lines WHERE entry_id = NEW.entry_id
         EXCEPT ALL
         SELECT a, s, f FROM (VALUES ('payable:' || NEW.recipient, 'debit', NEW.amount_fen),
                                     ('fund:cash', 'credit', NEW.amount_fen - NEW.offset_fen),
                                     ('receivable:' || NEW.recipient, 'credit', NEW.offset_fen)) v (a, s, f)
          WHERE f > 0)
        UNION ALL
        (SELECT a, s, f FROM (VALUES ('payable:' || NEW.recipient, 'debit', NEW.amount_fen),
                                     ('fund:cash', 'credit', NEW.amount_fen - NEW.offset_fen),
                                     ('receivable:' || NEW.recipient, 'credit', NEW.offset_fen)) v (a, s, f)
          WHERE f > 0
         EXCEPT ALL
         SELECT account_code, side, amount_fen FROM journal_lines WHERE entry_id = NEW.entry_id)) THEN
        RAISE EXCEPTION 'payment of run % to % (%, offset %) does not match journal entry %', NEW.run_id,
            NEW.recipient, NEW.amount_fen, NEW.offset_fen, NEW.entry_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER disbursement_payments_match AFTER INSERT ON disbursement_payments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION disbursement_payments_match();

-- An advance for a year its settlement has already taken up (proposed, approved, posted or paid) would never be
-- settled: refused at commit, as the service refuses it at proposal.
CREATE FUNCTION disbursement_runs_advance_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'advance' AND EXISTS (
        SELECT 1 FROM disbursement_runs r JOIN allocation_rules ar ON ar.code = r.rule_code AND ar.version = r.rule_version
         WHERE r.kind = 'settlement' AND r.fiscal_year = NEW.fiscal_year AND ar.document->>'settles' = NEW.rule_code
           AND r.status IN ('proposed', 'approved', 'posted', 'paid')) THEN
        RAISE EXCEPTION 'advance run % of % for %: the year is already being settled', NEW.id, NEW.rule_code,
            NEW.fiscal_year USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER disbursement_runs_advance_open AFTER INSERT ON disbursement_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION disbursement_runs_advance_open();
