# The service against PostgreSQL's own ceiling (sourced by Scripts/bench.sh, which has set binary, work, say, die,
# as_pg, free_port, pg_start and PG_BIN). Writes "$work/service.md".
#
# One durable PostgreSQL (fsync and synchronous_commit on, as the service runs), then at 1, 8, 32 and 128 clients,
# each for $seconds: pgbench running plain-transfer.sql (a plain hand-written double entry, one transaction per
# transfer, on tables of its own) and contribution.sql (the service's SQL for one contribution alone in its batch,
# raw, one transaction each), wrk POSTing contributions to the service (through its commit queue), and wrk GETting a balance and the trial
# balance. /metrics is scraped around each POST load for the batch sizes; the server's RSS after each. With
# BENCH_BEFORE (a binary built before the commit queue), a 1-client POST load alternates between it and this build,
# three rounds each, on the same PostgreSQL. Afterwards every acknowledged contribution must be in the database, with the right sum, and every
# stored balance must equal its lines.

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
# The plain baseline's own tables, on the same PostgreSQL and database.
psql_owner -d bench <<'SQL'
CREATE SCHEMA plain;
CREATE TABLE plain.entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, value_date date NOT NULL, memo text NOT NULL);
CREATE TABLE plain.lines (entry_id bigint NOT NULL REFERENCES plain.entries, line_no int NOT NULL, account text NOT NULL,
    side text NOT NULL, amount_fen bigint NOT NULL, PRIMARY KEY (entry_id, line_no));
CREATE TABLE plain.balances (account text PRIMARY KEY, balance_fen bigint NOT NULL);
INSERT INTO plain.balances VALUES ('fund:cash', 0), ('contributions:beijing', 0);
GRANT USAGE ON SCHEMA plain TO ecofund_app;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA plain TO ecofund_app;
SQL

