-- 015: accountability (DESIGN.md "Accountability"): targets and monthly readings, advance and settlement runs,
-- clawbacks, receivables and recoveries; the central government as a contributor.
--
-- Enforced here as well as in Swift:
--   receivable:* never below zero          -> receivable accounts are non_negative (account_balances' CHECK)
--   a recovery never above the receivable  -> the same CHECK: the recovery's credit would take it below zero
--   a clawback only for a posted settlement, equal to −s_r   -> clawbacks_match, at commit
--   a settlement's Σ(a_r + s_r) = its tranches less retained -> disbursement_runs_settlement, at commit
--   a settlement's a_r are the posted advance runs' grants  -> the same trigger
--   targets and readings only while their period is open, for its scheme's indicators and its months

-- The central government (中央财政) pays in but is no member region: a third level, without a parent.
ALTER TABLE jurisdictions DROP CONSTRAINT jurisdictions_level_check,
    ADD CONSTRAINT jurisdictions_level_check CHECK (level IN ('province', 'city', 'central'));
ALTER TABLE jurisdictions DROP CONSTRAINT jurisdictions_check,
    ADD CONSTRAINT jurisdictions_check CHECK ((level = 'city') = (parent IS NOT NULL));

-- receivable:{r}: what r owes the fund back after a clawback (an asset that never goes below zero).
CREATE OR REPLACE FUNCTION is_account_code(code text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT code = 'fund:cash'
        OR (strpos(code, ':') > 0
            AND split_part(code, ':', 1) IN ('contributions', 'disbursements', 'payable', 'receivable')
            AND public.is_jurisdiction_code(substr(code, strpos(code, ':') + 1)))
$$;
ALTER TABLE accounts DROP CONSTRAINT accounts_check, ADD CONSTRAINT accounts_check CHECK (CASE split_part(code, ':', 1)
    WHEN 'fund' THEN type = 'asset' AND jurisdiction IS NULL AND non_negative
    WHEN 'contributions' THEN type = 'revenue' AND jurisdiction = split_part(code, ':', 2)
    WHEN 'disbursements' THEN type = 'expense' AND jurisdiction = split_part(code, ':', 2)
    WHEN 'payable' THEN type = 'liability' AND jurisdiction = split_part(code, ':', 2) AND non_negative
    WHEN 'receivable' THEN type = 'asset' AND jurisdiction = split_part(code, ':', 2) AND non_negative
END);

-- Two new kinds of entry: a settlement's clawback and a recipient's recovery.
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check, ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('contribution', 'reversal', 'disbursement', 'payment', 'clawback', 'recovery'));
ALTER TABLE journal_entry_counts DROP CONSTRAINT journal_entry_counts_kind_check,
    ADD CONSTRAINT journal_entry_counts_kind_check
    CHECK (kind IN ('contribution', 'reversal', 'disbursement', 'payment', 'clawback', 'recovery'));
-- The counters' guard admits only the journal's own trigger; the migration adds the two rows past it.
ALTER TABLE journal_entry_counts DISABLE TRIGGER journal_entry_counts_guard;
INSERT INTO journal_entry_counts (kind, entries) VALUES ('clawback', 0), ('recovery', 0);
ALTER TABLE journal_entry_counts ENABLE TRIGGER journal_entry_counts_guard;

-- Targets (责任目标): one revision per jurisdiction holds all its targets, indicator -> {value, binding}.
CREATE TABLE assessment_targets (
    period_code   text NOT NULL,
    jurisdiction  text NOT NULL,
    revision      integer NOT NULL CHECK (revision >= 1),
    targets       jsonb NOT NULL CHECK (jsonb_typeof(targets) = 'object' AND targets <> '{}'::jsonb),
    reason        text CHECK (reason IS NULL OR length(btrim(reason)) BETWEEN 1 AND 500),
    recorded_by   uuid NOT NULL REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_code, jurisdiction, revision),
    FOREIGN KEY (period_code, jurisdiction) REFERENCES assessment_period_members (period_code, jurisdiction),
    CHECK (revision = 1 OR reason IS NOT NULL)
);

