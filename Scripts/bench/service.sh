# The service against PostgreSQL's own ceiling (sourced by Scripts/bench.sh, which has set binary, work, say, die,
# as_pg, free_port, pg_start and PG_BIN). Writes "$work/service.md".
#
# One durable PostgreSQL (fsync and synchronous_commit on, as the service runs), then at 1, 8 and 32 clients, each
# for $seconds: pgbench running contribution.sql (the service's SQL for one contribution, raw), wrk POSTing
# contributions to the service, and wrk GETting a balance and the trial balance. Afterwards every acknowledged
# contribution must be in the database, with the right sum, and every stored balance must equal its lines.

seconds=${BENCH_SECONDS:-8}
here="$ROOT/Scripts/bench"
dir="$work/service"
mkdir -p "$dir"
chmod 777 "$dir"
port=$(free_port)
say "service: a durable PostgreSQL on 127.0.0.1:$port"
pg_start "$dir/pg" "$port" max_connections=200
psql_owner() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql_owner -d postgres -c "CREATE DATABASE bench"
export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$port/bench"
export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$port/bench"
"$binary" migrate >/dev/null 2>&1
"$binary" seed-demo >/dev/null 2>&1
token=$("$binary" token create --role finance --jurisdiction beijing --subject bench-finance --days 1 2>/dev/null)
user=$(psql_owner -d bench -Atc "SELECT id FROM users WHERE subject = 'bench-finance'")
before=$(psql_owner -d bench -Atc "SELECT count(*) FROM contributions WHERE reference LIKE 'wrk-%'")

server_port=$(free_port)
metrics_port=$(free_port)
LOG_LEVEL=warning ECOFUND_PORT=$server_port ECOFUND_METRICS_PORT=$metrics_port "$binary" serve >"$dir/server.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$server_port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$server_port/readyz" >/dev/null || die "the server did not start; see $dir/server.log"

