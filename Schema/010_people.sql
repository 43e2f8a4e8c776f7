-- 010: people who sign in to the console (DESIGN.md "The console"): passwords, activation codes, a second factor,
-- deactivation, lockout and sessions. The schema keeps its own rules, whatever the code does:
--
--   credentials    -> a password is bcrypt at cost 12 and is set only by activating a live code or by changing the
--                     password one has; an activation code lives at most 72 h; a second factor is confirmed only
--                     once a secret is set; a deactivated user stays deactivated and nothing about them changes
--   people         -> a person whose role moves money gets a way in (user, or a new activation code) only under a
--                     `person` access request a second admin approved in the same transaction
--   sessions       -> stored only as the SHA-256 of their id; opened only for an active, unlocked user with a
--                     password; never revived once idle 30 min or 12 h old; ended, never reopened; ended at once
--                     when the password changes or the user is deactivated (and the user's tokens revoked with them)
--   lockout        -> failed sign-ins are kept; a lock is a change of the user, with its audit event

ALTER TABLE access_requests DROP CONSTRAINT access_requests_kind_check;
ALTER TABLE access_requests ADD CONSTRAINT access_requests_kind_check CHECK (kind IN ('token', 'role', 'person'));

ALTER TABLE users
    ADD COLUMN password_hash          text CHECK (password_hash ~ '^\$2[aby]\$12\$[./A-Za-z0-9]{53}$'),
    ADD COLUMN password_set_at        timestamptz,
    ADD COLUMN activation_hash        bytea UNIQUE CHECK (length(activation_hash) = 32),
    ADD COLUMN activation_expires_at  timestamptz,
    ADD COLUMN totp_secret            text CHECK (totp_secret ~ '^[A-Z2-7]{32}$'),
    ADD COLUMN totp_confirmed_at      timestamptz,
    ADD COLUMN locked_until           timestamptz,
    ADD COLUMN deactivated_at         timestamptz,
    ADD CONSTRAINT users_password_dated CHECK ((password_hash IS NULL) = (password_set_at IS NULL)),
    ADD CONSTRAINT users_activation_dated CHECK ((activation_hash IS NULL) = (activation_expires_at IS NULL)),
    ADD CONSTRAINT users_totp_confirmed_has_secret CHECK (totp_confirmed_at IS NULL OR totp_secret IS NOT NULL);

-- Whether the role signs in with a second factor (its twin: Role.needsSecondFactor in EcoFundCore).
CREATE FUNCTION role_needs_second_factor(role text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT role IN ('approver', 'admin')
$$;

-- A user is created with a role that moves money only under an approved `token` or `person` request (008 allowed
-- `token` only: a person signs in, a system holds a token).
CREATE OR REPLACE FUNCTION users_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'users are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF role_moves_money(NEW.role) AND bound_by_maker_checker()
           AND NOT access_approved_here('token', NEW.subject, NEW.role, NEW.jurisdiction)
           AND NOT access_approved_here('person', NEW.subject, NEW.role, NEW.jurisdiction) THEN
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

-- The rules of a user's credentials, on every insert and update.
CREATE FUNCTION users_credentials_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_code boolean := NEW.activation_hash IS NOT NULL
        AND (TG_OP = 'INSERT' OR NEW.activation_hash IS DISTINCT FROM OLD.activation_hash);
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.password_hash IS NOT NULL OR NEW.totp_secret IS NOT NULL OR NEW.deactivated_at IS NOT NULL
           OR NEW.locked_until IS NOT NULL THEN
            RAISE EXCEPTION 'a user starts with no password, no second factor and no lock; an activation code is how one gets in'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        IF OLD.deactivated_at IS NOT NULL
           AND ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN
            RAISE EXCEPTION 'user % is deactivated; nothing about them changes', OLD.subject
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.password_hash IS DISTINCT FROM OLD.password_hash AND NEW.password_hash IS NOT NULL THEN
            -- Set by activating a live code (which it uses up), or changed by someone who has a password.
            IF NOT ((OLD.activation_hash IS NOT NULL AND OLD.activation_expires_at > now() AND NEW.activation_hash IS NULL)
                    OR (OLD.password_hash IS NOT NULL AND OLD.activation_hash IS NULL)) THEN
                RAISE EXCEPTION 'the password of % is set only with a live activation code or by its holder', OLD.subject
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.password_set_at := now();
        END IF;
        IF NEW.totp_confirmed_at IS NOT NULL AND OLD.totp_confirmed_at IS NOT NULL
           AND NEW.totp_secret IS DISTINCT FROM OLD.totp_secret THEN
            RAISE EXCEPTION 'a confirmed second factor is reset before another is set' USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF new_code THEN
        IF NEW.activation_expires_at <= now() OR NEW.activation_expires_at > now() + interval '72 hours' THEN
            RAISE EXCEPTION 'an activation code lives at most 72 hours' USING ERRCODE = 'check_violation';
        END IF;
        IF TG_OP = 'UPDATE' AND (NEW.password_hash IS NOT NULL OR NEW.totp_secret IS NOT NULL) THEN
            RAISE EXCEPTION 'a new activation code clears the password and the second factor'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'UPDATE' AND role_moves_money(NEW.role) AND bound_by_maker_checker()
           AND NOT access_approved_here('person', NEW.subject, NEW.role, NEW.jurisdiction) THEN
            RAISE EXCEPTION 'a new activation code for % (%) is issued only when a second admin approves it',
                NEW.subject, NEW.role USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.deactivated_at IS NULL AND NEW.deactivated_at IS NOT NULL THEN
        NEW.deactivated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_credentials_guard BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_credentials_guard();

CREATE TABLE sessions (
    id_hash           bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id           uuid NOT NULL REFERENCES users (id),
    -- Sent in every form of the session and compared on every POST; not a secret from the session's holder.
    csrf_token        text NOT NULL CHECK (csrf_token ~ '^[A-Za-z0-9_-]{43}$'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    -- When the second factor was given; a session of an approver or admin does nothing until then.
    second_factor_at  timestamptz,
    ended_at          timestamptz,
    end_reason        text CHECK (end_reason IN ('signed-out', 'password-changed', 'deactivated', 'new-code')),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
    CHECK (last_seen_at >= created_at AND last_seen_at <= created_at + interval '12 hours'),
    CHECK (second_factor_at IS NULL OR second_factor_at >= created_at),
    CHECK (ended_at IS NULL OR ended_at >= created_at)
);
CREATE INDEX sessions_open_by_user ON sessions (user_id) WHERE ended_at IS NULL;

-- Whether a session may still be used at this moment: not ended, seen within 30 minutes, younger than 12 hours.
-- Its twin: SessionPolicy.isLive in EcoFundCore.
CREATE FUNCTION session_is_live(created timestamptz, seen timestamptz, ended timestamptz) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ended IS NULL AND seen > now() - interval '30 minutes' AND created > now() - interval '12 hours'
$$;

CREATE FUNCTION sessions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    holder users;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'sessions are ended, never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO holder FROM users WHERE id = NEW.user_id;
    IF TG_OP = 'INSERT' THEN
        IF holder.deactivated_at IS NOT NULL OR holder.password_hash IS NULL
           OR holder.locked_until > now() THEN
            RAISE EXCEPTION 'a session opens only for an active, unlocked user with a password'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.created_at := now();
        NEW.last_seen_at := now();
        NEW.ended_at := NULL;
        NEW.end_reason := NULL;
    ELSE
        IF (NEW.id_hash, NEW.user_id, NEW.created_at, NEW.csrf_token)
           IS DISTINCT FROM (OLD.id_hash, OLD.user_id, OLD.created_at, OLD.csrf_token) THEN
            RAISE EXCEPTION 'a session keeps its id, user, start and form token' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.ended_at IS NOT NULL THEN
            RAISE EXCEPTION 'an ended session is never reopened or changed' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.ended_at IS NULL THEN
            -- Kept alive or given its second factor: only while it is live, and only for a user who may sign in.
            IF NOT session_is_live(OLD.created_at, OLD.last_seen_at, OLD.ended_at) OR holder.deactivated_at IS NOT NULL THEN
                RAISE EXCEPTION 'an idle, expired or deactivated session is not revived' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.last_seen_at < OLD.last_seen_at THEN
                RAISE EXCEPTION 'a session is not made younger' USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.last_seen_at := greatest(OLD.last_seen_at, least(now(), OLD.created_at + interval '12 hours'));
        ELSE
            NEW.ended_at := greatest(now(), OLD.created_at);
        END IF;
        IF NEW.second_factor_at IS DISTINCT FROM OLD.second_factor_at THEN
            IF OLD.second_factor_at IS NOT NULL OR holder.totp_confirmed_at IS NULL THEN
                RAISE EXCEPTION 'a second factor is given once, by a user who has confirmed one'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.second_factor_at := now();
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER sessions_guard BEFORE INSERT OR UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_guard();
-- Opening, ending and the second factor are audit events; keeping a session alive is not.
CREATE CONSTRAINT TRIGGER sessions_audited AFTER INSERT OR UPDATE OF ended_at, second_factor_at ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_event();

-- A password changed, a new activation code or a deactivation ends the user's open sessions at once; a deactivation
-- revokes the user's tokens too. Nothing of theirs outlives it.
CREATE FUNCTION users_end_access() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF OLD.deactivated_at IS NULL AND NEW.deactivated_at IS NOT NULL THEN
        reason := 'deactivated';
        UPDATE tokens SET revoked_at = now() WHERE user_id = NEW.id AND revoked_at IS NULL;
    ELSIF NEW.activation_hash IS DISTINCT FROM OLD.activation_hash AND NEW.activation_hash IS NOT NULL THEN
        reason := 'new-code';
    ELSIF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        reason := 'password-changed';
    ELSE
        RETURN NULL;
    END IF;
    UPDATE sessions SET ended_at = now(), end_reason = reason WHERE user_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_end_access AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_end_access();

-- Failed sign-ins (wrong password or second-factor code), counted for the lockout.
CREATE TABLE sign_in_failures (
    user_id  uuid NOT NULL REFERENCES users (id),
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_recent ON sign_in_failures (user_id, at);
CREATE TRIGGER sign_in_failures_append_only BEFORE UPDATE ON sign_in_failures
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- A lock lasts at most 15 minutes and follows five failures within 15 minutes.
CREATE FUNCTION users_lock_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.locked_until IS DISTINCT FROM OLD.locked_until AND NEW.locked_until > now() THEN
        IF NEW.locked_until > now() + interval '15 minutes'
           OR (SELECT count(*) FROM sign_in_failures
                WHERE user_id = NEW.id AND at > now() - interval '15 minutes') < 5 THEN
            RAISE EXCEPTION 'an account is locked for at most 15 minutes, after five failed sign-ins in 15 minutes'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_lock_guard BEFORE UPDATE OF locked_until ON users
    FOR EACH ROW EXECUTE FUNCTION users_lock_guard();

REVOKE ALL ON sessions, sign_in_failures FROM PUBLIC;
GRANT SELECT, INSERT ON sessions TO ecofund_app;
GRANT UPDATE (last_seen_at, second_factor_at, ended_at, end_reason) ON sessions TO ecofund_app;
GRANT SELECT, INSERT, DELETE ON sign_in_failures TO ecofund_app;
GRANT UPDATE (password_hash, password_set_at, activation_hash, activation_expires_at, totp_secret, totp_confirmed_at,
              locked_until, deactivated_at) ON users TO ecofund_app;
GRANT EXECUTE ON FUNCTION role_needs_second_factor(text), session_is_live(timestamptz, timestamptz, timestamptz)
    TO ecofund_app;