-- Monthly readings (动态监控): one revision per jurisdiction and month, indicator -> value.
CREATE TABLE assessment_readings (
    period_code   text NOT NULL,
    jurisdiction  text NOT NULL,
    month         text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    revision      integer NOT NULL CHECK (revision >= 1),
    "values"      jsonb NOT NULL CHECK (jsonb_typeof("values") = 'object' AND "values" <> '{}'::jsonb),
    reason        text CHECK (reason IS NULL OR length(btrim(reason)) BETWEEN 1 AND 500),
    recorded_by   uuid NOT NULL REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_code, jurisdiction, month, revision),
    FOREIGN KEY (period_code, jurisdiction) REFERENCES assessment_period_members (period_code, jurisdiction),
    -- A period monitors the calendar year its code names.
    CHECK (period_code ~ '^[0-9]{4}$' AND left(month, 4) = period_code),
    CHECK (revision = 1 OR reason IS NOT NULL)
);

-- Whether every key of an indicator map is an indicator of the period's scheme, and every value a decimal.
CREATE FUNCTION indicator_map_valid(period text, map jsonb, with_binding boolean) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM jsonb_each(map) AS e (indicator, item)
         WHERE NOT EXISTS (SELECT 1 FROM assessment_periods p JOIN assessment_indicators i
                             ON i.scheme_code = p.scheme_code AND i.scheme_version = p.scheme_version
                            WHERE p.code = period AND i.code = e.indicator)
            OR CASE WHEN with_binding
                    THEN jsonb_typeof(item) <> 'object' OR jsonb_typeof(item->'binding') IS DISTINCT FROM 'boolean'
                         OR coalesce(item->>'value', '') !~ '^-?[0-9]{1,20}(\.[0-9]{1,10})?$'
                    ELSE jsonb_typeof(item) <> 'string' OR (item #>> '{}') !~ '^-?[0-9]{1,20}(\.[0-9]{1,10})?$' END)
$$;

-- Targets and readings are written while their period is open (the share lock waits for a concurrent finalize),
-- only as the next revision (two writers meet on the primary key), and only for the scheme's indicators.
CREATE FUNCTION assessment_measures_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
DECLARE
    period_status text;
    latest integer;
BEGIN
    SELECT status INTO period_status FROM assessment_periods WHERE code = NEW.period_code FOR SHARE;
    IF period_status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'period % is %; targets and readings can only be written while it is open',
            NEW.period_code, period_status USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_TABLE_NAME = 'assessment_targets' THEN
        SELECT coalesce(max(revision), 0) INTO latest FROM assessment_targets
         WHERE period_code = NEW.period_code AND jurisdiction = NEW.jurisdiction;
        IF NOT indicator_map_valid(NEW.period_code, NEW.targets, true) THEN
            RAISE EXCEPTION 'targets of %/% name an indicator that is not in the period''s scheme, or a value that is not a decimal',
                NEW.period_code, NEW.jurisdiction USING ERRCODE = 'check_violation';
        END IF;
    ELSE
        SELECT coalesce(max(revision), 0) INTO latest FROM assessment_readings
         WHERE period_code = NEW.period_code AND jurisdiction = NEW.jurisdiction AND month = NEW.month;
        IF NOT indicator_map_valid(NEW.period_code, NEW."values", false) THEN
            RAISE EXCEPTION 'readings of %/% % name an indicator that is not in the period''s scheme, or a value that is not a decimal',
                NEW.period_code, NEW.jurisdiction, NEW.month USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.revision <> latest + 1 THEN
        RAISE EXCEPTION '%/% is at revision %; revision % is not the next one',
            NEW.period_code, NEW.jurisdiction, latest, NEW.revision
            USING ERRCODE = 'unique_violation', CONSTRAINT = TG_TABLE_NAME || '_pkey';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER assessment_targets_guard BEFORE INSERT ON assessment_targets
    FOR EACH ROW EXECUTE FUNCTION assessment_measures_guard();
CREATE TRIGGER assessment_readings_guard BEFORE INSERT ON assessment_readings
    FOR EACH ROW EXECUTE FUNCTION assessment_measures_guard();
CREATE TRIGGER assessment_targets_append_only BEFORE UPDATE OR DELETE ON assessment_targets
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assessment_readings_append_only BEFORE UPDATE OR DELETE ON assessment_readings
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assessment_targets_no_truncate BEFORE TRUNCATE ON assessment_targets
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assessment_readings_no_truncate BEFORE TRUNCATE ON assessment_readings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER assessment_targets_audited AFTER INSERT ON assessment_targets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();
CREATE CONSTRAINT TRIGGER assessment_readings_audited AFTER INSERT ON assessment_readings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

-- Runs carry their rule's kind and fiscal year, so the database can find a settlement's advances.
ALTER TABLE disbursement_runs
    ADD COLUMN kind text NOT NULL DEFAULT 'allocation' CHECK (kind IN ('allocation', 'advance', 'settlement')),
    ADD COLUMN fiscal_year integer CHECK (fiscal_year BETWEEN 2000 AND 2100),
    ADD CONSTRAINT disbursement_runs_kind_year CHECK (kind = 'allocation' OR fiscal_year IS NOT NULL);
CREATE INDEX disbursement_runs_rule_year ON disbursement_runs (rule_code, fiscal_year) WHERE kind = 'advance';
-- −s_r of a settlement's recipient whose advances exceed its final amount.
ALTER TABLE disbursement_allocations
    ADD COLUMN clawback_fen bigint NOT NULL DEFAULT 0 CHECK (clawback_fen >= 0 AND clawback_fen <= 1000000000000000),
    ADD CONSTRAINT disbursement_allocations_grant_or_clawback CHECK (amount_fen = 0 OR clawback_fen = 0);

-- A run's kind, fiscal year and settled rule are its rule's; the content guard of 003 covers the new columns.
CREATE OR REPLACE FUNCTION disbursement_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (NEW.id, NEW.rule_code, NEW.rule_version, NEW.value_date, NEW.pool_fen, NEW.allocated_fen,
            NEW.snapshot, NEW.allocation, NEW.period_code, NEW.period_revision, NEW.proposed_by, NEW.proposed_at,
            NEW.tx_id, NEW.kind, NEW.fiscal_year)
        IS DISTINCT FROM (OLD.id, OLD.rule_code, OLD.rule_version, OLD.value_date, OLD.pool_fen, OLD.allocated_fen,
            OLD.snapshot, OLD.allocation, OLD.period_code, OLD.period_revision, OLD.proposed_by, OLD.proposed_at,
            OLD.tx_id, OLD.kind, OLD.fiscal_year)
    THEN
        RAISE EXCEPTION 'a disbursement run''s allocation and inputs never change' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT ((OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected', 'cancelled'))
         OR (OLD.status = 'approved' AND NEW.status IN ('posted', 'cancelled'))
         OR (OLD.status = 'posted' AND NEW.status = 'paid')) THEN
        RAISE EXCEPTION 'a % run cannot become %', OLD.status, NEW.status USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF (OLD.approved_by IS NOT NULL AND NEW.approved_by IS DISTINCT FROM OLD.approved_by)
       OR (OLD.posted_entry_id IS NOT NULL AND NEW.posted_entry_id IS DISTINCT FROM OLD.posted_entry_id) THEN
        RAISE EXCEPTION 'who approved a run and its posting are never rewritten' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'approved' THEN
        PERFORM pg_advisory_xact_lock(hashtext('ecofund.fund'));
        IF fund_uncommitted_fen() < NEW.allocated_fen THEN
            RAISE EXCEPTION 'approving run % would commit % fen; the fund has % fen uncommitted',
                NEW.id, NEW.allocated_fen, fund_uncommitted_fen()
                USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_not_negative';
        END IF;
    END IF;
    IF NEW.status = 'paid' AND EXISTS (
        SELECT 1 FROM disbursement_allocations a WHERE a.run_id = NEW.id AND a.amount_fen > 0
           AND NOT EXISTS (SELECT 1 FROM disbursement_payments p WHERE p.run_id = a.run_id AND p.recipient = a.recipient))
    THEN
        RAISE EXCEPTION 'run % is not paid until every recipient is', NEW.id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$$;

-- A settlement's a_r, as the database counts them: per recipient, the grants of posted (or paid) runs of the
-- advance rule it settles, for its fiscal year.
CREATE FUNCTION settlement_advances(settled_rule text, year integer) RETURNS TABLE (recipient text, amount_fen bigint)
    LANGUAGE sql STABLE AS $$
    SELECT a.recipient, sum(a.amount_fen)::bigint FROM disbursement_runs r
      JOIN disbursement_allocations a ON a.run_id = r.id
     WHERE r.rule_code = settled_rule AND r.kind = 'advance' AND r.fiscal_year = year
       AND r.status IN ('posted', 'paid') AND a.amount_fen > 0
     GROUP BY a.recipient
$$;

-- At commit of a run: its kind and year are its rule's; a settlement names no advance run still in flight, its
-- snapshot's a_r are exactly the posted advances', and Σ(a_r + s_r) over its recipients is its tranches less the
-- retained ones. Other kinds claw nothing back.
CREATE FUNCTION disbursement_runs_settlement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    document jsonb;
    settled text;
    placed numeric;
    total numeric;
BEGIN
    SELECT r.document INTO document FROM allocation_rules r WHERE r.code = NEW.rule_code AND r.version = NEW.rule_version;
    IF coalesce(document->>'kind', 'allocation') <> NEW.kind
       OR (document->>'fiscalYear')::integer IS DISTINCT FROM NEW.fiscal_year THEN
        RAISE EXCEPTION 'run % is a % run of %, but its rule is a % rule of %', NEW.id, NEW.kind, NEW.fiscal_year,
            coalesce(document->>'kind', 'allocation'), document->>'fiscalYear'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.kind <> 'settlement' THEN
        IF EXISTS (SELECT 1 FROM disbursement_allocations WHERE run_id = NEW.id AND clawback_fen > 0) THEN
            RAISE EXCEPTION 'only a settlement claws back (run % is a % run)', NEW.id, NEW.kind
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END IF;
    settled := document->>'settles';
    IF EXISTS (SELECT 1 FROM disbursement_runs r WHERE r.rule_code = settled AND r.kind = 'advance'
                  AND r.fiscal_year = NEW.fiscal_year AND r.status IN ('proposed', 'approved')) THEN
        RAISE EXCEPTION 'settlement % of % for % while an advance run is not yet posted', NEW.id, settled, NEW.fiscal_year
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (
        (SELECT recipient, amount_fen FROM settlement_advances(settled, NEW.fiscal_year)
         EXCEPT
         SELECT key, (value->'amount'->>'fen')::bigint FROM jsonb_each(coalesce(NEW.snapshot->'inputs'->'advances', '{}')))
        UNION ALL
        (SELECT key, (value->'amount'->>'fen')::bigint FROM jsonb_each(coalesce(NEW.snapshot->'inputs'->'advances', '{}'))
         EXCEPT
         SELECT recipient, amount_fen FROM settlement_advances(settled, NEW.fiscal_year))) THEN
        RAISE EXCEPTION 'settlement % does not settle what the posted advance runs of % for % granted', NEW.id, settled,
            NEW.fiscal_year USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT coalesce(sum((t->'amount'->>'fen')::bigint), 0) INTO placed
      FROM jsonb_array_elements(NEW.allocation->'tranches') t WHERE NOT (t->>'retained')::boolean;
    SELECT coalesce(sum(a.amount_fen - a.clawback_fen + coalesce(v.amount_fen, 0)), 0) INTO total
      FROM disbursement_allocations a
      LEFT JOIN settlement_advances(settled, NEW.fiscal_year) v ON v.recipient = a.recipient
     WHERE a.run_id = NEW.id;
    IF total <> placed THEN
        RAISE EXCEPTION 'settlement %: advances plus the settlement come to % fen, its tranches less retained to %',
            NEW.id, total, placed USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER disbursement_runs_settlement AFTER INSERT ON disbursement_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION disbursement_runs_settlement();

-- A clawback: when a settlement posts, Dr receivable:{r} / Cr disbursements:{r} of −s_r, one entry per recipient.
CREATE TABLE clawbacks (
    run_id      uuid NOT NULL,
    recipient   text NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 1000000000000000),
    entry_id    bigint NOT NULL UNIQUE REFERENCES journal_entries (id),
    PRIMARY KEY (run_id, recipient),
    FOREIGN KEY (run_id, recipient) REFERENCES disbursement_allocations (run_id, recipient)
);

-- A recovery: money a recipient returns against its receivable, Dr fund:cash / Cr receivable:{r}.
CREATE TABLE recoveries (
    id              uuid PRIMARY KEY,
    recipient       text NOT NULL REFERENCES jurisdictions (code),
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 1000000000000000),
    value_date      date NOT NULL,
    bank_reference  text NOT NULL CHECK (length(btrim(bank_reference)) BETWEEN 1 AND 100),
    entry_id        bigint NOT NULL UNIQUE REFERENCES journal_entries (id),
    recorded_by     uuid NOT NULL REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recoveries_recipient ON recoveries (recipient, value_date);

-- Whether an entry is exactly two lines: Dr `debit` and Cr `credit`, both of `amount`.
CREATE FUNCTION entry_is_transfer(entry bigint, debit text, credit text, amount bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT (SELECT count(*) FROM journal_lines WHERE entry_id = entry) = 2
       AND EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = entry AND account_code = debit AND side = 'debit'
                      AND amount_fen = amount)
       AND EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = entry AND account_code = credit AND side = 'credit'
                      AND amount_fen = amount)
