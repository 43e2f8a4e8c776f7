-- 018: group commit (DESIGN.md "Writing under load"). One transaction now holds many independent writes, each in a
-- savepoint of its own (an "item"); the checks that reasoned per transaction must hold per item.
--
-- The flusher numbers its items in a transaction-local setting, ecofund.item (0, or unset, outside a batch), which a
-- rolled-back savepoint resets with everything else. Audit events and journal entries are stamped with it; an audited
-- row needs an event of its own item, and lines go only into an entry of their own item. Outside a batch every row
-- is item 0 and the rules read exactly as before: per transaction.

CREATE FUNCTION batch_item() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('ecofund.item', true), ''), '0')::integer
$$;

-- Constant defaults first, so that adding the columns rewrites nothing; the stamps below set the real value.
ALTER TABLE audit_events ADD COLUMN item integer NOT NULL DEFAULT 0 CHECK (item >= 0);
ALTER TABLE journal_entries ADD COLUMN item integer NOT NULL DEFAULT 0 CHECK (item >= 0);

CREATE FUNCTION stamp_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.item := batch_item();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_stamp_item BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION stamp_item();
CREATE TRIGGER journal_entries_stamp_item BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION stamp_item();

-- Only events written in a batch (item > 0) are indexed by item: outside a batch every event of a transaction is
-- item 0 and the first one found on (tx_id, id) answers the check, and the sealer's range scan keeps (tx_id, id).
CREATE INDEX audit_events_batch_item ON audit_events (tx_id, item) WHERE item > 0;

-- Invariant 6, per item: a change needs an audit event written by the same item of the same transaction. The
-- deferred checks run at the end of their item (the flusher sets them IMMEDIATE there), so batch_item() names it.
CREATE OR REPLACE FUNCTION require_audit_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_item integer := batch_item();
BEGIN
    IF current_item = 0 AND NOT EXISTS (SELECT 1 FROM audit_events WHERE tx_id = txid_current() AND item = 0)
       OR current_item > 0 AND NOT EXISTS (SELECT 1 FROM audit_events
                                            WHERE tx_id = txid_current() AND item = current_item AND item > 0) THEN
        RAISE EXCEPTION 'a change to % was committed without an audit event in the same transaction and item',
            TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

-- The line trigger of 007: lines only in the transaction and item that created their entry.
CREATE OR REPLACE FUNCTION journal_lines_apply() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
DECLARE
    entry_tx bigint;
    entry_item integer;
    normal_debit boolean;
BEGIN
    SELECT tx_id, item INTO entry_tx, entry_item FROM journal_entries WHERE id = NEW.entry_id;
    IF entry_tx IS DISTINCT FROM txid_current() OR entry_item IS DISTINCT FROM batch_item() THEN
        RAISE EXCEPTION 'lines can only be added to journal entry % in the transaction and item that created it',
            NEW.entry_id USING ERRCODE = 'integrity_constraint_violation';
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

-- The flusher's three steps, one statement each.
--
-- Start of a batch: lock the balance rows it will move in account-code order, so that batches of different servers
-- queue on the first row they share instead of each holding what the other waits for; then number the first item.
-- (The service's role does not update balances itself, only through the line trigger: hence SECURITY DEFINER.)
CREATE FUNCTION batch_lock(codes text[]) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM 1 FROM account_balances WHERE account_code = ANY(codes) ORDER BY account_code FOR UPDATE;
    PERFORM set_config('ecofund.item', '1', true);
END
$$;

-- End of an item (inside its savepoint): run its deferred checks now, as its own, then defer again and number the
-- next item. A check that fails raises here, and the flusher rolls back to the item's savepoint.
CREATE FUNCTION batch_item_end() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    SET CONSTRAINTS ALL DEFERRED;
    PERFORM set_config('ecofund.item', (batch_item() + 1)::text, true);
END
$$;
