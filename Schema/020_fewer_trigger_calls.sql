-- 020: the same rules in fewer trigger calls (DESIGN.md "Writing under load").
--
-- Under load the commit queue's one connection spends its time in the database running triggers: a contribution
-- called 24 PL/pgSQL trigger functions, six of them SECURITY DEFINER (each a switch of user and of search_path),
-- and most of those calls only to find they had nothing to do. Nothing here checks less or moves anything
-- differently; it only stops calling a function whose answer is known before the call:
--   1. tx_id and item are stamped by one trigger instead of two.
--   2. A trigger that acts on some kinds of entry only is asked only for them (a WHEN clause, decided when the row is
--      written: an entry's kind never changes, the journal being append-only).
--   3. The guards of the kept tables (balances, daily movements, entry counts, yearly totals) let the journal's own
--      triggers through. They now say so in a WHEN clause and run only for a statement that no trigger issued:
--      a WHEN is evaluated before its trigger is entered, so it sees the depth of the statement that changes the
--      row, 0 when a person or the service wrote it directly, 1 or more inside a trigger. The guards' bodies, which
--      ran one level deeper, are unchanged and still refuse anything below 2, which now is everything they see.
--   4. A line moves its balance and its day's movements in one call instead of two.
--   5. The audit check of 018 asked its two cases (outside a batch, an item of one) in one condition, which the
--      planner could fold only once it knew the item: its plan was made again on every call, two calls a write, and
--      this planning was a tenth of a batch's time in the database. Each case is now a query of its own, planned once.

-- 1. One stamp.
CREATE FUNCTION stamp_tx_and_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tx_id := txid_current();
    NEW.item := batch_item();
    RETURN NEW;
END
$$;
DROP TRIGGER audit_events_stamp ON audit_events;
DROP TRIGGER audit_events_stamp_item ON audit_events;
CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION stamp_tx_and_item();
DROP TRIGGER journal_entries_stamp ON journal_entries;
DROP TRIGGER journal_entries_stamp_item ON journal_entries;
CREATE TRIGGER journal_entries_stamp BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION stamp_tx_and_item();
DROP FUNCTION stamp_item();

-- 2. Kind-specific triggers, asked for their kinds only. The two fund triggers share their kinds, named once here
-- (their functions no longer test them); the mirror and accountability checks keep their own test of the kind, which
-- the WHEN repeats as a filter.
CREATE FUNCTION entry_kind_draws_on_fund(kind text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT kind IN ('disbursement', 'payment', 'reversal')
$$;

CREATE OR REPLACE FUNCTION journal_entries_fund_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ecofund.fund'));
    RETURN NEW;
END
$$;
DROP TRIGGER journal_entries_fund_lock ON journal_entries;
CREATE TRIGGER journal_entries_fund_lock BEFORE INSERT ON journal_entries
    FOR EACH ROW WHEN (entry_kind_draws_on_fund(NEW.kind)) EXECUTE FUNCTION journal_entries_fund_lock();

CREATE OR REPLACE FUNCTION journal_entries_fund_covers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF fund_uncommitted_fen() < 0 THEN
        RAISE EXCEPTION 'entry % leaves the fund short: % fen uncommitted', NEW.id, fund_uncommitted_fen()
            USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_not_negative';
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER journal_entries_fund_covers ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_fund_covers AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (entry_kind_draws_on_fund(NEW.kind))
    EXECUTE FUNCTION journal_entries_fund_covers();

DROP TRIGGER journal_entries_reversal_mirrors ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_reversal_mirrors AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind = 'reversal')
    EXECUTE FUNCTION journal_entries_reversal_mirrors();

DROP TRIGGER journal_entries_accountable ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_accountable AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind IN ('clawback', 'recovery'))
    EXECUTE FUNCTION journal_entries_accountable();

