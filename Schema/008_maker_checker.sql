-- 008: no single person moves money, for payments and for people (the probe's findings, issue "Hardening").
--
--   payments         -> a payment's confirmer is never its run's proposer (trigger on disbursement_payments)
--   people, tokens   -> the service role creates a user who can move money (finance, approver, admin), issues
--                       such a user a token, or changes anyone's role or jurisdiction only under an access request
--                       that a second admin approved in the same transaction (triggers on users and tokens); the
--                       schema owner (the command line, for the first admin) is not bound by it
--   subjects         -> compared without regard to case: FIN.BJ and fin.bj are one user
--   visible text     -> reasons, references and names need a character that shows (has_visible_text)

-- The confirmer of a payment is not the person who proposed the run: maker-checker, as for approvals.
CREATE FUNCTION disbursement_payments_checker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.confirmed_by = (SELECT proposed_by FROM disbursement_runs WHERE id = NEW.run_id) THEN
        RAISE EXCEPTION 'the proposer of run % may not confirm its payments', NEW.run_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_confirmer_is_not_proposer';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER disbursement_payments_checker BEFORE INSERT ON disbursement_payments
    FOR EACH ROW EXECUTE FUNCTION disbursement_payments_checker();

CREATE UNIQUE INDEX users_subject_folded ON users (lower(subject));

-- A request of one admin that a second decides: a token for someone who can move money (`token`), or a change of
-- someone's role or jurisdiction (`role`). Decided once; whoever asked never decides.
CREATE TABLE access_requests (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('token', 'role')),
    subject        text NOT NULL CHECK (is_subject(subject)),
    role           text NOT NULL CHECK (role IN ('finance', 'approver', 'assessor', 'auditor', 'admin')),
    jurisdiction   text REFERENCES jurisdictions (code),
    lifetime_days  integer CHECK (lifetime_days BETWEEN 1 AND 366),
    requested_by   uuid NOT NULL REFERENCES users (id),
    requested_at   timestamptz NOT NULL DEFAULT now(),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     uuid REFERENCES users (id),
    decided_at     timestamptz,
    reason         text CHECK (reason IS NULL OR length(reason) <= 500),
    -- The transaction that decided it: what it allows is done in that transaction, or never.
    decided_tx     bigint,
    CHECK ((role = 'finance') = (jurisdiction IS NOT NULL)),
    CHECK ((kind = 'token') = (lifetime_days IS NOT NULL)),
    CONSTRAINT decider_is_not_requester CHECK (decided_by IS NULL OR decided_by <> requested_by),
    CHECK ((status = 'pending') = (decided_by IS NULL AND decided_at IS NULL AND decided_tx IS NULL)),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
CREATE INDEX access_requests_pending ON access_requests (requested_at) WHERE status = 'pending';

CREATE FUNCTION access_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status <> 'pending'
       OR (NEW.id, NEW.kind, NEW.subject, NEW.role, NEW.jurisdiction, NEW.lifetime_days, NEW.requested_by,
           NEW.requested_at)
          IS DISTINCT FROM (OLD.id, OLD.kind, OLD.subject, OLD.role, OLD.jurisdiction, OLD.lifetime_days,
                            OLD.requested_by, OLD.requested_at) THEN
        RAISE EXCEPTION 'an access request is decided once and never changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.decided_tx := txid_current();
    NEW.decided_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER access_requests_guard BEFORE UPDATE OR DELETE ON access_requests
    FOR EACH ROW EXECUTE FUNCTION access_requests_guard();
CREATE CONSTRAINT TRIGGER access_requests_audited AFTER INSERT OR UPDATE ON access_requests
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

-- Whether this transaction approved a request of `kind` for the subject (any case) with this role and jurisdiction.
CREATE FUNCTION access_approved_here(request_kind text, who text, wanted_role text, wanted_jurisdiction text)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM access_requests
                    WHERE kind = request_kind AND lower(subject) = lower(who) AND role = wanted_role
                      AND jurisdiction IS NOT DISTINCT FROM wanted_jurisdiction
                      AND status = 'approved' AND decided_tx = txid_current())
$$;

