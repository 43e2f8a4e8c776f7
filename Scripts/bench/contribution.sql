-- The baseline of the service benchmark: one contribution as the service records it alone, in raw SQL, in one
-- transaction — lock the balance rows it moves (batch_lock), claim the idempotency key, write the contribution with
-- record_contributions (Schema/019: its entry and two lines, whose trigger moves both balances under their row locks
-- and checks them, its audit event and its row), store the response. The same statements the service sends for a
-- write alone in its batch (the contributor's account, once seen open, is not asked again), less HTTP, JSON and
-- authentication. Variables: :user (the finance user's id), set with pgbench -D. Account codes are spelled
-- 'fund' || ':' || 'cash', since pgbench would take :cash for a variable.
\set amount random(100, 1000000)
\set key random(1, 9000000000000000000)
BEGIN;
SELECT batch_lock(ARRAY['contributions' || ':' || 'beijing', 'fund' || ':' || 'cash']);
INSERT INTO idempotency_keys (user_id, key, operation, request_hash) VALUES (:user, 'pgbench-' || :client_id || '-' || :key, 'recordContribution', sha256(convert_to(:key::text, 'UTF8'))) ON CONFLICT (user_id, key) DO NOTHING RETURNING 1;
SELECT entry_id, recorded_at FROM record_contributions(ARRAY[gen_random_uuid()], ARRAY['beijing'], ARRAY[:amount]::bigint[], ARRAY['2025-06-30']::date[], ARRAY['pgbench'], ARRAY[''], ARRAY[:user]::uuid[], ARRAY['bench-finance'], ARRAY['contribution pgbench'], ARRAY[jsonb_build_object('amount', :amount::text, 'contributor', 'beijing')], ARRAY[2], ARRAY['fund' || ':' || 'cash', 'contributions' || ':' || 'beijing'], ARRAY['debit', 'credit'], ARRAY[:amount, :amount]::bigint[]);
UPDATE idempotency_keys SET response_status = 200, response_body = '{"bench": true}'::jsonb WHERE user_id = :user AND key = 'pgbench-' || :client_id || '-' || :key;
END;