$$;

CREATE FUNCTION clawbacks_match() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    run_kind text;
    run_status text;
    owed bigint;
BEGIN
    SELECT r.kind, r.status, a.clawback_fen INTO run_kind, run_status, owed
      FROM disbursement_runs r JOIN disbursement_allocations a ON a.run_id = r.id
     WHERE r.id = NEW.run_id AND a.recipient = NEW.recipient;
    IF run_kind IS DISTINCT FROM 'settlement' OR run_status NOT IN ('posted', 'paid') OR owed IS DISTINCT FROM NEW.amount_fen
       OR (SELECT kind FROM journal_entries WHERE id = NEW.entry_id) IS DISTINCT FROM 'clawback'
       OR NOT entry_is_transfer(NEW.entry_id, 'receivable:' || NEW.recipient, 'disbursements:' || NEW.recipient,
                                NEW.amount_fen) THEN
        RAISE EXCEPTION 'clawback of % from % (run %, a % run, %, owing % fen) is not −s_r of a posted settlement',
            NEW.amount_fen, NEW.recipient, NEW.run_id, run_kind, run_status, owed
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER clawbacks_match AFTER INSERT ON clawbacks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION clawbacks_match();

CREATE FUNCTION recoveries_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT kind FROM journal_entries WHERE id = NEW.entry_id) IS DISTINCT FROM 'recovery'
       OR NOT entry_is_transfer(NEW.entry_id, 'fund:cash', 'receivable:' || NEW.recipient, NEW.amount_fen) THEN
        RAISE EXCEPTION 'recovery % does not match journal entry %', NEW.id, NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER recoveries_match AFTER INSERT ON recoveries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION recoveries_match();

