-- 007: rules that SQL and Swift both need, each defined once on this side and named as its Swift twin
-- (DESIGN.md, "Where each rule lives"). Tests in Tests/EcoFundStoreTests/SharedRulesTests.swift hold each pair to
-- the same answers.
--
--   account_normal_debit(type)      AccountCode.Kind.isDebitNormal   (the line trigger, the export, the checks)
--   is_jurisdiction_code(text) …    CodePattern.jurisdiction …        (the CHECK constraints on codes)
--   is_account_code(text)           AccountCode(_:)
--   utc_text(timestamptz)           UTCTime.text(_:)                  (instants as text in events and exports)
--
-- and one rule that only SQL computes, once for the API and the export alike:
--   commitment_fulfilled_fen(…)     what a pledge has received (Commitment.fulfilled, commitments.csv)

-- Whether a debit increases an account of this type (assets and expenses) or a credit does (liabilities, revenue).
-- NULL for a type the ledger does not know, which no stored account has (accounts.type's CHECK).
--
-- These functions are single expressions, not STRICT, so that the planner inlines them into the queries that call
-- them row by row (a STRICT function around a CASE is not inlined: the export paid a call per journal line).
CREATE FUNCTION account_normal_debit(account_type text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE account_type WHEN 'asset' THEN true WHEN 'expense' THEN true
                             WHEN 'liability' THEN false WHEN 'revenue' THEN false END
$$;

CREATE FUNCTION is_jurisdiction_code(code text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT code ~ '^[a-z][a-z0-9-]{1,39}$'
$$;
CREATE FUNCTION is_period_code(code text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT code ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,19}$'
$$;
CREATE FUNCTION is_indicator_code(code text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT code ~ '^[a-z][A-Za-z0-9]{0,39}$'
$$;
CREATE FUNCTION is_subject(subject text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT subject ~ '^[A-Za-z0-9._@-]{1,100}$'
$$;
-- `fund:cash`, or a kind of account and a jurisdiction code: `contributions:beijing`. The call is schema-qualified
-- because pg_restore re-checks constraints with an empty search_path (the restore drill found it).
CREATE FUNCTION is_account_code(code text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT code = 'fund:cash'
        OR (strpos(code, ':') > 0 AND split_part(code, ':', 1) IN ('contributions', 'disbursements', 'payable')
            AND public.is_jurisdiction_code(substr(code, strpos(code, ':') + 1)))
$$;

ALTER TABLE jurisdictions DROP CONSTRAINT jurisdictions_code_check,
    ADD CONSTRAINT jurisdictions_code_check CHECK (is_jurisdiction_code(code));
ALTER TABLE accounts DROP CONSTRAINT accounts_code_check,
    ADD CONSTRAINT accounts_code_check CHECK (is_account_code(code));
ALTER TABLE users DROP CONSTRAINT users_subject_check, ADD CONSTRAINT users_subject_check CHECK (is_subject(subject));
ALTER TABLE assessment_schemes DROP CONSTRAINT assessment_schemes_code_check,
    ADD CONSTRAINT assessment_schemes_code_check CHECK (is_jurisdiction_code(code));
ALTER TABLE assessment_indicators DROP CONSTRAINT assessment_indicators_code_check,
    ADD CONSTRAINT assessment_indicators_code_check CHECK (is_indicator_code(code));
ALTER TABLE assessment_periods DROP CONSTRAINT assessment_periods_code_check,
    ADD CONSTRAINT assessment_periods_code_check CHECK (is_period_code(code));
ALTER TABLE allocation_rules DROP CONSTRAINT allocation_rules_code_check,
    ADD CONSTRAINT allocation_rules_code_check CHECK (is_jurisdiction_code(code));

-- The line trigger of 001, now asking account_normal_debit instead of spelling out the types.
CREATE OR REPLACE FUNCTION journal_lines_apply() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
DECLARE
    entry_tx bigint;
    normal_debit boolean;
BEGIN
    SELECT tx_id INTO entry_tx FROM journal_entries WHERE id = NEW.entry_id;
    IF entry_tx IS DISTINCT FROM txid_current() THEN
        RAISE EXCEPTION 'lines can only be added to journal entry % in the transaction that created it', NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT account_normal_debit(type) INTO normal_debit FROM accounts WHERE code = NEW.account_code;
    UPDATE account_balances
       SET balance_fen = balance_fen + CASE WHEN (NEW.side = 'debit') = normal_debit THEN NEW.amount_fen
                                            ELSE -NEW.amount_fen END,
           debit_fen  = debit_fen  + CASE WHEN NEW.side = 'debit'  THEN NEW.amount_fen ELSE 0 END,
           credit_fen = credit_fen + CASE WHEN NEW.side = 'credit' THEN NEW.amount_fen ELSE 0 END
     WHERE account_code = NEW.account_code;
    RETURN NEW;
END
$$;

-- An instant as UTC RFC 3339 text with microseconds: 2025-03-15T08:30:00.123456Z.
CREATE FUNCTION utc_text(instant timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(instant AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- What a pledge has received: the contributor's contributions dated in the fiscal year, less the reversed ones.
CREATE FUNCTION commitment_fulfilled_fen(contributor text, fiscal_year integer) RETURNS bigint
    LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(sum(c.amount_fen), 0)::bigint FROM contributions c
     WHERE c.contributor = commitment_fulfilled_fen.contributor
       AND c.value_date >= make_date(commitment_fulfilled_fen.fiscal_year, 1, 1)
       AND c.value_date < make_date(commitment_fulfilled_fen.fiscal_year + 1, 1, 1)
       AND NOT EXISTS (SELECT 1 FROM contribution_reversals r WHERE r.contribution_id = c.id)
$$;

REVOKE ALL ON FUNCTION account_normal_debit(text), is_jurisdiction_code(text), is_period_code(text),
    is_indicator_code(text), is_subject(text), is_account_code(text), utc_text(timestamptz),
    commitment_fulfilled_fen(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION account_normal_debit(text), is_jurisdiction_code(text), is_period_code(text),
    is_indicator_code(text), is_subject(text), is_account_code(text), utc_text(timestamptz),
    commitment_fulfilled_fen(text, integer) TO ecofund_app;
