-- 001: the ledger, its reference data, contributions, commitments, tokens, idempotency and audit events.
--
-- Every invariant of DESIGN.md "Ledger" is enforced here as well as in Swift:
--   1. balanced entries        -> CHECK on lines, BEFORE INSERT trigger on lines, deferred constraint trigger on entries
--   2. append-only journal     -> triggers refusing UPDATE/DELETE/TRUNCATE for every role, and no privilege to try
--   3. no overdraft            -> CHECK on account_balances (non_negative accounts), balance rows locked by UPDATE
--   4. balance = sum of lines  -> balances are written only by the line trigger; the service role cannot touch them
--   5. idempotency             -> primary key (principal, key) on idempotency_keys
--   6. audit in the same tx    -> deferred constraint triggers that demand an audit event of the current transaction

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ecofund_app') THEN
        CREATE ROLE ecofund_app LOGIN;
    END IF;
END
$$;

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Audit events come first: every other table checks for one.
CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       text        NOT NULL CHECK (type ~ '^[a-z]+(\.[a-z]+)+$'),
    actor      text        NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    at         timestamptz NOT NULL DEFAULT now(),
    payload    jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    tx_id      bigint      NOT NULL
);
CREATE INDEX audit_events_tx_id ON audit_events (tx_id);

CREATE FUNCTION stamp_tx_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tx_id := txid_current();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION stamp_tx_id();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE FUNCTION require_audit_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_events WHERE tx_id = txid_current()) THEN
        RAISE EXCEPTION 'a change to % was committed without an audit event in the same transaction', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TABLE jurisdictions (
    code                     text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name                     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_zh                  text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
    level                    text NOT NULL CHECK (level IN ('province', 'city')),
    parent                   text REFERENCES jurisdictions (code),
    population               numeric(14, 2) NOT NULL CHECK (population >= 0),
    ecological_area          numeric(14, 2) NOT NULL CHECK (ecological_area >= 0),
    env_spending_per_capita  numeric(14, 2) NOT NULL CHECK (env_spending_per_capita >= 0),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'province') = (parent IS NULL))
);
CREATE CONSTRAINT TRIGGER jurisdictions_audited AFTER INSERT OR UPDATE ON jurisdictions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

CREATE TABLE accounts (
    code          text PRIMARY KEY CHECK (code ~ '^(fund:cash|(contributions|disbursements|payable):[a-z][a-z0-9-]{1,39})$'),
    type          text NOT NULL CHECK (type IN ('asset', 'liability', 'revenue', 'expense')),
    jurisdiction  text REFERENCES jurisdictions (code),
    non_negative  boolean NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE split_part(code, ':', 1)
        WHEN 'fund' THEN type = 'asset' AND jurisdiction IS NULL AND non_negative
        WHEN 'contributions' THEN type = 'revenue' AND jurisdiction = split_part(code, ':', 2)
        WHEN 'disbursements' THEN type = 'expense' AND jurisdiction = split_part(code, ':', 2)
        WHEN 'payable' THEN type = 'liability' AND jurisdiction = split_part(code, ':', 2) AND non_negative
    END)
);
CREATE TRIGGER accounts_append_only BEFORE UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The stored balance of an account, in fen, on the account's normal side (debit for assets and expenses,
-- credit for liabilities and revenue). Written only by journal_lines_apply below.
CREATE TABLE account_balances (
    account_code  text PRIMARY KEY REFERENCES accounts (code),
    balance_fen   bigint  NOT NULL DEFAULT 0,
    debit_fen     bigint  NOT NULL DEFAULT 0 CHECK (debit_fen >= 0),
    credit_fen    bigint  NOT NULL DEFAULT 0 CHECK (credit_fen >= 0),
    non_negative  boolean NOT NULL,
    CONSTRAINT balance_not_negative CHECK (NOT non_negative OR balance_fen >= 0)
);

CREATE FUNCTION accounts_open_balance() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO account_balances (account_code, non_negative) VALUES (NEW.code, NEW.non_negative);
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_open_balance AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_open_balance();

CREATE FUNCTION account_balances_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'account balances are kept by the journal; % on account_balances is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER account_balances_guard BEFORE INSERT OR UPDATE OR DELETE ON account_balances
    FOR EACH ROW EXECUTE FUNCTION account_balances_guard();

CREATE TABLE journal_entries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('contribution', 'reversal', 'disbursement', 'payment')),
    value_date   date NOT NULL,
    memo         text NOT NULL CHECK (length(memo) <= 500),
    reverses     bigint UNIQUE REFERENCES journal_entries (id),
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    tx_id        bigint NOT NULL,
    CHECK ((kind = 'reversal') = (reverses IS NOT NULL))
);
CREATE TRIGGER journal_entries_stamp BEFORE INSERT ON journal_entries FOR EACH ROW EXECUTE FUNCTION stamp_tx_id();

CREATE TABLE journal_lines (
    entry_id      bigint NOT NULL REFERENCES journal_entries (id),
    line_no       smallint NOT NULL CHECK (line_no BETWEEN 1 AND 1000),
    account_code  text NOT NULL REFERENCES accounts (code),
    side          text NOT NULL CHECK (side IN ('debit', 'credit')),
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 1000000000000000),
    PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX journal_lines_account ON journal_lines (account_code, entry_id);

-- Lines may only be added in the transaction that created their entry, so the commit-time check below sees
-- every line an entry will ever have. Each line moves its account's stored balance, under the row lock.
CREATE FUNCTION journal_lines_apply() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    entry_tx bigint;
    normal_debit boolean;
