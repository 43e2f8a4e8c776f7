#!/usr/bin/env bash
# The scale-out drill (issue 17): three `ecofund serve` behind HAProxy (Debian's) on one durable PostgreSQL, each
# with its own commit queue and a sealer, under a write load of 24 clients through HAProxy that retry a 503 or a
# lost connection with the same Idempotency-Key. Then:
#   1. the server whose sealer holds the sealer's lock is killed (kill -9): another server must seal within 2 s,
#      no event may be sealed twice, and the tree must not fork (an export made at the end verifies against the
#      checkpoint taken before the kill, which it must extend);
#   2. a rolling restart: each server in turn gets SIGTERM, drains, exits and is started again, with zero failed
#      requests seen by the clients;
#   3. every acknowledged write is in the ledger exactly once and every invariant holds (drill_check_books).
# Exits 1 on any failure. Usage: Scripts/drills/scale-out.sh   (about two minutes; state under .build-drills/)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/Scripts/lib/drill.sh"
cd "$ROOT"

ensure_packages haproxy
drill_begin scale-out
psql_owner() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d drill "$@"; }
token=$("$binary" token create --role finance --jurisdiction beijing --subject drill-finance --days 1 2>/dev/null)
auditor=$("$binary" token create --role auditor --subject drill-auditor --days 1 2>/dev/null)

declare -A serve_port metrics pid
for server in 1 2 3; do
    serve_port[$server]=$(free_port)
    metrics[$server]=$(free_port)
done
# start SERVER: one `ecofund serve` with the shared signing key; waits until it is ready.
start() {
    ECOFUND_SIGNING_KEY="$work/signing.key" ECOFUND_PORT=${serve_port[$1]} ECOFUND_METRICS_PORT=${metrics[$1]} \
        LOG_LEVEL=warning "$binary" serve >>"$work/server$1.log" 2>&1 &
    pid[$1]=$!
    drill_pids+=("${pid[$1]}")
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:${serve_port[$1]}/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "server $1 did not start; see $work/server$1.log"
}
for server in 1 2 3; do start "$server"; done

ha_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    option http-server-close
frontend api
    bind 127.0.0.1:$ha_port
    default_backend servers
backend servers
    balance roundrobin
    option httpchk GET /readyz
    default-server inter 300ms fall 2 rise 1
    server s1 127.0.0.1:${serve_port[1]} check
    server s2 127.0.0.1:${serve_port[2]} check
    server s3 127.0.0.1:${serve_port[3]} check
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
drill_pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ha_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
say "three servers (${serve_port[1]}, ${serve_port[2]}, ${serve_port[3]}) behind HAProxy on 127.0.0.1:$ha_port"

say "write load: 24 clients through HAProxy, every acknowledged contribution logged"
python3 "$ROOT/Scripts/drills/load.py" "$ha_port" "$token" "$work/acks.txt" "$work/load.json" --threads 24 \
    --seconds 600 --timeline "$work/timeline.txt" &
load_pid=$!
drill_pids+=("$load_pid")
sleep 5

# The sealer's leader: the server whose connection holds the sealer's advisory lock (each round takes it for the
# round's transaction), found through the lock's backend, its client port, and the process owning that port.
leader=""
for _ in $(seq 1 200); do
    client_port=$(psql_owner -Atc "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objid = hashtext('ecofund.sealer')::oid LIMIT 1")
    if [ -n "$client_port" ]; then
        owner=$(ss -tnpH "sport = :$client_port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
        for server in 1 2 3; do [ "${pid[$server]}" = "$owner" ] && leader=$server; done
        [ -n "$leader" ] && break
    fi
    sleep 0.05
done
[ -n "$leader" ] || die "no server was seen holding the sealer's lock"
curl -sf -H "Authorization: Bearer $auditor" "http://127.0.0.1:$ha_port/v1/audit/checkpoint" >"$work/before-kill.json" \
    || die "GET /v1/audit/checkpoint failed"
curl -sf -H "Authorization: Bearer $auditor" "http://127.0.0.1:$ha_port/v1/audit/public-key" >"$work/public-key.json" \
    || die "GET /v1/audit/public-key failed"
sealed_at_kill=$(psql_owner -Atc "SELECT count(*) FROM audit_log")
killed_at=$(date +%s.%N)
kill -9 "${pid[$leader]}"
wait "${pid[$leader]}" 2>/dev/null || true
say "killed server $leader (pid ${pid[$leader]}), whose sealer held the lock, at $sealed_at_kill sealed events"
takeover=""
for _ in $(seq 1 100); do
    if [ "$(psql_owner -Atc "SELECT count(*) FROM audit_log")" -gt "$sealed_at_kill" ]; then
        takeover=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.2f}')" "$killed_at")
        break
    fi
    sleep 0.05
done
[ -n "$takeover" ] || die "no other server sealed an event within 5 s of the leader's death"
say "another server sealed the next events $takeover s after the kill"
start "$leader"

say "rolling restart: SIGTERM, drain, start, one server at a time"
for server in 1 2 3; do
    kill -TERM "${pid[$server]}"
    wait "${pid[$server]}" 2>/dev/null || true
    start "$server"
    say "server $server restarted; $(wc -l <"$work/acks.txt") writes acknowledged so far"
    sleep 2
done

sleep 3
kill -TERM "$load_pid"
wait "$load_pid" || true
say "load stopped; waiting for the sealers"
drill_wait_sealed

say "checking"
failures=0
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
drill_check_books "$work/acks.txt"
twice=$(psql_owner -Atc "SELECT count(*) - count(DISTINCT event_id) FROM audit_log")
[ "$twice" = 0 ] || fail "$twice events were sealed twice"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 2 else 1)" "$takeover" \
    || fail "the sealer's takeover took $takeover s (more than 2 s)"
ECOFUND_SIGNING_KEY="$work/signing.key" "$binary" export --out "$work/export.zip" >/dev/null 2>&1 \
    || fail "the export failed"
"$binary" verify "$work/export.zip" --public-key "$work/public-key.json" --checkpoint "$work/before-kill.json" \
    >"$work/verify.txt" 2>&1 || fail "the export does not verify against the checkpoint taken before the kill: $(tail -n 5 "$work/verify.txt")"
python3 - "$work/load.json" <<'PY' || failures=$((failures + 1))
import json, sys
stats = json.load(open(sys.argv[1]))
print(stats["summary"])
problems = [stats["problem"]] if stats["problem"] else []
if stats["gave_up"]:
    problems.append(f"{stats['gave_up']} keys were given up")
for problem in problems:
    print("FAIL:", problem)
sys.exit(1 if problems else 0)
PY
echo "events sealed twice: $twice; sealer takeover: $takeover s; export verified against the pre-kill checkpoint:"
tail -n 3 "$work/verify.txt"
if [ "$failures" -gt 0 ]; then
    die "$failures check(s) failed; logs in $work"
fi
say "scale-out drill passed: leader killed and replaced in $takeover s, rolling restart, nothing lost or doubled"
