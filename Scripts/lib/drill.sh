# Shared by Scripts/drills/*.sh (source after lib/common.sh): a debug build, a throwaway durable PostgreSQL holding
# the demo books with a sealed log, the server, and the checks of the books after a write load. Defines functions
# and, through drill_prepare and drill_begin, the variables binary, work, port, server_port, server_pid.

# drill_prepare NAME [PACKAGE…]: installs what is missing (and the extra Debian packages), builds, and makes an empty
# $work (.build-drills/NAME); on exit stops the server, anything in drill_pids and the clusters in drill_clusters.
drill_prepare() {
    local name=$1
    shift
    ensure_packages "$@"
    say "building (debug)"
    swift build --product ecofund >/dev/null 2>&1 || swift build --product ecofund
    binary="$ROOT/.build/debug/ecofund"
    work="$ROOT/.build-drills/$name"
    server_pid=""
    drill_pids=()
    drill_clusters=()
    trap drill_end EXIT
    # A cluster an interrupted run left behind is stopped before its files go.
    for dir in "$work/pg" "$work"/*/data; do pg_stop "$dir"; done
    rm -rf "$work"
    mkdir -p "$work"
    chmod 755 "$work"
}

# drill_begin NAME: drill_prepare, then a fresh durable cluster in $work/pg holding the demo books (drill_books).
drill_begin() {
    drill_prepare "$1"
    drill_clusters=("$work/pg")
    port=$(free_port)
    say "a durable PostgreSQL on 127.0.0.1:$port"
    pg_start "$work/pg" "$port"
    drill_books "$port"
}

# drill_books PORT: creates database `drill` on the PostgreSQL at PORT, migrated and seeded, and a checkpoint key in
# $work/signing.key; exports DATABASE_MIGRATION_URL and DATABASE_URL; picks server_port.
drill_books() {
    as_pg "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "CREATE DATABASE drill"
    export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$1/drill"
    export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$1/drill"
    "$binary" migrate >/dev/null 2>&1
    "$binary" seed-demo >/dev/null 2>&1
    "$binary" keygen --out "$work/signing.key" >/dev/null
    server_port=$(free_port)
    metrics_port=$(free_port)
}

drill_end() {
    for pid in $server_pid ${drill_pids[@]+"${drill_pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
    for cluster in ${drill_clusters[@]+"${drill_clusters[@]}"}; do pg_stop "$cluster"; done
    return 0
}

# drill_serve: starts `ecofund serve` with the checkpoint key on $server_port (LOG_LEVEL from the caller, warning by
# default), appending to $work/server.log, and waits until it answers.
drill_serve() {
    ECOFUND_SIGNING_KEY="$work/signing.key" ECOFUND_PORT=$server_port LOG_LEVEL=${LOG_LEVEL:-warning} \
        ECOFUND_METRICS_PORT=${metrics_port:-} "$binary" serve >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$server_port/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "the server did not start; see $work/server.log"
}

# drill_batches: what the running server's commit queue has committed since it started, from /metrics:
# "N batches, W writes, largest L" (the batched path the drills' write loads go through).
drill_batches() {
    local text
    text=$(curl -sf -m 2 "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null) || { echo "no metrics"; return 0; }
    value() { printf '%s\n' "$text" | awk -v series="$1 " 'index($0, series) == 1 { printf "%d", $NF; exit }'; }
    echo "$(value ecofund_commit_batches) batches, $(value ecofund_commit_writes) writes, largest $(value ecofund_commit_batch_writes_max)"
}

# drill_stop_server: stops the server and waits for it.
drill_stop_server() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    server_pid=""
    return 0
}

# drill_check_books ACKS: after a drill's write load, checks the books through `psql_owner` (defined by the drill):
# every acknowledged contribution (ACKS: `key id amount` lines from load.py) is stored exactly once as acknowledged,
# no entry is half-written or unbalanced, every stored balance equals its lines, the trial balance balances, and
# every committed event is sealed under the newest checkpoint. Calls `fail` (defined by the drill) per failure.
drill_check_books() {
    acknowledged=$(wc -l <"$1")
    psql_owner -c "CREATE TABLE drill_acks (key text, id uuid, amount text)"
    psql_owner -c "\\copy drill_acks FROM '$1' WITH (FORMAT text, DELIMITER ' ')"
    missing=$(psql_owner -Atc "SELECT count(*) FROM drill_acks a WHERE NOT EXISTS (SELECT 1 FROM contributions c
        WHERE c.id = a.id AND c.reference = a.key AND c.amount_fen = (replace(a.amount, '.', ''))::bigint)")
    duplicated=$(psql_owner -Atc "SELECT count(*) FROM (SELECT reference FROM contributions
        WHERE reference LIKE 'drill-%' GROUP BY reference HAVING count(*) > 1) d")
    acked_twice=$(psql_owner -Atc "SELECT count(*) FROM (SELECT key FROM drill_acks GROUP BY key HAVING count(DISTINCT id) > 1) d")
    half=$(psql_owner -Atc "SELECT count(*) FROM journal_entries e WHERE (SELECT count(*) FROM journal_lines l WHERE l.entry_id = e.id) < 2
        OR (SELECT sum(CASE side WHEN 'debit' THEN amount_fen ELSE -amount_fen END) FROM journal_lines l WHERE l.entry_id = e.id) <> 0")
    orphans=$(psql_owner -Atc "SELECT count(*) FROM journal_entries e WHERE e.kind = 'contribution'
        AND NOT EXISTS (SELECT 1 FROM contributions c WHERE c.entry_id = e.id)")
    mismatched=$(psql_owner -Atc "SELECT count(*) FROM account_balances b
        LEFT JOIN (SELECT account_code, sum(amount_fen) FILTER (WHERE side = 'debit') AS d,
                          sum(amount_fen) FILTER (WHERE side = 'credit') AS c FROM journal_lines GROUP BY account_code) l
               ON l.account_code = b.account_code
        WHERE b.debit_fen <> coalesce(l.d, 0) OR b.credit_fen <> coalesce(l.c, 0)")
    trial=$(psql_owner -Atc "SELECT sum(debit_fen) - sum(credit_fen) FROM account_balances")
    unsealed=$(psql_owner -Atc "SELECT count(*) FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)")
    checkpoint_gap=$(psql_owner -Atc "SELECT (SELECT count(*) FROM audit_log) - coalesce((SELECT max(tree_size) FROM audit_checkpoints), 0)")
    stored=$(psql_owner -Atc "SELECT count(*) FROM contributions WHERE reference LIKE 'drill-%'")

    [ "$missing" = 0 ] || fail "$missing acknowledged contributions are not in the ledger as acknowledged"
    [ "$duplicated" = 0 ] || fail "$duplicated idempotency keys were written more than once"
    [ "$acked_twice" = 0 ] || fail "$acked_twice keys were acknowledged with two different ids"
    [ "$half" = 0 ] || fail "$half journal entries are half-written or unbalanced"
    [ "$orphans" = 0 ] || fail "$orphans contribution entries have no contribution"
    [ "$mismatched" = 0 ] || fail "$mismatched stored balances differ from their lines"
    [ "$trial" = 0 ] || fail "the trial balance is off by $trial fen"
    [ "$unsealed" = 0 ] || fail "$unsealed committed events were never sealed"
    [ "$checkpoint_gap" = 0 ] || fail "the newest checkpoint does not cover the whole log ($checkpoint_gap leaves beyond it)"
    echo "acknowledged $acknowledged, stored $stored drill contributions; missing $missing, duplicated $duplicated;"
    echo "half-written entries $half, mismatched balances $mismatched, trial balance off by $trial fen, unsealed $unsealed"
}

# drill_wait_sealed: waits up to a minute until every committed audit event is sealed (through `psql_owner`).
drill_wait_sealed() {
    for _ in $(seq 1 300); do
        [ "$(psql_owner -Atc "SELECT count(*) FROM audit_events e
              WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)")" = 0 ] && return 0
        sleep 0.2
    done
}
