-- 002: the assessment office's indicator schemes, periods and scores (DESIGN.md "Assessment scores").
--
-- Schemes and their indicators are immutable (a change is a new version), weights sum to exactly 1, and
-- floor < ceiling. Scores are append-only revisions; a revision can only be written to an open period, numbered
-- one above the last, with a reason. A period can only be finalized when every jurisdiction it assesses has a
-- score. Every change carries an audit event in its transaction, as in 001.

CREATE TABLE assessment_schemes (
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    version     integer NOT NULL CHECK (version >= 1),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    tx_id       bigint NOT NULL,
    PRIMARY KEY (code, version)
);
CREATE TRIGGER assessment_schemes_stamp BEFORE INSERT ON assessment_schemes
    FOR EACH ROW EXECUTE FUNCTION stamp_tx_id();

CREATE TABLE assessment_indicators (
    scheme_code     text NOT NULL,
    scheme_version  integer NOT NULL,
    position        smallint NOT NULL CHECK (position BETWEEN 1 AND 30),
    code            text NOT NULL CHECK (code ~ '^[a-z][A-Za-z0-9]{0,39}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_zh         text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
    weight          numeric NOT NULL CHECK (weight > 0 AND weight <= 1),
    direction       text NOT NULL CHECK (direction IN ('higherIsBetter', 'lowerIsBetter')),
    floor           numeric NOT NULL,
    ceiling         numeric NOT NULL,
    unit            text NOT NULL CHECK (length(unit) <= 40),
    PRIMARY KEY (scheme_code, scheme_version, code),
    UNIQUE (scheme_code, scheme_version, position),
    FOREIGN KEY (scheme_code, scheme_version) REFERENCES assessment_schemes (code, version),
    CHECK (floor < ceiling)
);

-- Indicators can only be added in the transaction that created their scheme; at commit their weights must sum
-- to exactly 1 (numeric is exact for the decimal strings schemes are written in).
CREATE FUNCTION assessment_indicators_same_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT tx_id FROM assessment_schemes WHERE code = NEW.scheme_code AND version = NEW.scheme_version)
       IS DISTINCT FROM txid_current() THEN
        RAISE EXCEPTION 'scheme %/% is immutable: a change is a new version', NEW.scheme_code, NEW.scheme_version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER assessment_indicators_same_tx BEFORE INSERT ON assessment_indicators
    FOR EACH ROW EXECUTE FUNCTION assessment_indicators_same_tx();

CREATE FUNCTION assessment_schemes_weights() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    indicators integer;
BEGIN
    SELECT coalesce(sum(weight), 0), count(*) INTO total, indicators
      FROM assessment_indicators WHERE scheme_code = NEW.code AND scheme_version = NEW.version;
    IF indicators = 0 OR total <> 1 THEN
        RAISE EXCEPTION 'scheme %/% has % indicators whose weights sum to %, not exactly 1',
            NEW.code, NEW.version, indicators, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER assessment_schemes_weights AFTER INSERT ON assessment_schemes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION assessment_schemes_weights();
CREATE CONSTRAINT TRIGGER assessment_schemes_audited AFTER INSERT ON assessment_schemes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();
CREATE TRIGGER assessment_schemes_append_only BEFORE UPDATE OR DELETE ON assessment_schemes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assessment_indicators_append_only BEFORE UPDATE OR DELETE ON assessment_indicators
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE assessment_periods (
    code            text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,19}$'),
    scheme_code     text NOT NULL,
    scheme_version  integer NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'finalized')),
    -- Bumped by every finalize and reopen: what a disbursement run snapshots as the period's version.
    revision        integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    created_by      uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (scheme_code, scheme_version) REFERENCES assessment_schemes (code, version)
);