BEGIN
    SELECT tx_id INTO entry_tx FROM journal_entries WHERE id = NEW.entry_id;
    IF entry_tx IS DISTINCT FROM txid_current() THEN
        RAISE EXCEPTION 'lines can only be added to journal entry % in the transaction that created it', NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT type IN ('asset', 'expense') INTO normal_debit FROM accounts WHERE code = NEW.account_code;
    UPDATE account_balances
       SET balance_fen = balance_fen + CASE WHEN (NEW.side = 'debit') = normal_debit THEN NEW.amount_fen
                                            ELSE -NEW.amount_fen END,
           debit_fen  = debit_fen  + CASE WHEN NEW.side = 'debit'  THEN NEW.amount_fen ELSE 0 END,
           credit_fen = credit_fen + CASE WHEN NEW.side = 'credit' THEN NEW.amount_fen ELSE 0 END
     WHERE account_code = NEW.account_code;
    RETURN NEW;
END
$$;
CREATE TRIGGER journal_lines_apply AFTER INSERT ON journal_lines FOR EACH ROW EXECUTE FUNCTION journal_lines_apply();

CREATE FUNCTION journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debits numeric;
    credits numeric;
    lines integer;
BEGIN
    SELECT coalesce(sum(amount_fen) FILTER (WHERE side = 'debit'), 0),
           coalesce(sum(amount_fen) FILTER (WHERE side = 'credit'), 0),
           count(*)
      INTO debits, credits, lines
      FROM journal_lines WHERE entry_id = NEW.id;
    IF lines < 2 OR debits <> credits THEN
        RAISE EXCEPTION 'journal entry % does not balance: % lines, debits % fen, credits % fen',
            NEW.id, lines, debits, credits
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entries_balanced();
CREATE CONSTRAINT TRIGGER journal_entries_audited AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    subject       text NOT NULL UNIQUE CHECK (subject ~ '^[A-Za-z0-9._@-]{1,100}$'),
    role          text NOT NULL CHECK (role IN ('finance', 'approver', 'assessor', 'auditor', 'admin')),
    jurisdiction  text REFERENCES jurisdictions (code),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'finance') = (jurisdiction IS NOT NULL))
);
CREATE TRIGGER users_append_only BEFORE UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER users_audited AFTER INSERT ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

CREATE TABLE tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK (expires_at > created_at)
);
CREATE FUNCTION tokens_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
       OR (NEW.id, NEW.user_id, NEW.token_hash, NEW.created_at, NEW.expires_at)
          IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.token_hash, OLD.created_at, OLD.expires_at) THEN
        RAISE EXCEPTION 'a token can only be revoked, once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tokens_guard BEFORE UPDATE OR DELETE ON tokens FOR EACH ROW EXECUTE FUNCTION tokens_guard();
CREATE CONSTRAINT TRIGGER tokens_audited AFTER INSERT OR UPDATE ON tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

CREATE TABLE contributions (
    id            uuid PRIMARY KEY,
    contributor   text NOT NULL REFERENCES jurisdictions (code),
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 1000000000000000),
    value_date    date NOT NULL,
    reference     text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    memo          text NOT NULL CHECK (length(memo) <= 500),
    entry_id      bigint NOT NULL UNIQUE REFERENCES journal_entries (id),
    recorded_by   uuid NOT NULL REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contributions_contributor ON contributions (contributor, value_date);
CREATE INDEX contributions_page ON contributions (recorded_at, id);
CREATE TRIGGER contributions_append_only BEFORE UPDATE OR DELETE ON contributions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER contributions_audited AFTER INSERT ON contributions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

-- At most one reversal per contribution; the reversal entry names the original through journal_entries.reverses.
CREATE TABLE contribution_reversals (
    contribution_id  uuid PRIMARY KEY REFERENCES contributions (id),
    entry_id         bigint NOT NULL UNIQUE REFERENCES journal_entries (id),
    reason           text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    reversed_by      uuid NOT NULL REFERENCES users (id),
    reversed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER contribution_reversals_append_only BEFORE UPDATE OR DELETE ON contribution_reversals
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER contribution_reversals_audited AFTER INSERT ON contribution_reversals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

CREATE TABLE commitments (
    id           uuid PRIMARY KEY,
    contributor  text NOT NULL REFERENCES jurisdictions (code),
    fiscal_year  integer NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
    amount_fen   bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 1000000000000000),
    memo         text NOT NULL CHECK (length(memo) <= 500),
    recorded_by  uuid NOT NULL REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contributor, fiscal_year)
);
CREATE TRIGGER commitments_append_only BEFORE UPDATE OR DELETE ON commitments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER commitments_audited AFTER INSERT ON commitments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

-- The first response to a keyed write, per caller. The row is claimed before the work and filled after it,
-- in the same transaction, so a concurrent retry with the same key waits for the first and then replays it.
CREATE TABLE idempotency_keys (
    user_id          uuid NOT NULL REFERENCES users (id),
    key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operation        text NOT NULL,
    request_hash     bytea NOT NULL CHECK (length(request_hash) = 32),
    response_status  smallint,
    response_body    jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ecofund_app;
GRANT SELECT ON audit_events, jurisdictions, accounts, account_balances, journal_entries, journal_lines, users,
    tokens, contributions, contribution_reversals, commitments, idempotency_keys TO ecofund_app;
GRANT INSERT ON audit_events, accounts, journal_entries, journal_lines, users, tokens, contributions,
    contribution_reversals, commitments, idempotency_keys TO ecofund_app;
GRANT INSERT, UPDATE ON jurisdictions TO ecofund_app;
GRANT UPDATE (revoked_at) ON tokens TO ecofund_app;
GRANT UPDATE (response_status, response_body) ON idempotency_keys TO ecofund_app;

INSERT INTO audit_events (type, actor, payload) VALUES ('schema.migrated', 'migration', '{"version": 1}');
INSERT INTO accounts (code, type, non_negative) VALUES ('fund:cash', 'asset', true);
