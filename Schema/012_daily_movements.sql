-- 012: balances as of a date, fast at a million entries. Each account's debits and credits per value date, kept
-- by the line trigger as lines arrive, so that a balance as of a date sums one row per account and day instead of
-- every line up to it (a sequential scan of two million lines that spilled to disk). Checked against the lines as
-- the stored balances are (contribution_year_totals_mismatched's twin below); only the trigger moves a row.

CREATE TABLE account_daily_movements (
    account_code  text NOT NULL REFERENCES accounts (code),
    value_date    date NOT NULL,
    debit_fen     bigint NOT NULL CHECK (debit_fen >= 0),
    credit_fen    bigint NOT NULL CHECK (credit_fen >= 0),
    PRIMARY KEY (account_code, value_date)
);

-- The movements as the lines say they are: the one definition the backfill, the check below and a bulk load's
-- recomputation (Scripts/bench/recompute.sql) all use.
CREATE FUNCTION account_daily_movements_from_lines()
    RETURNS TABLE (account_code text, value_date date, debit_fen bigint, credit_fen bigint)
    LANGUAGE sql STABLE AS $$
    SELECT l.account_code, e.value_date,
           coalesce(sum(l.amount_fen) FILTER (WHERE l.side = 'debit'), 0)::bigint,
           coalesce(sum(l.amount_fen) FILTER (WHERE l.side = 'credit'), 0)::bigint
      FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
     GROUP BY 1, 2
$$;
INSERT INTO account_daily_movements SELECT * FROM account_daily_movements_from_lines();

CREATE FUNCTION journal_lines_daily() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
BEGIN
    INSERT INTO account_daily_movements AS m (account_code, value_date, debit_fen, credit_fen)
    SELECT NEW.account_code, e.value_date,
           CASE WHEN NEW.side = 'debit' THEN NEW.amount_fen ELSE 0 END,
           CASE WHEN NEW.side = 'credit' THEN NEW.amount_fen ELSE 0 END
      FROM journal_entries e WHERE e.id = NEW.entry_id
    ON CONFLICT (account_code, value_date) DO UPDATE
       SET debit_fen = m.debit_fen + EXCLUDED.debit_fen, credit_fen = m.credit_fen + EXCLUDED.credit_fen;
    RETURN NULL;
END
$$;
CREATE TRIGGER journal_lines_daily AFTER INSERT ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION journal_lines_daily();

CREATE FUNCTION account_daily_movements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'daily movements are kept by the journal; % on account_daily_movements is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER account_daily_movements_guard BEFORE INSERT OR UPDATE OR DELETE ON account_daily_movements
    FOR EACH ROW EXECUTE FUNCTION account_daily_movements_guard();
REVOKE ALL ON account_daily_movements FROM PUBLIC;
GRANT SELECT ON account_daily_movements TO ecofund_app;

-- Rows whose kept movements differ from the lines of that account and value date: empty unless tampered with.
CREATE FUNCTION account_daily_movements_mismatched() RETURNS TABLE (account_code text, value_date date)
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(r.account_code, m.account_code), coalesce(r.value_date, m.value_date)
      FROM account_daily_movements_from_lines() r FULL JOIN account_daily_movements m
        ON m.account_code = r.account_code AND m.value_date = r.value_date
     WHERE coalesce(r.debit_fen, 0) <> coalesce(m.debit_fen, 0) OR coalesce(r.credit_fen, 0) <> coalesce(m.credit_fen, 0)
$$;
REVOKE ALL ON FUNCTION account_daily_movements_mismatched(), account_daily_movements_from_lines() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION account_daily_movements_mismatched(), account_daily_movements_from_lines() TO ecofund_app;
