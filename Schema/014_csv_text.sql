-- 014: text a person typed, made safe for a spreadsheet in the audit export's CSV files (DESIGN.md "Tamper
-- evidence"; OWASP's rule against CSV injection): a value whose first character is =, +, -, @, a tab, a carriage
-- return or ' itself gets one ' before it, so "=1+2" opens as text, never as a live formula. The verifier drops the
-- one leading ' again (ExportFormat.original) before comparing with the signed events. Amounts are not text and
-- never pass through it: they stay plain numbers, negative ones too.
CREATE FUNCTION csv_text(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN left(value, 1) IN ('=', '+', '-', '@', E'\t', E'\r', '''') THEN '''' || value ELSE value END
$$;
