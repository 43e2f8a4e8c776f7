# Shared by Scripts/drills/*.sh (source after lib/common.sh): a debug build, a throwaway durable PostgreSQL holding
# the demo books with a sealed log, and the server. Defines functions and, through drill_begin, the variables
# binary, work, port, server_port, server_pid.

# drill_begin NAME: builds; starts a fresh cluster in $work/pg (work = .build-drills/NAME) with database `drill`
# migrated and seeded and a checkpoint key in $work/signing.key; exports DATABASE_MIGRATION_URL and DATABASE_URL;
# on exit stops the server, anything in drill_pids and the clusters in drill_clusters.
drill_begin() {
    ensure_packages
    say "building (debug)"
    swift build --product ecofund >/dev/null 2>&1 || swift build --product ecofund
    binary="$ROOT/.build/debug/ecofund"
    work="$ROOT/.build-drills/$1"
    server_pid=""
    drill_pids=()
    drill_clusters=("$work/pg")
    trap drill_end EXIT
    drill_end
    rm -rf "$work"
    mkdir -p "$work"
    chmod 755 "$work"
    port=$(free_port)
    say "a durable PostgreSQL on 127.0.0.1:$port"
    pg_start "$work/pg" "$port"
    as_pg "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE drill"
    export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$port/drill"
    export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$port/drill"
    "$binary" migrate >/dev/null 2>&1
    "$binary" seed-demo >/dev/null 2>&1
    "$binary" keygen --out "$work/signing.key" >/dev/null
    server_port=$(free_port)
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
        "$binary" serve >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$server_port/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "the server did not start; see $work/server.log"
}

# drill_stop_server: stops the server and waits for it.
drill_stop_server() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    server_pid=""
    return 0
}
