#!/usr/bin/env bash
# The failover drill (issue "Operating it"): a real Patroni cluster on this machine — etcd, three PostgreSQL nodes on
# loopback ports with synchronous replication, HAProxy sending connections to whichever node Patroni's REST API
# says is the primary — and the server pointed at HAProxy. Under a steady write load the primary node is killed
# (kill -9 of its Patroni and PostgreSQL processes: a machine lost, not a polite stop); Patroni promotes the
# synchronous replica; the server must recover by itself, and every write it acknowledged must be on the new
# primary exactly once. Reports the unavailability window (no write acknowledged) and the counts. Exits 1 on any
# failure.
#
# Usage: Scripts/drills/failover.sh      (about two minutes; state under .build-drills/failover/)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/Scripts/lib/drill.sh"
cd "$ROOT"

drill_prepare failover patroni etcd-server haproxy python3-psycopg2

etcd_port=$(free_port)
etcd_peer=$(free_port)
say "etcd on 127.0.0.1:$etcd_port"
etcd --name drill --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "drill=http://127.0.0.1:$etcd_peer" \
    >"$work/etcd.log" 2>&1 &
drill_pids+=($!)

# Three Patroni nodes. Synchronous mode: a commit returns only once the synchronous standby has it, and Patroni only
# ever promotes that standby, so an acknowledged write cannot be lost with the primary.
declare -A pg_port rest_port patroni_pid
for node in node1 node2 node3; do
    pg_port[$node]=$(free_port)
    rest_port[$node]=$(free_port)
    mkdir -p "$work/$node"
    chown postgres:postgres "$work/$node" 2>/dev/null || true
    chmod 700 "$work/$node"
    cat >"$work/$node.yml" <<YAML
scope: ecofund-drill
name: $node
log: { level: WARNING }
restapi: { listen: 127.0.0.1:${rest_port[$node]}, connect_address: 127.0.0.1:${rest_port[$node]} }
etcd3: { hosts: 127.0.0.1:$etcd_port }
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        synchronous_commit: "on"
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
  initdb: [{ encoding: UTF8 }, { locale: C.UTF-8 }, data-checksums]
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${pg_port[$node]}
  connect_address: 127.0.0.1:${pg_port[$node]}
  data_dir: $work/$node/data
  bin_dir: $PG_BIN
  pgpass: $work/$node/pgpass
  authentication:
    superuser: { username: postgres, password: drill }
    replication: { username: replicator, password: drill }
    rewind: { username: rewinder, password: drill }
  parameters: { unix_socket_directories: $work/$node }
YAML
    chown postgres:postgres "$work/$node.yml" 2>/dev/null || true
done
# cluster_json NODE: the cluster as that node's Patroni REST API describes it. leader: the node whose REST API says it
# is the primary, if any.
cluster_json() { curl -s -m 2 "http://127.0.0.1:${rest_port[$1]}/cluster" || true; }
leader() {
    for node in node1 node2 node3; do
        local answer
        answer=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${rest_port[$node]}/primary" || true)
        [ "$answer" = 200 ] && { echo "$node"; return 0; }
    done
    return 1
}
for node in node1 node2 node3; do
    # setpriv executes Patroni in its own place (runuser would stay its parent), so $! is Patroni's own PID.
    setpriv --reuid=postgres --regid=postgres --init-groups patroni "$work/$node.yml" >"$work/$node.log" 2>&1 &
    patroni_pid[$node]=$!
    drill_pids+=($!)
    drill_clusters+=("$work/$node/data")
    # node1 bootstraps the cluster; the others then clone it from the leader.
    if [ "$node" = node1 ]; then
        for _ in $(seq 1 120); do leader >/dev/null && break; sleep 0.5; done
        leader >/dev/null || die "node1 did not become the leader; see $work/node1.log"
    fi
done

say "waiting for a leader and a synchronous standby"
for _ in $(seq 1 120); do
    json=$(cluster_json node1)
    if echo "$json" | grep -q '"sync_standby"' && [ "$(echo "$json" | grep -o '"state": *"\(running\|streaming\)"' | wc -l)" -ge 3 ]; then
        break
    fi
    sleep 1
done
echo "$json" | grep -q '"sync_standby"' || { cat "$work"/node*.log | tail -n 30; die "the cluster did not form; see $work/node*.log"; }
first_leader=$(leader) || die "no leader"

ha_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
    maxconn 500
defaults
    mode tcp
    timeout connect 2s
    timeout client 30m
    timeout server 30m
    timeout check 1s
listen primary
    bind 127.0.0.1:$ha_port
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
    server node1 127.0.0.1:${pg_port[node1]} check port ${rest_port[node1]}
    server node2 127.0.0.1:${pg_port[node2]} check port ${rest_port[node2]}
    server node3 127.0.0.1:${pg_port[node3]} check port ${rest_port[node3]}
