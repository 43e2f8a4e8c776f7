-- 019: contributions written by the database, many to one call (DESIGN.md "Writing under load").
--
-- In a batch, each write used to cost the flusher three round trips, one after another on its one connection: the
-- entry with its lines, the contribution with its audit event, and the end of its item. Under load those round trips
-- were the commit queue's time (about 2 ms a write on the benchmark's machine). record_contributions does the same
-- statements for any number of contributions in one call, each still an item of its own: numbered, its deferred
-- checks run at its end (batch_item_end() between one and the next), so every rule of 018 holds per contribution
-- exactly as before. Nothing is checked less: the triggers and constraints are untouched, and a contribution one of
-- them refuses fails the call, which the flusher answers by writing the batch again with a savepoint per write.
--
-- The caller ends the last item, as it does for any write of a batch; called with one contribution, this is the
-- three statements it replaces. Its event's payload is given without `entryID`, which is known only here.
CREATE FUNCTION record_contributions(
    ids uuid[], contributors text[], amounts bigint[], value_dates date[], refs text[], memos text[],
    recorders uuid[], actors text[], entry_memos text[], payloads jsonb[],
    line_counts integer[], line_accounts text[], line_sides text[], line_amounts bigint[]
) RETURNS TABLE (entry_id bigint, recorded_at timestamptz) LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(cardinality(ids), 0);
    first_line integer := 1;
    entry bigint;
    recorded timestamptz;
BEGIN
    IF n <> coalesce(cardinality(contributors), 0) OR n <> coalesce(cardinality(amounts), 0)
       OR n <> coalesce(cardinality(value_dates), 0) OR n <> coalesce(cardinality(refs), 0)
       OR n <> coalesce(cardinality(memos), 0) OR n <> coalesce(cardinality(recorders), 0)
       OR n <> coalesce(cardinality(actors), 0) OR n <> coalesce(cardinality(entry_memos), 0)
       OR n <> coalesce(cardinality(payloads), 0) OR n <> coalesce(cardinality(line_counts), 0)
       OR coalesce(cardinality(line_accounts), 0) <> coalesce(cardinality(line_sides), 0)
       OR coalesce(cardinality(line_accounts), 0) <> coalesce(cardinality(line_amounts), 0)
       OR coalesce(cardinality(line_accounts), 0) <> (SELECT coalesce(sum(c), 0) FROM unnest(line_counts) c) THEN
        RAISE EXCEPTION 'record_contributions: the arrays of % contributions do not line up', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Outside a batch (item 0) every row is the transaction's, and two contributions could not be told apart.
    IF n > 1 AND batch_item() = 0 THEN
        RAISE EXCEPTION 'record_contributions: % contributions in one call only inside a batch', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1..n LOOP
        IF i > 1 THEN
            PERFORM batch_item_end();
        END IF;
        INSERT INTO journal_entries (kind, value_date, memo, reverses, recorded_by)
        VALUES ('contribution', value_dates[i], entry_memos[i], NULL, actors[i])
        RETURNING id INTO entry;
        INSERT INTO journal_lines (entry_id, line_no, account_code, side, amount_fen)
        SELECT entry, line.line_no, line.account_code, line.side, line.amount_fen
          FROM unnest(line_accounts[first_line:first_line + line_counts[i] - 1],
                      line_sides[first_line:first_line + line_counts[i] - 1],
                      line_amounts[first_line:first_line + line_counts[i] - 1])
               WITH ORDINALITY AS line (account_code, side, amount_fen, line_no);
        first_line := first_line + line_counts[i];
        INSERT INTO audit_events (type, actor, payload)
        VALUES ('contribution.recorded', actors[i], payloads[i] || jsonb_build_object('entryID', entry));
        INSERT INTO contributions AS c (id, contributor, amount_fen, value_date, reference, memo, entry_id, recorded_by)
        VALUES (ids[i], contributors[i], amounts[i], value_dates[i], refs[i], memos[i], entry, recorders[i])
        RETURNING c.recorded_at INTO recorded;
        entry_id := entry;
        recorded_at := recorded;
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION record_contributions(uuid[], text[], bigint[], date[], text[], text[], uuid[], text[], text[],
    jsonb[], integer[], text[], text[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_contributions(uuid[], text[], bigint[], date[], text[], text[], uuid[], text[], text[],
    jsonb[], integer[], text[], text[], bigint[]) TO ecofund_app;