# post_load CLIENTS PORT LABEL: wrk POSTing contributions for $seconds; prints wrk's RESULT line.
post_load() {
    BENCH_TOKEN=$token BENCH_RUN="$3-$$" wrk -t "$(( $1 < 2 ? $1 : 2 ))" -c "$1" -d "${seconds}s" \
        -s "$here/post-contribution.lua" "http://127.0.0.1:$2" | grep '^RESULT'
}
# cpu_ticks PID…: clock ticks of CPU (user and system) the processes have used so far.
cpu_ticks() {
    local pid total=0
    for pid in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
# pg_pids: this PostgreSQL's processes (the postmaster and its children: backends, WAL writer, checkpointer…).
pg_pids() {
    local postmaster
    postmaster=$(head -n 1 "$dir/pg/postmaster.pid")
    echo "$postmaster" $(pgrep -P "$postmaster")
}
# machine_ticks: clock ticks of all cores so far, busy and in all.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
ms() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1000:.2f}')" "$1"; }
per_second() { python3 -c "import sys; print(f'{int(sys.argv[1]) / (int(sys.argv[2]) / 1e6):.0f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

created_total=0
connections_total=0
errors_total=0
before_row=""
if [ -n "${BENCH_BEFORE:-}" ]; then
    # Kept running beside this build's server: the 1-client comparison alternates between the two (below).
    before_port=$(free_port)
    (unset DATABASE_MIGRATION_URL; LOG_LEVEL=warning ECOFUND_PORT=$before_port exec "$BENCH_BEFORE" serve) \
        >"$dir/server-before.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$before_port/readyz" >/dev/null && break; sleep 0.1; done
    curl -sf "http://127.0.0.1:$before_port/readyz" >/dev/null || die "the before server did not start; see $dir/server-before.log"
fi

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
# metric NAME: one series' value from /metrics now, as an integer.
metric() {
    local text
    text=$(curl -sf "http://127.0.0.1:$metrics_port/metrics") || die "GET /metrics failed"
    printf '%s\n' "$text" | awk -v series="$1 " 'index($0, series) == 1 { printf "%d", $NF; exit }'
}
buckets() {
    local text
    text=$(curl -sf "http://127.0.0.1:$metrics_port/metrics")
    for bucket in 1 2-8 9-32 33-128 129+; do
        printf '%s ' "$(printf '%s\n' "$text" | awk -v series="ecofund_commit_batches_by_writes{writes=\"$bucket\"} " \
            'index($0, series) == 1 { printf "%d", $NF; exit }')"
    done
}

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

# median VALUES…: the middle one of an odd count.
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
if [ -n "${BENCH_BEFORE:-}" ]; then
    # 1 client, three rounds each, alternating with the build before the commit queue on the same PostgreSQL, so that
    # a slow spell of the machine falls on both alike; the medians are compared.
    say "service: 1 client, 3 rounds alternating with the build before the commit queue ($BENCH_BEFORE)"
    declare -A rounds=()
    for round in 1 2 3; do
        for side in before after; do
            port_now=$server_port
            [ "$side" = before ] && port_now=$before_port
            result=$(post_load 1 "$port_now" "$side$round")
            connections_total=$((connections_total + 1))
            created_total=$((created_total + $(field created "$result")))
            errors_total=$((errors_total + $(field other_status "$result") + $(field socket_errors "$result")))
            rounds[$side.rps]+="$(per_second "$(field requests "$result")" "$(field duration_us "$result")") "
            rounds[$side.p50]+="$(ms "$(field p50_us "$result")") "
            rounds[$side.p99]+="$(ms "$(field p99_us "$result")") "
        done
    done
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
    server_pid=""
    for side in before after; do
        # shellcheck disable=SC2086
        rounds[$side]="$(median ${rounds[$side.rps]}) req/s (rounds: ${rounds[$side.rps]% }), p50 $(median ${rounds[$side.p50]}) ms, p99 $(median ${rounds[$side.p99]}) ms"
    done
    before_row="before the commit queue (\`$BENCH_BEFORE\`) ${rounds[before]}; this build ${rounds[after]}"
fi

rows=()
batch_rows=()
# pgbench_run CLIENTS SCRIPT LABEL: prints "tps p50 p99 failed" of one pgbench run.
pgbench_run() {
    local threads=$(( $1 < 2 ? $1 : 2 ))
    rm -f "$dir"/pgbench_log.*
    (cd "$dir" && as_pg "$PG_BIN/pgbench" -n -M extended -h 127.0.0.1 -p "$port" -U ecofund_app -c "$1" \
        -j "$threads" -T "$seconds" -D "user=$user" -f "$2" -l bench >"$dir/pgbench-$3-$1.out" 2>&1) \
        || { cat "$dir/pgbench-$3-$1.out" >&2; die "pgbench failed"; }
    local tps failed
    tps=$(printf "%.0f" "$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$dir/pgbench-$3-$1.out" | head -n 1)")
    failed=$(sed -n 's/.*number of failed transactions: \([0-9]*\).*/\1/p' "$dir/pgbench-$3-$1.out")
    echo "$tps $(percentiles "$dir"/pgbench_log.*) ${failed:-0}"
}
for clients in 1 8 32 128; do
    threads=$((clients < 2 ? clients : 2))
    say "service: $clients clients, ${seconds}s each"
    read -r busy_ticks all_ticks <<<"$(machine_ticks)"
    read -r plain_tps plain_p50 plain_p99 plain_failed <<<"$(pgbench_run "$clients" "$here/plain-transfer.sql" plain)"
    read -r busy_now all_now <<<"$(machine_ticks)"
    # The plain baseline's CPU: the whole machine's busy time per transaction (pgbench's backends end with the run).
    plain_cpu=$(python3 -c 'import sys; busy, tps, seconds, hz = map(float, sys.argv[1:]); print(f"{busy / hz * 1000 / max(1, tps * seconds):.2f} ms")' \
        "$((busy_now - busy_ticks))" "$plain_tps" "$seconds" "$(getconf CLK_TCK)")
    read -r baseline_tps baseline_p50 baseline_p99 baseline_failed <<<"$(pgbench_run "$clients" "$here/contribution.sql" same)"

    batches_before=$(metric ecofund_commit_batches)
    writes_before=$(metric ecofund_commit_writes)
    read -r -a buckets_before <<<"$(buckets)"
    server_ticks=$(cpu_ticks "$service_pid")
    pg_ticks=$(cpu_ticks $(pg_pids))
    read -r busy_ticks all_ticks <<<"$(machine_ticks)"
    write=$(post_load "$clients" "$server_port" "c$clients")
    server_ticks=$(( $(cpu_ticks "$service_pid") - server_ticks ))
    pg_ticks=$(( $(cpu_ticks $(pg_pids)) - pg_ticks ))
    read -r busy_now all_now <<<"$(machine_ticks)"
    cpu=$(python3 -c '
import sys
requests, server, pg, busy, whole, hz = map(int, sys.argv[1:])
print(f"{server / hz * 1000 / max(1, requests):.2f} ms | {pg / hz * 1000 / max(1, requests):.2f} ms | {busy / hz * 1000 / max(1, requests):.2f} ms | {100 * busy / max(1, whole):.0f} %")' \
        "$(field requests "$write")" "$server_ticks" "$pg_ticks" "$((busy_now - busy_ticks))" "$((all_now - all_ticks))" \
        "$(getconf CLK_TCK)")
    connections_total=$((connections_total + clients))
    write_rps=$(per_second "$(field requests "$write")" "$(field duration_us "$write")")
    created_total=$((created_total + $(field created "$write")))
    errors_total=$((errors_total + $(field other_status "$write") + $(field socket_errors "$write")))
    batches=$(( $(metric ecofund_commit_batches) - batches_before ))
    writes=$(( $(metric ecofund_commit_writes) - writes_before ))
    read -r -a buckets_after <<<"$(buckets)"
    spread=""
    for index in 0 1 2 3 4; do spread="$spread | $(( buckets_after[index] - buckets_before[index] ))"; done
    rss_now_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$service_pid/status")
    batch_rows+=("| $clients | $batches | $writes | $(python3 -c "import sys; print(f'{int(sys.argv[1]) / max(1, int(sys.argv[2])):.1f}')" "$writes" "$batches")$spread | $((rss_now_kb / 1024)) MB | $cpu | $plain_cpu |")

    balance=$(BENCH_TOKEN=$token wrk -t "$threads" -c "$clients" -d "${seconds}s" -s "$here/get.lua" \
        "http://127.0.0.1:$server_port/v1/accounts/fund:cash" | grep '^RESULT')
    trial=$(BENCH_TOKEN=$token wrk -t "$threads" -c "$clients" -d "${seconds}s" -s "$here/get.lua" \
        "http://127.0.0.1:$server_port/v1/reports/trial-balance" | grep '^RESULT')
    errors_total=$((errors_total + $(field other_status "$balance") + $(field socket_errors "$balance")))
    errors_total=$((errors_total + $(field other_status "$trial") + $(field socket_errors "$trial")))

    scrape "after $clients clients"
    rows+=("| $clients | $plain_tps tx/s, p50 $plain_p50 ms, p99 $plain_p99 ms, $plain_failed failed \
| $baseline_tps tx/s, p50 $baseline_p50 ms, p99 $baseline_p99 ms, $baseline_failed failed \
| $write_rps req/s, p50 $(ms "$(field p50_us "$write")") ms, p99 $(ms "$(field p99_us "$write")") ms \
| $(ratio "$write_rps" "$plain_tps") | $(ratio "$write_rps" "$baseline_tps") \
| $(per_second "$(field requests "$balance")" "$(field duration_us "$balance")") req/s, p99 $(ms "$(field p99_us "$balance")") ms \
| $(per_second "$(field requests "$trial")" "$(field duration_us "$trial")") req/s, p99 $(ms "$(field p99_us "$trial")") ms |")
done

rss_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$service_pid/status")
kill "$service_pid" && wait "$service_pid" 2>/dev/null || true
service_pid=""

# Every acknowledged contribution is there, with its amount (wrk sends 100.00 each; a request still in flight
# when wrk stops may be committed without being counted, at most one per connection of all the loads).
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
[ "$stored" -ge "$created_total" ] && [ "$stored" -le $((created_total + connections_total)) ] \
    || die "acknowledged $created_total contributions but the database holds $stored"
[ "$stored_fen" -eq $(( (stored + before) * 10000 )) ] || die "the contributions do not add up to 100.00 each"
[ "$mismatched" -eq 0 ] && [ "$unbalanced" -eq 0 ] || die "stored balances differ from their lines"
[ "$errors_total" -eq 0 ] || die "$errors_total requests failed"

{
    echo "Service against raw SQL ($seconds s per measurement; PostgreSQL with fsync and synchronous_commit on; the"
    echo "server without the sealer; load tool, server and PostgreSQL share the machine's $(nproc) cores):"
    echo
    echo "| clients | plain SQL: pgbench, a hand-written double entry | same SQL: pgbench, the service's statements | service: POST /v1/contributions | service / plain | service / same SQL | GET /v1/accounts/fund:cash | GET /v1/reports/trial-balance |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo
    if [ -n "$before_row" ]; then
        echo "1 client, three rounds each, alternating on the same PostgreSQL (medians): $before_row."
        echo
    fi
    echo "The service's batches during each POST load (from /metrics; writes per batch, and batches by how many writes"
    echo "they committed), the server's RSS after it, and the CPU time each write cost the server and PostgreSQL (all"
    echo "its processes) during the load, the whole machine's busy time per write (the load tool's share included) and"
    echo "how busy its cores were; beside it, the machine's busy time per transaction of the plain SQL baseline:"
    echo
    echo "| clients | batches | writes | writes per batch | 1 | 2–8 | 9–32 | 33–128 | 129+ | server RSS | server CPU per write | PostgreSQL CPU per write | machine CPU per write | cores busy | plain SQL: machine CPU per transaction |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${batch_rows[@]}"
    echo
    echo "Checked afterwards: $created_total contributions acknowledged, $stored in the database, each 100.00; every stored"
    echo "balance equals its lines; no request failed. Server peak RSS: $((rss_kb / 1024)) MB (target < 150 MB)."
    echo "Targets at 32 clients: service ≥ 1.5 × plain SQL; write p99 ≤ 25 ms; balance reads ≥ 5,000 req/s. At 1 client: no"
    echo "slower than before the commit queue. At 128 clients: no errors, bounded memory."
    echo
    echo "GET /metrics scraped during the run (counters move with the load; ledger entries include pgbench's own):"
    echo
    echo "| when | POST /v1/contributions 201 | GET /v1/accounts/{code} 200 | POST latency samples | ledger entries (contribution) | pool max |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${scrapes[@]}"
} >"$work/service.md"
pg_stop "$dir/pg"