# percentiles FILE...: p50 and p99 in ms of pgbench's per-transaction log (third field, microseconds).
percentiles() {
    cat "$@" | python3 -c '
import sys
values = sorted(int(line.split()[2]) for line in sys.stdin if line.strip())
pick = lambda q: values[min(len(values) - 1, int(q * len(values)))] / 1000
print(f"{pick(0.50):.2f} {pick(0.99):.2f}")'
}
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
ms() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1000:.2f}')" "$1"; }
per_second() { python3 -c "import sys; print(f'{int(sys.argv[1]) / (int(sys.argv[2]) / 1e6):.0f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# scrape LABEL: one line of what /metrics says now, to show its counters moving as the load runs.
scrapes=()
scrape() {
    local text
    text=$(curl -sf "http://127.0.0.1:$metrics_port/metrics") || die "GET /metrics failed"
    value() { printf '%s\n' "$text" | awk -v series="$1 " 'index($0, series) == 1 { print $NF; exit }'; }
    scrapes+=("| $1 | $(value 'ecofund_http_requests_total{method="POST",route="/v1/contributions",status="201"}') \
| $(value 'ecofund_http_requests_total{method="GET",route="/v1/accounts/{code}",status="200"}') \
| $(value 'ecofund_http_request_duration_seconds_count{method="POST",route="/v1/contributions"}') \
| $(value 'ecofund_ledger_entries{kind="contribution"}') | $(value 'ecofund_db_pool_connections_max') |")
}
scrape "before the load"
rows=()
created_total=0
errors_total=0
for clients in 1 8 32; do
    threads=$((clients < 2 ? clients : 2))
    say "service: $clients clients, ${seconds}s each"
    rm -f "$dir"/pgbench_log.*
    (cd "$dir" && as_pg "$PG_BIN/pgbench" -n -M extended -h 127.0.0.1 -p "$port" -U ecofund_app -c "$clients" \
        -j "$threads" -T "$seconds" -D "user=$user" -f "$here/contribution.sql" -l bench >"$dir/pgbench-$clients.out" 2>&1) \
        || { cat "$dir/pgbench-$clients.out"; die "pgbench failed"; }
    baseline_tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$dir/pgbench-$clients.out" | head -n 1)
    baseline_tps=$(printf "%.0f" "$baseline_tps")
    baseline_failed=$(sed -n 's/.*number of failed transactions: \([0-9]*\).*/\1/p' "$dir/pgbench-$clients.out")
    read -r baseline_p50 baseline_p99 <<<"$(percentiles "$dir"/pgbench_log.*)"

    write=$(BENCH_TOKEN=$token BENCH_RUN="c$clients-$$" wrk -t "$threads" -c "$clients" -d "${seconds}s" \
        -s "$here/post-contribution.lua" "http://127.0.0.1:$server_port" | grep '^RESULT')
    write_rps=$(per_second "$(field requests "$write")" "$(field duration_us "$write")")
    created_total=$((created_total + $(field created "$write")))
    errors_total=$((errors_total + $(field other_status "$write") + $(field socket_errors "$write")))

    balance=$(BENCH_TOKEN=$token wrk -t "$threads" -c "$clients" -d "${seconds}s" -s "$here/get.lua" \
        "http://127.0.0.1:$server_port/v1/accounts/fund:cash" | grep '^RESULT')
    trial=$(BENCH_TOKEN=$token wrk -t "$threads" -c "$clients" -d "${seconds}s" -s "$here/get.lua" \
        "http://127.0.0.1:$server_port/v1/reports/trial-balance" | grep '^RESULT')
    errors_total=$((errors_total + $(field other_status "$balance") + $(field socket_errors "$balance")))
    errors_total=$((errors_total + $(field other_status "$trial") + $(field socket_errors "$trial")))

    scrape "after $clients clients"
    rows+=("| $clients | $baseline_tps tx/s, p50 $baseline_p50 ms, p99 $baseline_p99 ms${baseline_failed:+, $baseline_failed failed} \
| $write_rps req/s, p50 $(ms "$(field p50_us "$write")") ms, p99 $(ms "$(field p99_us "$write")") ms \
| $(ratio "$write_rps" "$baseline_tps") \
| $(per_second "$(field requests "$balance")" "$(field duration_us "$balance")") req/s, p99 $(ms "$(field p99_us "$balance")") ms \
| $(per_second "$(field requests "$trial")" "$(field duration_us "$trial")") req/s, p99 $(ms "$(field p99_us "$trial")") ms |")
done

rss_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$service_pid/status")
kill "$service_pid" && wait "$service_pid" 2>/dev/null || true
service_pid=""

# Every acknowledged contribution is there, with its amount (wrk sends 100.00 each; a request still in flight
# when wrk stops may be committed without being counted, at most one per connection).
read -r stored stored_fen <<<"$(psql_owner -d bench -Atc \
    "SELECT count(*), coalesce(sum(amount_fen), 0) FROM contributions WHERE reference LIKE 'wrk-%'" | tr '|' ' ')"
stored=$((stored - before))
mismatched=$(psql_owner -d bench -Atc "
    SELECT count(*) FROM account_balances b
      LEFT JOIN (SELECT account_code, sum(amount_fen) FILTER (WHERE side = 'debit') AS d,
                        sum(amount_fen) FILTER (WHERE side = 'credit') AS c
                   FROM journal_lines GROUP BY account_code) l ON l.account_code = b.account_code
     WHERE b.debit_fen <> coalesce(l.d, 0) OR b.credit_fen <> coalesce(l.c, 0)")
unbalanced=$(psql_owner -d bench -Atc "
    SELECT (sum(debit_fen) <> sum(credit_fen))::int FROM account_balances")
[ "$stored" -ge "$created_total" ] && [ "$stored" -le $((created_total + 41)) ] \
    || die "acknowledged $created_total contributions but the database holds $stored"
[ "$stored_fen" -eq $(( (stored + before) * 10000 )) ] || die "the contributions do not add up to 100.00 each"
[ "$mismatched" -eq 0 ] && [ "$unbalanced" -eq 0 ] || die "stored balances differ from their lines"
[ "$errors_total" -eq 0 ] || die "$errors_total requests failed"

{
    echo "Service against raw SQL ($seconds s per measurement; PostgreSQL with fsync and synchronous_commit on; the"
    echo "server without the sealer; load tool, server and PostgreSQL share the machine's $(nproc) cores):"
    echo
    echo "| clients | baseline: pgbench, the same SQL | service: POST /v1/contributions | service / baseline | GET /v1/accounts/fund:cash | GET /v1/reports/trial-balance |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Checked afterwards: $created_total contributions acknowledged, $stored in the database, each 100.00; every stored"
    echo "balance equals its lines; no request failed. Server peak RSS: $((rss_kb / 1024)) MB (target < 150 MB)."
    echo "Targets at 32 clients: service ≥ 0.6 × baseline; write p99 ≤ 25 ms; balance reads ≥ 5,000 req/s."
    echo
    echo "GET /metrics scraped during the run (counters move with the load; ledger entries include pgbench's own):"
    echo
    echo "| when | POST /v1/contributions 201 | GET /v1/accounts/{code} 200 | POST latency samples | ledger entries (contribution) | pool max |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${scrapes[@]}"
} >"$work/service.md"
pg_stop "$dir/pg"