CFG
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
drill_pids+=($!)
say "HAProxy on 127.0.0.1:$ha_port routes to the primary ($first_leader)"
# HAProxy counts every server up until its checks say otherwise: wait until ten connections in a row reach a primary.
in_a_row=0
for _ in $(seq 1 120); do
    if [ "$(as_pg "$PG_BIN/psql" -X -Atq -h 127.0.0.1 -p "$ha_port" -U postgres -d postgres \
        -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; then
        in_a_row=$((in_a_row + 1))
        [ "$in_a_row" -ge 10 ] && break
    else
        in_a_row=0
    fi
    sleep 0.25
done
[ "$in_a_row" -ge 10 ] || die "HAProxy does not settle on the primary; see $work/haproxy.log"

psql_owner() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$ha_port" -U postgres -d drill "$@"; }
drill_books "$ha_port"
LOG_LEVEL=notice drill_serve
token=$("$binary" token create --role finance --jurisdiction beijing --subject drill-finance --days 1 2>/dev/null)

# 24 clients: the server's commit queue always has batches of several writes in flight, so the kill takes some
# of them at their COMMIT; their writes are answered 503 and retried by the load with the same key.
say "write load: 24 clients, every acknowledged contribution logged"
python3 "$ROOT/Scripts/drills/load.py" "$server_port" "$token" "$work/acks.txt" "$work/load.json" --threads 24 \
    --seconds 600 --timeline "$work/timeline.txt" &
load_pid=$!
drill_pids+=("$load_pid")
sleep 10
before=$(wc -l <"$work/acks.txt")
batches_before=$(drill_batches)

# Kill the primary's node: its Patroni first (so nothing restarts PostgreSQL), then the postmaster and its children.
postmaster=$(head -n 1 "$work/$first_leader/data/postmaster.pid")
children=$(ps -o pid= --ppid "$postmaster" | tr -d ' ' | tr '\n' ' ')
killed_at=$(date +%s.%N)
kill -9 "${patroni_pid[$first_leader]}" "$postmaster" $children 2>/dev/null || true
say "killed $first_leader (Patroni ${patroni_pid[$first_leader]}, postmaster $postmaster) after $before acknowledged writes (server's queue: $batches_before)"

new_leader=""
for _ in $(seq 1 120); do
    new_leader=$(leader) && [ "$new_leader" != "$first_leader" ] && break
    new_leader=""
    sleep 0.5
done
promoted_at=$(date +%s.%N)
[ -n "$new_leader" ] || die "no replica was promoted within 60 s; see $work/node*.log"
say "Patroni promoted $new_leader"
# The server must come back by itself: wait for writes to be acknowledged again, then keep the load on a while.
recovered=""
for _ in $(seq 1 120); do
    if python3 - "$work/timeline.txt" "$killed_at" <<'PY'; then recovered=yes; break; fi
import sys
killed = float(sys.argv[2])
ok = [float(t) for t, s in (line.split() for line in open(sys.argv[1])) if s in ("200", "201") and float(t) > killed]
sys.exit(0 if len(ok) >= 10 else 1)
PY
    sleep 0.5
done
if [ -z "$recovered" ]; then
    # What the server and the new primary were doing, for the diagnosis: its queue and pool, its sockets, and the
    # sessions the new primary has open.
    { curl -s -m 2 "http://127.0.0.1:$metrics_port/metrics" | grep -E '^ecofund_(commit|db_pool)' || true
      ss -tnpi 2>/dev/null | grep -A1 "pid=$server_pid," || true
      as_pg "$PG_BIN/psql" -X -h 127.0.0.1 -p "${pg_port[$new_leader]}" -U postgres -d drill -c \
          "SELECT pid, client_port, state, wait_event_type, wait_event, now() - xact_start AS xact, left(query, 60) AS query
           FROM pg_stat_activity WHERE datname = 'drill'" || true
    } >"$work/stuck.txt" 2>&1
    die "the server did not acknowledge writes again within 60 s of the promotion; its state then is in $work/stuck.txt"
fi
sleep 10
say "server's commit queue since it started: $(drill_batches)"
kill -TERM "$load_pid"
wait "$load_pid" || true
say "load stopped; waiting for the sealer"
drill_wait_sealed

say "checking, on the new primary"
failures=0
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
[ "$(psql_owner -Atc "SELECT pg_is_in_recovery()")" = f ] || fail "HAProxy does not lead to a primary"
served_by=$(psql_owner -Atc "SHOW port")
[ "$served_by" = "${pg_port[$new_leader]}" ] || fail "HAProxy leads to port $served_by, not the new leader's ${pg_port[$new_leader]}"
drill_check_books "$work/acks.txt"
python3 - "$work/load.json" "$work/timeline.txt" "$killed_at" "$promoted_at" <<'PY' || failures=$((failures + 1))
import json, sys
stats = json.load(open(sys.argv[1]))
killed, promoted = float(sys.argv[3]), float(sys.argv[4])
events = [(float(t), s) for t, s in (line.split() for line in open(sys.argv[2]))]
acked = sorted(t for t, s in events if s in ("200", "201"))
# The window: the longest stretch without an acknowledged write, from just before the kill on. (Commits in flight
# at the kill can still be answered a moment after it, so the stretch starts at the last of those.)
around = [t for t in acked if t >= killed - 2]
last_before, first_after = max(zip(around, around[1:]), key=lambda pair: pair[1] - pair[0])
if stats["problem"]:
    print("FAIL:", stats["problem"])
during = [s for t, s in events if last_before < t < first_after]
print(f"unavailability window: {first_after - last_before:.1f} s with no write acknowledged "
      f"(kill → promotion seen {promoted - killed:.1f} s; kill → writes acknowledged again {first_after - killed:.1f} s)")
print(f"answers meanwhile: {len(during)} ({', '.join(f'{n}× {s}' for s, n in sorted({s: during.count(s) for s in set(during)}.items()))})")
print(stats["summary"])
sys.exit(1 if stats["problem"] else 0)
PY
if [ "$failures" -gt 0 ]; then
    die "$failures check(s) failed; logs in $work"
fi
say "failover drill passed: $first_leader killed, $new_leader promoted, nothing acknowledged was lost or doubled"
