# Shared by the bench sections that need books of a size (sourced after lib/common.sh, with binary and work set).
#
# bench_books NAME: a throwaway durable PostgreSQL under $work/NAME, database `bench` migrated and loaded with the demo
# data; sets dir, port and psql_owner, and exports the database URLs the binary reads.
# After a bulk load (triggers off), `\i Scripts/bench/recompute.sql` inside the load's transaction puts the stored
# balances, daily movements, entry counts and yearly totals back to what the rows say.
bench_books() {
    dir="$work/$1"
    mkdir -p "$dir"
    chmod 755 "$dir"
    port=$(free_port)
    say "$1: a throwaway PostgreSQL on 127.0.0.1:$port (durability on)"
    pg_start "$dir/pg" "$port"
    psql_owner() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
    psql_owner -d postgres -c "CREATE DATABASE bench"
    export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$port/bench"
    export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$port/bench"
    "$binary" migrate >/dev/null
    "$binary" seed-demo >/dev/null
}
