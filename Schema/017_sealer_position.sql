-- 017: the sealer resumes from the last event it sealed, by (transaction, event), instead of re-reading the whole
-- transaction its watermark rests on.
--
-- A round used to select the events of transactions at or above the watermark that were not yet in the log, with an
-- anti-join against audit_log. After one bulk transaction of a million events (an exact multiple of the batch) the
-- watermark stayed on that transaction, and every round, idle ones included, anti-joined its million events: half a
-- second each, two rounds a second. Events are sealed in (tx_id, id) order, so everything at or below the last
-- sealed pair is sealed; this index lets a round start right after it and find nothing in a few lookups.
CREATE INDEX audit_events_tx_id_id ON audit_events (tx_id, id);
DROP INDEX audit_events_tx_id;
