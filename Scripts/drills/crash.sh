#!/usr/bin/env bash
# The crash drill (issue "Reliability and security drills"): under a steady write load of 24 clients (so that the
# server's commit queue always has batches of several writes in flight), kill -9 the server 10 times at random
# moments and restart it, then stop PostgreSQL immediately 3 times and bring it back. Afterwards every
# acknowledged contribution must be in the ledger exactly once, no entry half-written, every balance equal to its
# lines, the trial balance balanced, every committed event sealed; while the database was down the server must have
# answered 503 (never 500, never hanging), and it must have recovered by itself. Exits 1 on any failure.
#
# Usage: Scripts/drills/crash.sh        (a throwaway, durable PostgreSQL under .build-drills/; about three minutes)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/Scripts/lib/drill.sh"
cd "$ROOT"

drill_begin crash
psql_owner() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d drill "$@"; }
token=$("$binary" token create --role finance --jurisdiction beijing --subject drill-finance --days 1 2>/dev/null)
# ready_within SECONDS: the server says ready (database included) within that time.
ready_within() {
    local deadline=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        curl -sf -m 2 "http://127.0.0.1:$server_port/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

drill_serve
say "write load: 24 clients, every acknowledged contribution logged"
python3 "$ROOT/Scripts/drills/load.py" "$server_port" "$token" "$work/acks.txt" "$work/load.json" --threads 24 \
    --seconds 900 &
load_pid=$!
drill_pids+=("$load_pid")
sleep 3

for round in $(seq 1 10); do
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 3.0), 2))')"
    batches=$(drill_batches)
    kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    say "kill -9 $round/10 after $(wc -l <"$work/acks.txt") acknowledged writes (this server: $batches); restarting"
    drill_serve
done

outage_statuses="$work/outage.txt"
: >"$outage_statuses"
for round in $(seq 1 3); do
    sleep 2
    say "PostgreSQL immediate stop $round/3"
    as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null
    # While it is down: the server must answer, and with 503, within the lease timeout.
    for _ in 1 2 3; do
        curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$server_port/v1/accounts/fund:cash" \
            -H "Authorization: Bearer $token" >>"$outage_statuses" || echo "000 10" >>"$outage_statuses"
    done
    pg_start "$work/pg" "$port"
    ready_within 30 || die "the server did not recover within 30 s of PostgreSQL coming back"
done

sleep 3
kill -TERM "$load_pid"
wait "$load_pid" || true
say "load stopped; waiting for the sealer to seal every committed event"
drill_wait_sealed

say "checking"
failures=0
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
drill_check_books "$work/acks.txt"
python3 - "$work/load.json" "$outage_statuses" <<'PY' || failures=$((failures + 1))
import json, sys
stats = json.load(open(sys.argv[1]))
outage = [line.split() for line in open(sys.argv[2]) if line.strip()]
problems = [stats["problem"]] if stats["problem"] else []
codes = [code for code, _ in outage]
if any(code != "503" for code in codes):
    problems.append(f"while PostgreSQL was down the server answered {codes}, not only 503")
if any(float(seconds) > 6.5 for _, seconds in outage):
    problems.append(f"answers while PostgreSQL was down took up to {max(float(s) for _, s in outage):.1f} s")
for problem in problems:
    print("FAIL:", problem)
print(stats["summary"])
print(f"while PostgreSQL was down: {len(codes)} probes answered {sorted(set(codes))}, "
      f"slowest {max(float(s) for _, s in outage):.2f} s")
sys.exit(1 if problems else 0)
PY
if [ "$failures" -gt 0 ]; then
    die "$failures check(s) failed; logs in $work"
fi
say "crash drill passed: 10 kill -9 of the server, 3 immediate stops of PostgreSQL, nothing lost or doubled"
