#!/usr/bin/env bash
# The backup and restore drill (issue "Operating it", item 4): back the demo books up with Scripts/backup.sh, restore
# them with Scripts/restore.sh into a fresh cluster, and check with `ecofund verify` that exports taken before and
# after both verify and end at the same signed checkpoint root. Exits 1 on any failure.
#
# Usage: Scripts/drills/restore.sh      (two throwaway clusters under .build-drills/; about a minute once built)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

ensure_packages
say "building (debug)"
swift build --product ecofund >/dev/null 2>&1 || swift build --product ecofund
binary="$ROOT/.build/debug/ecofund"
work="$ROOT/.build-drills/restore"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    pg_stop "$work/source"
    pg_stop "$work/fresh"
    return 0
}
trap cleanup EXIT
pg_stop "$work/source"
pg_stop "$work/fresh"
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"

source_port=$(free_port)
pg_start "$work/source" "$source_port"
as_pg "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$source_port" -U postgres -d postgres -c "CREATE DATABASE ecofund"
export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$source_port/ecofund"
export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$source_port/ecofund"
"$binary" migrate >/dev/null 2>&1
"$binary" seed-demo >/dev/null 2>&1
"$binary" keygen --out "$work/signing.key" >/dev/null
server_port=$(free_port)
ECOFUND_SIGNING_KEY="$work/signing.key" ECOFUND_PORT=$server_port LOG_LEVEL=warning "$binary" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$server_port/healthz" >/dev/null && break; sleep 0.1; done
export ECOFUND_SIGNING_KEY="$work/signing.key"
"$binary" export --out "$work/before.zip" 2>/dev/null
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""

say "backing up"
dump=$(Scripts/backup.sh "$work/backups" | tail -n 1)

fresh_port=$(free_port)
say "restoring into a fresh cluster on 127.0.0.1:$fresh_port"
pg_start "$work/fresh" "$fresh_port"
Scripts/restore.sh "$dump" "postgres://postgres@127.0.0.1:$fresh_port/restored"
export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$fresh_port/restored"
"$binary" export --out "$work/after.zip" 2>/dev/null

failures=0
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
for zip in before after; do
    if ! "$binary" verify "$work/$zip.zip" >"$work/verify-$zip.txt"; then
        cat "$work/verify-$zip.txt"
        fail "the export $zip the restore does not verify"
    fi
done
root() { unzip -p "$1" checkpoint.json | python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["treeSize"], c["rootHash"])'; }
ensure_packages unzip
before=$(root "$work/before.zip")
after=$(root "$work/after.zip")
[ "$before" = "$after" ] || fail "the checkpoint before ($before) and after ($after) the restore differ"
count() { as_pg "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "
    SELECT (SELECT count(*) FROM journal_lines) || ' lines, ' || (SELECT count(*) FROM audit_events) || ' events, '
        || (SELECT sum(balance_fen) FROM account_balances WHERE account_code = 'fund:cash') || ' fen in fund:cash'"; }
echo "before: $(count "$source_port" ecofund); checkpoint $before"
echo "after:  $(count "$fresh_port" restored); checkpoint $after"
[ "$(count "$source_port" ecofund)" = "$(count "$fresh_port" restored)" ] || fail "the restored books differ"
[ "$failures" -eq 0 ] || die "$failures check(s) failed; see $work"
say "restore drill passed: both exports verify and end at the same checkpoint root"