-- Whether the role is held to maker-checker: it records, approves or pays money, or gives others those roles.
CREATE FUNCTION role_moves_money(role text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT role IN ('finance', 'approver', 'admin')
$$;

-- The service role (and any role but the schema's owner) is held to the requests.
CREATE FUNCTION bound_by_maker_checker() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_user <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.users'::regclass)
$$;

-- Users: created with a role that moves money only under an approved token request; their role or jurisdiction
-- changed only under an approved role request; nothing else about a user changes.
CREATE OR REPLACE FUNCTION users_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'users are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF role_moves_money(NEW.role) AND bound_by_maker_checker()
           AND NOT access_approved_here('token', NEW.subject, NEW.role, NEW.jurisdiction) THEN
            RAISE EXCEPTION 'a % user is created only when a second admin approves it', NEW.role
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.subject, NEW.created_at) IS DISTINCT FROM (OLD.id, OLD.subject, OLD.created_at) THEN
        RAISE EXCEPTION 'a user keeps its id and subject' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.role, NEW.jurisdiction) IS DISTINCT FROM (OLD.role, OLD.jurisdiction) AND bound_by_maker_checker()
       AND NOT access_approved_here('role', NEW.subject, NEW.role, NEW.jurisdiction) THEN
        RAISE EXCEPTION 'the role of % changes only when a second admin approves it', NEW.subject
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER users_append_only ON users;
CREATE TRIGGER users_guard BEFORE INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_guard();
CREATE CONSTRAINT TRIGGER users_changes_audited AFTER UPDATE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

-- A token for a user who can move money, only under an approved token request for that user.
CREATE FUNCTION tokens_checker() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    holder users;
BEGIN
    SELECT * INTO holder FROM users WHERE id = NEW.user_id;
    IF role_moves_money(holder.role) AND bound_by_maker_checker()
       AND NOT access_approved_here('token', holder.subject, holder.role, holder.jurisdiction) THEN
        RAISE EXCEPTION 'a token for % (%) is issued only when a second admin approves it', holder.subject, holder.role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tokens_checker BEFORE INSERT ON tokens FOR EACH ROW EXECUTE FUNCTION tokens_checker();

-- Text that shows: at least one character that is not a space, a control or an invisible format character. Its
-- twin is Text.hasVisibleText (EcoFundCore); the two list the same characters.
CREATE FUNCTION has_visible_text(value text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT value ~ '[^\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0001-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]'
$$;

ALTER TABLE contributions ADD CONSTRAINT contributions_reference_visible CHECK (has_visible_text(reference));
ALTER TABLE contribution_reversals ADD CONSTRAINT contribution_reversals_reason_visible
    CHECK (has_visible_text(reason));
ALTER TABLE disbursement_payments ADD CONSTRAINT disbursement_payments_reference_visible
    CHECK (has_visible_text(bank_reference));
ALTER TABLE disbursement_run_transitions ADD CONSTRAINT disbursement_run_transitions_reason_visible
    CHECK (reason IS NULL OR has_visible_text(reason));
ALTER TABLE assessment_period_transitions ADD CONSTRAINT assessment_period_transitions_reason_visible
    CHECK (reason IS NULL OR has_visible_text(reason));
ALTER TABLE assessment_scores ADD CONSTRAINT assessment_scores_reason_visible
    CHECK (reason IS NULL OR has_visible_text(reason));
ALTER TABLE access_requests ADD CONSTRAINT access_requests_reason_visible
    CHECK (reason IS NULL OR has_visible_text(reason));
ALTER TABLE jurisdictions ADD CONSTRAINT jurisdictions_names_visible
    CHECK (has_visible_text(name) AND has_visible_text(name_zh));
ALTER TABLE allocation_rules ADD CONSTRAINT allocation_rules_title_visible CHECK (has_visible_text(title));

REVOKE ALL ON access_requests FROM PUBLIC;
GRANT SELECT, INSERT ON access_requests TO ecofund_app;
GRANT UPDATE (status, decided_by, decided_at, reason, decided_tx) ON access_requests TO ecofund_app;
GRANT UPDATE (role, jurisdiction) ON users TO ecofund_app;
REVOKE ALL ON FUNCTION has_visible_text(text), role_moves_money(text), bound_by_maker_checker(),
    access_approved_here(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION has_visible_text(text), role_moves_money(text), bound_by_maker_checker(),
    access_approved_here(text, text, text, text) TO ecofund_app;
