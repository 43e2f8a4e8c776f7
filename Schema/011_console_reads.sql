-- 011: what the console's pages read at a million entries, kept fast where it is computed.
--
-- Contributions listed by value date: the plan for a bounded date range reads the range's index entries alone
-- (value date, entry id) and sorts them by entry id, instead of walking every entry id backwards in search of the
-- range; a contributor's list walks (contributor, entry id). The old (contributor, value date) index grows the entry
-- id, so a contributor's dates are read from the index alone too.
DROP INDEX contributions_contributor;
CREATE INDEX contributions_contributor ON contributions (contributor, value_date, entry_id);
CREATE INDEX contributions_contributor_entry ON contributions (contributor, entry_id);
CREATE INDEX contributions_value_date ON contributions (value_date, entry_id);

-- What each contributor has received per fiscal year (a calendar year of value dates), less reversals: kept as
-- contributions and reversals arrive, so that a pledge's fulfilment is one row instead of a year of contributions
-- summed on every read. The same transactions already lock the contributor's revenue balance, so this row adds no
-- new wait. Only the triggers move it.
CREATE TABLE contribution_year_totals (
    contributor   text NOT NULL REFERENCES jurisdictions (code),
    fiscal_year   integer NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
    received_fen  bigint NOT NULL CHECK (received_fen >= 0),
    PRIMARY KEY (contributor, fiscal_year)
);

-- The totals as the contributions say they are: the one definition the backfill, the check below and a bulk
-- load's recomputation (Scripts/bench/recompute.sql) all use.
CREATE FUNCTION contribution_year_totals_from_contributions()
    RETURNS TABLE (contributor text, fiscal_year integer, received_fen bigint)
    LANGUAGE sql STABLE AS $$
    SELECT c.contributor, extract(year FROM c.value_date)::integer, sum(c.amount_fen)::bigint
      FROM contributions c
     WHERE NOT EXISTS (SELECT 1 FROM contribution_reversals r WHERE r.contribution_id = c.id)
     GROUP BY 1, 2
$$;
INSERT INTO contribution_year_totals SELECT * FROM contribution_year_totals_from_contributions();

CREATE FUNCTION contribution_year_totals_receive() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
BEGIN
    INSERT INTO contribution_year_totals AS t (contributor, fiscal_year, received_fen)
    VALUES (NEW.contributor, extract(year FROM NEW.value_date)::integer, NEW.amount_fen)
    ON CONFLICT (contributor, fiscal_year) DO UPDATE SET received_fen = t.received_fen + EXCLUDED.received_fen;
    RETURN NULL;
END
$$;
CREATE TRIGGER contributions_year_total AFTER INSERT ON contributions
    FOR EACH ROW EXECUTE FUNCTION contribution_year_totals_receive();

CREATE FUNCTION contribution_year_totals_reverse() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
BEGIN
    UPDATE contribution_year_totals t SET received_fen = t.received_fen - c.amount_fen
      FROM contributions c
     WHERE c.id = NEW.contribution_id AND t.contributor = c.contributor
       AND t.fiscal_year = extract(year FROM c.value_date)::integer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contribution % has no yearly total to take its reversal from', NEW.contribution_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER contribution_reversals_year_total AFTER INSERT ON contribution_reversals
    FOR EACH ROW EXECUTE FUNCTION contribution_year_totals_reverse();

CREATE FUNCTION contribution_year_totals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'yearly totals are kept by the contributions; % on contribution_year_totals is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER contribution_year_totals_guard BEFORE INSERT OR UPDATE OR DELETE ON contribution_year_totals
    FOR EACH ROW EXECUTE FUNCTION contribution_year_totals_guard();
REVOKE ALL ON contribution_year_totals FROM PUBLIC;
GRANT SELECT ON contribution_year_totals TO ecofund_app;

-- The one definition of what a pledge has received, now read from the kept totals.
CREATE OR REPLACE FUNCTION commitment_fulfilled_fen(contributor text, fiscal_year integer) RETURNS bigint
    LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce((SELECT t.received_fen FROM contribution_year_totals t
                      WHERE t.contributor = commitment_fulfilled_fen.contributor
                        AND t.fiscal_year = commitment_fulfilled_fen.fiscal_year), 0)::bigint
$$;

-- The totals recomputed from the contributions, for the checks that compare them (as stored balances are checked
-- against their lines): a row per (contributor, year) whose kept total differs.
CREATE FUNCTION contribution_year_totals_mismatched() RETURNS TABLE (contributor text, fiscal_year integer)
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(r.contributor, t.contributor), coalesce(r.fiscal_year, t.fiscal_year)
      FROM contribution_year_totals_from_contributions() r FULL JOIN contribution_year_totals t
        ON t.contributor = r.contributor AND t.fiscal_year = r.fiscal_year
     WHERE coalesce(r.received_fen, 0) <> coalesce(t.received_fen, 0)
$$;
REVOKE ALL ON FUNCTION contribution_year_totals_mismatched(), contribution_year_totals_from_contributions()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION contribution_year_totals_mismatched(), contribution_year_totals_from_contributions()
    TO ecofund_app;
