-- After a bulk load with triggers off (Scripts/bench/books.sh): the stored balances, the daily movements, the entry
-- counts and the contributors' yearly totals, recomputed from the rows, as the triggers would have kept them.
UPDATE account_balances b
   SET debit_fen = t.debit, credit_fen = t.credit,
       balance_fen = CASE WHEN a.type IN ('asset', 'expense') THEN t.debit - t.credit ELSE t.credit - t.debit END
  FROM accounts a,
       (SELECT account_code,
               coalesce(sum(amount_fen) FILTER (WHERE side = 'debit'), 0) AS debit,
               coalesce(sum(amount_fen) FILTER (WHERE side = 'credit'), 0) AS credit
          FROM journal_lines GROUP BY account_code) t
 WHERE a.code = b.account_code AND t.account_code = b.account_code;
UPDATE journal_entry_counts c SET entries = (SELECT count(*) FROM journal_entries e WHERE e.kind = c.kind);
DELETE FROM contribution_year_totals;
INSERT INTO contribution_year_totals SELECT * FROM contribution_year_totals_from_contributions();
DELETE FROM account_daily_movements;
INSERT INTO account_daily_movements SELECT * FROM account_daily_movements_from_lines();
