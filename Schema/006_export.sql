-- 006: what the audit export needs from SQL. Amounts leave the database as two-decimal yuan strings, the same
-- text the API uses, so an auditor's spreadsheet shows 1234.50 and never a float.
CREATE FUNCTION fen_text(fen bigint) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN fen < 0 THEN '-' ELSE '' END
        || (abs(fen) / 100)::text || '.' || lpad((abs(fen) % 100)::text, 2, '0')
$$;
REVOKE ALL ON FUNCTION fen_text(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fen_text(bigint) TO ecofund_app;
