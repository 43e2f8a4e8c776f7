-- 004: the tamper-evident log (DESIGN.md "Tamper evidence"). Committed audit events are appended, in the order the
-- sealer chose, as leaves of an RFC 6962 Merkle tree; complete subtrees are kept so that proofs at a million leaves
-- read a few dozen rows; each batch ends with an Ed25519-signed checkpoint. All three tables are append-only.

-- Events are hashed in RFC 8785 form, where only numbers that JSON and IEEE doubles agree on are unambiguous:
-- payloads hold integers up to 2^53 and nothing else numeric (amounts are strings, instants RFC 3339 strings).
ALTER TABLE audit_events ADD CONSTRAINT payload_numbers_are_safe_integers CHECK (NOT jsonb_path_exists(payload,
    'strict $.** ? (@.type() == "number" && (@ != @.floor() || @ > 9007199254740992 || @ < -9007199254740992))'));

CREATE TABLE audit_log (
    leaf_index  bigint PRIMARY KEY CHECK (leaf_index >= 0),
    event_id    bigint NOT NULL UNIQUE REFERENCES audit_events (id),
    leaf_hash   bytea NOT NULL CHECK (length(leaf_hash) = 32),
    sealed_at   timestamptz NOT NULL DEFAULT now()
);

-- Leaves are numbered 0, 1, 2, … without gaps.
CREATE FUNCTION audit_log_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.leaf_index <> coalesce((SELECT max(leaf_index) + 1 FROM audit_log), 0) THEN
        RAISE EXCEPTION 'leaf % would leave a gap in the log', NEW.leaf_index
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_contiguous BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_contiguous();

-- The hash of the complete subtree of 2^level leaves starting at leaf idx × 2^level (level ≥ 1).
CREATE TABLE audit_log_nodes (
    level  smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
    idx    bigint NOT NULL CHECK (idx >= 0),
    hash   bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
    tree_size       bigint PRIMARY KEY CHECK (tree_size >= 0),
    root_hash       text NOT NULL CHECK (root_hash ~ '^[0-9a-f]{64}$'),
    issued_at       text NOT NULL,
    key_id          text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    signature       text NOT NULL,
    -- Every audit event of a transaction id below this was sealed at or before this checkpoint.
    sealed_below_tx bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_nodes_append_only BEFORE UPDATE OR DELETE ON audit_log_nodes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

REVOKE ALL ON audit_log, audit_log_nodes, audit_checkpoints FROM PUBLIC;
GRANT SELECT, INSERT ON audit_log, audit_log_nodes, audit_checkpoints TO ecofund_app;