-- 3. The kept tables' guards, entered only for a statement no trigger issued.
DROP TRIGGER account_balances_guard ON account_balances;
CREATE TRIGGER account_balances_guard BEFORE INSERT OR UPDATE OR DELETE ON account_balances
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION account_balances_guard();
DROP TRIGGER account_daily_movements_guard ON account_daily_movements;
CREATE TRIGGER account_daily_movements_guard BEFORE INSERT OR UPDATE OR DELETE ON account_daily_movements
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION account_daily_movements_guard();
DROP TRIGGER journal_entry_counts_guard ON journal_entry_counts;
CREATE TRIGGER journal_entry_counts_guard BEFORE INSERT OR UPDATE OR DELETE ON journal_entry_counts
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION journal_entry_counts_guard();
DROP TRIGGER contribution_year_totals_guard ON contribution_year_totals;
CREATE TRIGGER contribution_year_totals_guard BEFORE INSERT OR UPDATE OR DELETE ON contribution_year_totals
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION contribution_year_totals_guard();

-- 4. One line trigger instead of two: the line trigger of 018 and the daily trigger of 012 in one call, which reads
-- the entry once for its transaction, item and value date. Lines still move their balances one by one, in the order
-- they are written, under the row lock. (A statement-level trigger over the inserted rows was tried and was slower:
-- its grouped UPDATE ... FROM cost more than two single-row updates.) The trigger journal_lines_apply stays; only its
-- function grows.
CREATE OR REPLACE FUNCTION journal_lines_apply() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
DECLARE
    entry_tx bigint;
    entry_item integer;
    entry_date date;
    normal_debit boolean;
BEGIN
    SELECT tx_id, item, value_date INTO entry_tx, entry_item, entry_date FROM journal_entries WHERE id = NEW.entry_id;
    IF entry_tx IS DISTINCT FROM txid_current() OR entry_item IS DISTINCT FROM batch_item() THEN
        RAISE EXCEPTION 'lines can only be added to journal entry % in the transaction and item that created it',
            NEW.entry_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT account_normal_debit(type) INTO normal_debit FROM accounts WHERE code = NEW.account_code;
    UPDATE account_balances
       SET balance_fen = balance_fen + CASE WHEN (NEW.side = 'debit') = normal_debit THEN NEW.amount_fen
                                            ELSE -NEW.amount_fen END,
           debit_fen  = debit_fen  + CASE WHEN NEW.side = 'debit'  THEN NEW.amount_fen ELSE 0 END,
           credit_fen = credit_fen + CASE WHEN NEW.side = 'credit' THEN NEW.amount_fen ELSE 0 END
     WHERE account_code = NEW.account_code;
    INSERT INTO account_daily_movements AS m (account_code, value_date, debit_fen, credit_fen)
    VALUES (NEW.account_code, entry_date,
            CASE WHEN NEW.side = 'debit' THEN NEW.amount_fen ELSE 0 END,
            CASE WHEN NEW.side = 'credit' THEN NEW.amount_fen ELSE 0 END)
    ON CONFLICT (account_code, value_date) DO UPDATE
       SET debit_fen = m.debit_fen + EXCLUDED.debit_fen, credit_fen = m.credit_fen + EXCLUDED.credit_fen;
    RETURN NEW;
END
$$;
DROP TRIGGER journal_lines_daily ON journal_lines;
DROP FUNCTION journal_lines_daily();

-- 5. The audit check, one query per case: item 0 finds the transaction's first event on (tx_id); an item of a batch
-- looks its own up on the partial index (tx_id, item) WHERE item > 0, which the query's own `item > 0` lets a plan
-- made once use.
CREATE OR REPLACE FUNCTION require_audit_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_item integer := batch_item();
    audited boolean;
BEGIN
    IF current_item = 0 THEN
        audited := EXISTS (SELECT 1 FROM audit_events WHERE tx_id = txid_current() AND item = 0);
    ELSE
        audited := EXISTS (SELECT 1 FROM audit_events
                            WHERE tx_id = txid_current() AND item = current_item AND item > 0);
    END IF;
    IF NOT audited THEN
        RAISE EXCEPTION 'a change to % was committed without an audit event in the same transaction and item',
            TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
