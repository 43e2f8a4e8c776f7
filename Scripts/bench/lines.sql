-- Two lines for every bulk-loaded entry (recorded_by 'bench'): Dr fund:cash / Cr contributions:{beijing or tianjin},
-- the contributor and amount made from the entry id (Scripts/bench/console.sh gives its contributions the same).
INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen)
SELECT e.id, s.line_no,
       CASE WHEN s.line_no = 1 THEN 'fund:cash'
            WHEN e.id % 3 = 0 THEN 'contributions:tianjin' ELSE 'contributions:beijing' END,
       CASE WHEN s.line_no = 1 THEN 'debit' ELSE 'credit' END,
       100000 + (e.id * 7919) % 100000000
  FROM journal_entries e CROSS JOIN (VALUES (1), (2)) s (line_no)
 WHERE e.recorded_by = 'bench';
