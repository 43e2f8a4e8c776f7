-- 003: allocation rules and disbursement runs (DESIGN.md "Allocation rules", "Disbursement runs").
--
-- Rule versions are immutable. A run's allocation is stored when it is proposed and never changes. Its status
-- moves only along the lifecycle, an approver is never the proposer, and neither approving nor posting may
-- commit more than the fund holds: fund:cash must cover every outstanding payable plus every approved run not yet
-- posted. Postings, approvals and payments serialize on one advisory lock, taken by the triggers themselves, so
-- the check holds under any concurrency even for SQL that bypasses the service.

CREATE TABLE allocation_rules (
    code          text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    version       integer NOT NULL CHECK (version >= 1),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    document      jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object' AND document->>'code' = code),
    published_by  uuid NOT NULL REFERENCES users (id),
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, version)
);
CREATE TRIGGER allocation_rules_append_only BEFORE UPDATE OR DELETE ON allocation_rules
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER allocation_rules_audited AFTER INSERT ON allocation_rules
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

CREATE TABLE disbursement_runs (
    id              uuid PRIMARY KEY,
    rule_code       text NOT NULL,
    rule_version    integer NOT NULL,
    status          text NOT NULL DEFAULT 'proposed'
                    CHECK (status IN ('proposed', 'approved', 'posted', 'paid', 'rejected', 'cancelled')),
    value_date      date NOT NULL,
    pool_fen        bigint NOT NULL CHECK (pool_fen > 0 AND pool_fen <= 1000000000000000),
    allocated_fen   bigint NOT NULL CHECK (allocated_fen >= 0 AND allocated_fen <= pool_fen),
    snapshot        jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
    allocation      jsonb NOT NULL CHECK (jsonb_typeof(allocation) = 'object'),
    period_code     text,
    period_revision integer,
    proposed_by     uuid NOT NULL REFERENCES users (id),
    proposed_at     timestamptz NOT NULL DEFAULT now(),
    approved_by     uuid REFERENCES users (id),
    approved_at     timestamptz,
    posted_entry_id bigint UNIQUE REFERENCES journal_entries (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    tx_id           bigint NOT NULL,
    FOREIGN KEY (rule_code, rule_version) REFERENCES allocation_rules (code, version),
    -- Maker-checker: no single person moves money.
    CONSTRAINT approver_is_not_proposer CHECK (approved_by IS NULL OR approved_by <> proposed_by),
    CHECK ((approved_by IS NULL) = (approved_at IS NULL)),
    CHECK (status NOT IN ('approved', 'posted', 'paid') OR approved_by IS NOT NULL),
    CHECK ((status IN ('posted', 'paid')) = (posted_entry_id IS NOT NULL) OR (status IN ('posted', 'paid') AND allocated_fen = 0))
);
CREATE INDEX disbursement_runs_status ON disbursement_runs (status);
CREATE TRIGGER disbursement_runs_stamp BEFORE INSERT ON disbursement_runs FOR EACH ROW EXECUTE FUNCTION stamp_tx_id();

CREATE TABLE disbursement_allocations (
    run_id      uuid NOT NULL REFERENCES disbursement_runs (id),
    recipient   text NOT NULL REFERENCES jurisdictions (code),
    tranche     text NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen >= 0),
    withheld    boolean NOT NULL,
    derivation  jsonb NOT NULL,
    PRIMARY KEY (run_id, recipient),
    CHECK (NOT withheld OR amount_fen = 0)
);

CREATE TABLE disbursement_run_transitions (
    run_id   uuid NOT NULL REFERENCES disbursement_runs (id),
    seq      integer NOT NULL CHECK (seq >= 1),
    status   text NOT NULL CHECK (status IN ('proposed', 'approved', 'posted', 'paid', 'rejected', 'cancelled')),
    reason   text CHECK (reason IS NULL OR length(btrim(reason)) BETWEEN 1 AND 500),
    actor    uuid NOT NULL REFERENCES users (id),
    at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE disbursement_payments (
    run_id          uuid NOT NULL,
    recipient       text NOT NULL,
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    bank_reference  text NOT NULL CHECK (length(btrim(bank_reference)) BETWEEN 1 AND 100),
    entry_id        bigint NOT NULL UNIQUE REFERENCES journal_entries (id),
    confirmed_by    uuid NOT NULL REFERENCES users (id),
    confirmed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, recipient),
    FOREIGN KEY (run_id, recipient) REFERENCES disbursement_allocations (run_id, recipient)
);

