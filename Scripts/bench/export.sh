# The audit export of a million journal entries (sourced by Scripts/bench.sh, which has set binary, work and the
# helpers of lib/common.sh). Writes "$work/export.md".
#
# Peak RSS and wall time of `ecofund export` beside psql's \copy of the very same CSV queries; `ecofund verify` beside
# sha256sum of the same ZIP; inclusion proofs over HTTP at a million leaves. BENCH_ENTRIES / BENCH_LEAVES shrink it.

entries=${BENCH_ENTRIES:-1000000}
leaves=${BENCH_LEAVES:-1000000}
bench_books export

say "loading $entries journal entries (bulk SQL: triggers off for the load, balances recomputed after)"
psql_owner -d bench <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO journal_entries (kind, value_date, memo, recorded_by, tx_id)
SELECT 'contribution', date '2024-01-01' + (g % 700), 'bench contribution ' || g, 'bench', txid_current()
  FROM generate_series(1, $entries) g;
\i $ROOT/Scripts/bench/lines.sql
\i $ROOT/Scripts/bench/recompute.sql
INSERT INTO audit_events (type, actor, payload, tx_id)
VALUES ('bench.loaded', 'bench', '{"entries": $entries}', txid_current());
COMMIT;
VACUUM ANALYZE;
SQL

public_key=$("$binary" keygen --out "$dir/signing.key" | sed -n 's/.*public key \([^ ]*\)$/\1/p')
server_port=$(free_port)
say "starting the server (with the sealer) on 127.0.0.1:$server_port"
ECOFUND_SIGNING_KEY="$dir/signing.key" ECOFUND_PORT=$server_port LOG_LEVEL=warning "$binary" serve &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$server_port/readyz" >/dev/null && break; sleep 0.2; done

seconds() { python3 -c "import sys; print(f'{float(sys.argv[1]):.2f}')" "$1"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

say "export: ecofund export of every value date"
started=$(now)
ECOFUND_SIGNING_KEY="$dir/signing.key" /usr/bin/time -v -o "$dir/export.time" \
    "$binary" export --out "$dir/export.zip" 2>/dev/null
export_seconds=$(elapsed "$started" "$(now)")
export_rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/export.time")
export_bytes=$(stat -c %s "$dir/export.zip")

say "baseline: psql \\copy of the same CSV queries, in one snapshot"
mkdir -p "$dir/psql" && chmod 777 "$dir/psql"
"$binary" bench export-sql --directory "$dir/psql" >"$dir/baseline.sql"
started=$(now)
psql_owner -d bench -f "$dir/baseline.sql" >/dev/null
psql_seconds=$(elapsed "$started" "$(now)")
psql_bytes=$(cat "$dir"/psql/*.csv | wc -c)
csv_rows=$(cat "$dir"/psql/*.csv | wc -l)

say "verify, against sha256sum of the same file"
"$binary" verify "$dir/export.zip" --public-key "$public_key" >"$dir/verify.out" \
    || { cat "$dir/verify.out"; die "the benchmark export did not verify"; }
started=$(now)
/usr/bin/time -v -o "$dir/verify.time" "$binary" verify "$dir/export.zip" >/dev/null
verify_seconds=$(elapsed "$started" "$(now)")
verify_rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/verify.time")
started=$(now)
sha256sum "$dir/export.zip" >/dev/null
sha_seconds=$(elapsed "$started" "$(now)")

say "inclusion proofs at $leaves leaves: appending events and waiting for the sealer"
psql_owner -d bench -c "INSERT INTO audit_events (type, actor, payload, tx_id)
    SELECT 'bench.event', 'bench', jsonb_build_object('n', g), txid_current() FROM generate_series(1, $leaves) g"
target=$(psql_owner -d bench -Atc "SELECT count(*) FROM audit_events")
started=$(now)
while [ "$(psql_owner -d bench -Atc "SELECT count(*) FROM audit_log")" -lt "$target" ]; do sleep 1; done
seal_seconds=$(elapsed "$started" "$(now)")
auditor=$("$binary" token create --role auditor --subject bench-proofs 2>/dev/null)
proof=$(python3 - "$server_port" "$auditor" "$target" <<'PY'
import http.client, json, random, statistics, sys, time
port, token, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": "Bearer " + token}
timings = []
random.seed(7)
for attempt in range(111):
    index = random.randrange(size)
    started = time.perf_counter()
    connection.request("GET", f"/v1/audit/proofs/inclusion?index={index}&treeSize={size}", headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 200, body
    if attempt >= 11:
        timings.append(elapsed)
print(f"{statistics.median(timings):.2f} {min(timings):.2f} {max(timings):.2f}")
PY
)
read -r proof_median proof_min proof_max <<<"$proof"

kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
# The million events came in one transaction, an exact multiple of the sealer's batch: its watermark rests on it.
# With the server stopped (one sealer only), what an idle round costs now.
idle=$(ECOFUND_SIGNING_KEY="$dir/signing.key" LOG_LEVEL=warning "$binary" bench seal-round --rounds 21)
idle_median=$(sed -n 's/.*median_ms=\([^ ]*\).*/\1/p' <<<"$idle")
idle_max=$(sed -n 's/.*max_ms=\([^ ]*\).*/\1/p' <<<"$idle")
pg_stop "$dir/pg"
{
    echo "Audit export of $entries journal entries ($csv_rows CSV rows, every value date; ZIP $export_bytes bytes):"
    echo
    echo "| measurement | measured | baseline in the same run | target |"
    echo "| --- | --- | --- | --- |"
    echo "| \`ecofund export\` wall time | $(seconds "$export_seconds") s | psql \`\\copy\` of the same CSV queries: $(seconds "$psql_seconds") s ($psql_bytes bytes) | at most 2 × psql |"
    echo "| \`ecofund export\` peak RSS | $((export_rss_kb / 1024)) MB | | < 200 MB |"
    echo "| \`ecofund verify\` wall time | $(seconds "$verify_seconds") s (peak RSS $((verify_rss_kb / 1024)) MB) | sha256sum of the same ZIP: $(seconds "$sha_seconds") s | at most 2 × sha256sum |"
    echo "| sealing $leaves new events (sealer in \`ecofund serve\`) | $(seconds "$seal_seconds") s | | (reported) |"
    echo "| GET /v1/audit/proofs/inclusion at $target leaves, over HTTP (median of 100) | $proof_median ms (min $proof_min, max $proof_max) | | < 10 ms |"
    echo "| an idle sealer round after those $leaves events in one transaction (median of 21) | $idle_median ms (max $idle_max) | 430–660 ms before (issue 17) | a few index lookups |"
} >"$work/export.md"
