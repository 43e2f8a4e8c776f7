# The console's pages on the demo books plus a million contributions (sourced by Scripts/bench.sh, which has set
# binary, work and the helpers of lib/common.sh). Writes "$work/console.md".
#
# The million are loaded in bulk SQL (triggers off for the load; balances, counts and yearly totals recomputed
# after), value dates spread over 2024 and 2025 in the order they were recorded, as a year of real work would be.
# Then one person per role activates and signs in, and Scripts/bench/console_pages.py times each page.
# BENCH_CONTRIBUTIONS shrinks it.

contributions=${BENCH_CONTRIBUTIONS:-1000000}
bench_books console

say "console: loading $contributions contributions with their journal entries"
psql_owner -d bench <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO journal_entries (kind, value_date, memo, recorded_by, tx_id)
SELECT 'contribution', date '2024-01-01' + (g::bigint * 730 / $contributions)::integer, 'contribution BENCH-' || g,
       'bench', txid_current()
  FROM generate_series(1, $contributions) g;
\i $ROOT/Scripts/bench/lines.sql
INSERT INTO contributions (id, contributor, amount_fen, value_date, reference, memo, entry_id, recorded_by)
SELECT gen_random_uuid(), CASE WHEN e.id % 3 = 0 THEN 'tianjin' ELSE 'beijing' END,
       100000 + (e.id * 7919) % 100000000, e.value_date, 'BENCH-' || e.id, '', e.id,
       (SELECT id FROM users WHERE subject = 'demo-seed')
  FROM journal_entries e
 WHERE e.recorded_by = 'bench';
\i $ROOT/Scripts/bench/recompute.sql
INSERT INTO audit_events (type, actor, payload, tx_id)
VALUES ('bench.loaded', 'bench', '{"contributions": $contributions}', txid_current());
COMMIT;
VACUUM ANALYZE;
SQL
mismatched=$(psql_owner -d bench -Atc "SELECT count(*) FROM contribution_year_totals_mismatched()")
[ "$mismatched" -eq 0 ] || die "the yearly totals do not match the loaded contributions"

codes="$dir/activation-codes"
: >"$codes"
for person in "bench.admin admin" "bench.finance finance beijing" "bench.approver approver" "bench.reader auditor" \
    "bench.assessor assessor"; do
    set -- $person
    code=$("$binary" user create --subject "$1" --role "$2" ${3:+--jurisdiction "$3"})
    printf '%s %s %s\n' "$1" "$2" "$code" >>"$codes"
done
token=$("$binary" token create --role auditor --subject bench.auditor --days 1 2>/dev/null)

server_port=$(free_port)
metrics_port=$(free_port)
# A signing key, so that the audit log's pages have a checkpoint and proofs to show.
rm -f "$dir/signing.key"
"$binary" keygen --out "$dir/signing.key" >/dev/null
LOG_LEVEL=warning ECOFUND_PORT=$server_port ECOFUND_METRICS_PORT=$metrics_port ECOFUND_INSECURE_COOKIES=1 \
    ECOFUND_SIGNING_KEY="$dir/signing.key" "$binary" serve >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$server_port/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$server_port/readyz" >/dev/null || die "the server did not start; see $dir/server.log"

say "console: timing each page"
python3 "$ROOT/Scripts/bench/console_pages.py" "http://127.0.0.1:$server_port" "$codes" "$dir/pages.md" "$token" \
    "$metrics_port" || die "timing the pages failed; see $dir/server.log"
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
entries=$(psql_owner -d bench -Atc "SELECT sum(entries) FROM journal_entry_counts")

{
    echo "Each page fetched 60 times over one kept-alive connection after two warm-ups, signed in as the role that"
    echo "uses it, on the demo books plus $contributions contributions ($entries journal entries in all), value"
    echo "dates spread over 2024–2025 in recording order. Time from sending the request to the last byte, on"
    echo "127.0.0.1; the baseline is GET /healthz measured the same way. The API rows are the calls the issue"
    echo "measured before (238 ms, 667 ms and 463 ms median then), reported beside the pages, and the balances as of"
    echo "a date that the auditors' pages of the next part need (880 ms to 1.4 s median before Schema/012)."
    echo
    echo "| page | path | median | p99 | target |"
    echo "| --- | --- | --- | --- | --- |"
    cat "$dir/pages.md"
} >"$work/console.md"
pg_stop "$dir/pg"