-- Allocations are written with their run, in its transaction, and a payment pays exactly the allocated amount
-- of a posted run.
CREATE FUNCTION disbursement_allocations_same_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT tx_id FROM disbursement_runs WHERE id = NEW.run_id) IS DISTINCT FROM txid_current() THEN
        RAISE EXCEPTION 'the allocation of run % is fixed when it is proposed', NEW.run_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER disbursement_allocations_same_tx BEFORE INSERT ON disbursement_allocations
    FOR EACH ROW EXECUTE FUNCTION disbursement_allocations_same_tx();

CREATE FUNCTION disbursement_payments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    allocated bigint;
    run_status text;
BEGIN
    SELECT a.amount_fen, r.status INTO allocated, run_status
      FROM disbursement_allocations a JOIN disbursement_runs r ON r.id = a.run_id
     WHERE a.run_id = NEW.run_id AND a.recipient = NEW.recipient;
    IF run_status IS DISTINCT FROM 'posted' OR allocated IS DISTINCT FROM NEW.amount_fen THEN
        RAISE EXCEPTION 'a payment pays the allocated amount of a posted run (run %, status %, allocated %, paid %)',
            NEW.run_id, run_status, allocated, NEW.amount_fen
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER disbursement_payments_guard BEFORE INSERT ON disbursement_payments
    FOR EACH ROW EXECUTE FUNCTION disbursement_payments_guard();

-- What the fund can still commit: cash, less outstanding payables, less approved runs not yet posted.
CREATE FUNCTION fund_uncommitted_fen() RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT (SELECT balance_fen FROM account_balances WHERE account_code = 'fund:cash')
         - (SELECT coalesce(sum(balance_fen), 0) FROM account_balances WHERE account_code LIKE 'payable:%')
         - (SELECT coalesce(sum(allocated_fen), 0) FROM disbursement_runs WHERE status = 'approved')
$$;

-- Runs move along the lifecycle only; their content never changes. Approving takes the fund lock and must fit.
CREATE FUNCTION disbursement_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (NEW.id, NEW.rule_code, NEW.rule_version, NEW.value_date, NEW.pool_fen, NEW.allocated_fen,
            NEW.snapshot, NEW.allocation, NEW.period_code, NEW.period_revision, NEW.proposed_by, NEW.proposed_at, NEW.tx_id)
        IS DISTINCT FROM (OLD.id, OLD.rule_code, OLD.rule_version, OLD.value_date, OLD.pool_fen, OLD.allocated_fen,
            OLD.snapshot, OLD.allocation, OLD.period_code, OLD.period_revision, OLD.proposed_by, OLD.proposed_at, OLD.tx_id)
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
        -- The run is not yet approved in this snapshot, so it is not counted in the uncommitted amount.
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
CREATE TRIGGER disbursement_runs_guard BEFORE UPDATE OR DELETE ON disbursement_runs
    FOR EACH ROW EXECUTE FUNCTION disbursement_runs_guard();

-- Every disbursement or payment entry takes the fund lock when it is written; at commit, cash must cover every
-- outstanding payable and every approved run not yet posted.
CREATE FUNCTION journal_entries_fund_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IN ('disbursement', 'payment', 'reversal') THEN
        PERFORM pg_advisory_xact_lock(hashtext('ecofund.fund'));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER journal_entries_fund_lock BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_entries_fund_lock();

CREATE FUNCTION journal_entries_fund_covers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IN ('disbursement', 'payment', 'reversal') AND fund_uncommitted_fen() < 0 THEN
        RAISE EXCEPTION 'entry % leaves the fund short: % fen uncommitted', NEW.id, fund_uncommitted_fen()
            USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_not_negative';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_entries_fund_covers AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entries_fund_covers();

CREATE TRIGGER disbursement_allocations_append_only BEFORE UPDATE OR DELETE ON disbursement_allocations
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER disbursement_run_transitions_append_only BEFORE UPDATE OR DELETE ON disbursement_run_transitions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER disbursement_payments_append_only BEFORE UPDATE OR DELETE ON disbursement_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE CONSTRAINT TRIGGER disbursement_runs_audited AFTER INSERT OR UPDATE ON disbursement_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();
CREATE CONSTRAINT TRIGGER disbursement_payments_audited AFTER INSERT ON disbursement_payments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

REVOKE ALL ON allocation_rules, disbursement_runs, disbursement_allocations, disbursement_run_transitions,
    disbursement_payments FROM PUBLIC;
GRANT SELECT, INSERT ON allocation_rules, disbursement_runs, disbursement_allocations, disbursement_run_transitions,
    disbursement_payments TO ecofund_app;
GRANT UPDATE (status, approved_by, approved_at, posted_entry_id, updated_at) ON disbursement_runs TO ecofund_app;
GRANT EXECUTE ON FUNCTION fund_uncommitted_fen() TO ecofund_app;
