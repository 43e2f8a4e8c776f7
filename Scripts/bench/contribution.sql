-- The baseline of the service benchmark: one contribution as the service records it, in raw SQL, in one
-- transaction — claim the idempotency key, check the contributor's account, insert the entry and its two lines (the
-- line trigger updates both balances under their row locks and checks them), insert the contribution and its audit
-- event, store the response. The same statements the service sends, less HTTP, JSON and authentication.
-- Variables: :user (the finance user's id), set with pgbench -D. Account codes are spelled 'fund' || ':' || 'cash',
-- since pgbench would take :cash for a variable.
\set amount random(100, 1000000)
\set key random(1, 9000000000000000000)
BEGIN;
INSERT INTO idempotency_keys (user_id, key, operation, request_hash) VALUES (:user, 'pgbench-' || :client_id || '-' || :key, 'recordContribution', sha256(convert_to(:key::text, 'UTF8'))) ON CONFLICT (user_id, key) DO NOTHING RETURNING 1;
SELECT account_code, balance_fen FROM account_balances WHERE account_code = ANY (ARRAY['contributions' || ':' || 'beijing']);
WITH entry AS (INSERT INTO journal_entries (kind, value_date, memo, reverses, recorded_by) VALUES ('contribution', '2025-06-30'::date, 'contribution pgbench', NULL, 'bench-finance') RETURNING id), lines AS (INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen) SELECT entry.id, line.line_no, line.account_code, line.side, line.amount_fen FROM entry, unnest(ARRAY['fund' || ':' || 'cash', 'contributions' || ':' || 'beijing'], ARRAY['debit', 'credit'], ARRAY[:amount, :amount]::bigint[]) WITH ORDINALITY AS line (account_code, side, amount_fen, line_no)) SELECT id AS entry_id FROM entry \gset
INSERT INTO contributions (id, contributor, amount_fen, value_date, reference, memo, entry_id, recorded_by) VALUES (gen_random_uuid(), 'beijing', :amount, '2025-06-30', 'pgbench', '', :entry_id, :user) RETURNING id;
INSERT INTO audit_events (type, actor, payload) VALUES ('contribution.recorded', 'bench-finance', jsonb_build_object('entryID', :entry_id::bigint, 'amount', :amount::text, 'contributor', 'beijing'));
UPDATE idempotency_keys SET response_status = 200, response_body = '{"bench": true}'::jsonb WHERE user_id = :user AND key = 'pgbench-' || :client_id || '-' || :key;
END;
