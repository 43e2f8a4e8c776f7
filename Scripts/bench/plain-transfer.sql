-- The plain baseline of the service benchmark: a hand-written double entry in SQL, as a developer would write one
-- without this service — one transaction per transfer: the entry, its two lines, the two balance updates. No
-- idempotency, no audit event, no checks beyond the tables' own. Tables: the `plain` schema that
-- Scripts/bench/service.sh creates beside the ledger on the same PostgreSQL.
\set amount random(100, 1000000)
BEGIN;
INSERT INTO plain.entries (value_date, memo) VALUES ('2025-06-30', 'plain transfer') RETURNING id AS entry_id \gset
INSERT INTO plain.lines (entry_id, line_no, account, side, amount_fen) VALUES (:entry_id, 1, 'fund' || ':' || 'cash', 'debit', :amount), (:entry_id, 2, 'contributions' || ':' || 'beijing', 'credit', :amount);
UPDATE plain.balances SET balance_fen = balance_fen + :amount WHERE account = 'fund' || ':' || 'cash';
UPDATE plain.balances SET balance_fen = balance_fen + :amount WHERE account = 'contributions' || ':' || 'beijing';
END;