-- Every clawback or recovery entry has its row; a posted settlement has a clawback for every −s_r.
CREATE FUNCTION journal_entries_accountable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'clawback' AND NOT EXISTS (SELECT 1 FROM clawbacks WHERE entry_id = NEW.id)
       OR NEW.kind = 'recovery' AND NOT EXISTS (SELECT 1 FROM recoveries WHERE entry_id = NEW.id) THEN
        RAISE EXCEPTION 'a % entry (%) must be recorded as one', NEW.kind, NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_entries_accountable AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entries_accountable();

CREATE FUNCTION disbursement_runs_clawed_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'posted' AND NEW.kind = 'settlement' AND EXISTS (
        SELECT 1 FROM disbursement_allocations a WHERE a.run_id = NEW.id AND a.clawback_fen > 0
           AND NOT EXISTS (SELECT 1 FROM clawbacks c WHERE c.run_id = a.run_id AND c.recipient = a.recipient)) THEN
        RAISE EXCEPTION 'settlement % posted without clawing back every −s_r', NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER disbursement_runs_clawed_back AFTER UPDATE ON disbursement_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION disbursement_runs_clawed_back();

CREATE TRIGGER clawbacks_append_only BEFORE UPDATE OR DELETE ON clawbacks FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER recoveries_append_only BEFORE UPDATE OR DELETE ON recoveries FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER clawbacks_no_truncate BEFORE TRUNCATE ON clawbacks FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER recoveries_no_truncate BEFORE TRUNCATE ON recoveries FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER clawbacks_audited AFTER INSERT ON clawbacks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();
CREATE CONSTRAINT TRIGGER recoveries_audited AFTER INSERT ON recoveries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

REVOKE ALL ON assessment_targets, assessment_readings, clawbacks, recoveries FROM PUBLIC;
GRANT SELECT, INSERT ON assessment_targets, assessment_readings, clawbacks, recoveries TO ecofund_app;
REVOKE ALL ON FUNCTION indicator_map_valid(text, jsonb, boolean), settlement_advances(text, integer),
    entry_is_transfer(bigint, text, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION indicator_map_valid(text, jsonb, boolean), settlement_advances(text, integer),
    entry_is_transfer(bigint, text, text, bigint) TO ecofund_app;