CREATE TABLE assessment_period_members (
    period_code   text NOT NULL REFERENCES assessment_periods (code),
    jurisdiction  text NOT NULL REFERENCES jurisdictions (code),
    PRIMARY KEY (period_code, jurisdiction)
);
CREATE TRIGGER assessment_period_members_append_only BEFORE UPDATE OR DELETE ON assessment_period_members
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Every status change, with who and why: the history of finalize and reopen.
CREATE TABLE assessment_period_transitions (
    period_code  text NOT NULL REFERENCES assessment_periods (code),
    revision     integer NOT NULL,
    action       text NOT NULL CHECK (action IN ('opened', 'finalized', 'reopened')),
    reason       text CHECK (reason IS NULL OR length(btrim(reason)) BETWEEN 1 AND 500),
    actor        uuid NOT NULL REFERENCES users (id),
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_code, revision),
    CHECK (action <> 'reopened' OR reason IS NOT NULL)
);
CREATE TRIGGER assessment_period_transitions_append_only BEFORE UPDATE OR DELETE ON assessment_period_transitions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- A period's scheme and identity never change; only status, revision and updated_at do, one step at a time, and
-- finalizing needs a score for every member.
CREATE FUNCTION assessment_periods_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (NEW.code, NEW.scheme_code, NEW.scheme_version, NEW.created_by, NEW.created_at)
        IS DISTINCT FROM (OLD.code, OLD.scheme_code, OLD.scheme_version, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'an assessment period keeps its code and scheme' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = OLD.status OR NEW.revision <> OLD.revision + 1 THEN
        RAISE EXCEPTION 'a period changes status one step at a time (% -> %, revision % -> %)',
            OLD.status, NEW.status, OLD.revision, NEW.revision
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.status = 'finalized' AND EXISTS (
        SELECT 1 FROM assessment_period_members m
         WHERE m.period_code = NEW.code
           AND NOT EXISTS (SELECT 1 FROM assessment_scores s
                            WHERE s.period_code = m.period_code AND s.jurisdiction = m.jurisdiction)) THEN
        RAISE EXCEPTION 'period % cannot be finalized while a jurisdiction has no score', NEW.code
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$$;

CREATE TABLE assessment_scores (
    period_code   text NOT NULL,
    jurisdiction  text NOT NULL,
    revision      integer NOT NULL CHECK (revision >= 1),
    -- indicator code -> raw value as a decimal string, as entered
    "values"      jsonb NOT NULL CHECK (jsonb_typeof("values") = 'object'),
    composite     numeric(5, 2) NOT NULL CHECK (composite BETWEEN 0 AND 100),
    reason        text CHECK (reason IS NULL OR length(btrim(reason)) BETWEEN 1 AND 500),
    recorded_by   uuid NOT NULL REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_code, jurisdiction, revision),
    FOREIGN KEY (period_code, jurisdiction) REFERENCES assessment_period_members (period_code, jurisdiction),
    CHECK (revision = 1 OR reason IS NOT NULL)
);

-- A score can only be written while its period is open (the share lock waits for a concurrent finalize), and
-- only as the next revision: two writers of the same revision meet on the primary key.
CREATE FUNCTION assessment_scores_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    period_status text;
    latest integer;
BEGIN
    SELECT status INTO period_status FROM assessment_periods WHERE code = NEW.period_code FOR SHARE;
    IF period_status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'period % is %; scores can only be written while it is open', NEW.period_code, period_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT coalesce(max(revision), 0) INTO latest FROM assessment_scores
     WHERE period_code = NEW.period_code AND jurisdiction = NEW.jurisdiction;
    IF NEW.revision <> latest + 1 THEN
        RAISE EXCEPTION 'score %/% is at revision %; revision % is not the next one',
            NEW.period_code, NEW.jurisdiction, latest, NEW.revision
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'assessment_scores_pkey';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER assessment_scores_guard BEFORE INSERT ON assessment_scores
    FOR EACH ROW EXECUTE FUNCTION assessment_scores_guard();
CREATE TRIGGER assessment_scores_append_only BEFORE UPDATE OR DELETE ON assessment_scores
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assessment_scores_no_truncate BEFORE TRUNCATE ON assessment_scores
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER assessment_periods_guard BEFORE UPDATE OR DELETE ON assessment_periods
    FOR EACH ROW EXECUTE FUNCTION assessment_periods_guard();

CREATE CONSTRAINT TRIGGER assessment_periods_audited AFTER INSERT OR UPDATE ON assessment_periods
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();
CREATE CONSTRAINT TRIGGER assessment_scores_audited AFTER INSERT ON assessment_scores
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();
CREATE CONSTRAINT TRIGGER assessment_period_transitions_audited AFTER INSERT ON assessment_period_transitions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

REVOKE ALL ON assessment_schemes, assessment_indicators, assessment_periods, assessment_period_members,
    assessment_period_transitions, assessment_scores FROM PUBLIC;
GRANT SELECT, INSERT ON assessment_schemes, assessment_indicators, assessment_periods, assessment_period_members,
    assessment_period_transitions, assessment_scores TO ecofund_app;
GRANT UPDATE (status, revision, updated_at) ON assessment_periods TO ecofund_app;
