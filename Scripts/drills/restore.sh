#!/usr/bin/env bash
# The backup and restore drill (issue "Operating it", item 4): back the demo books up with Scripts/backup.sh, restore
# them with Scripts/restore.sh into a fresh cluster, and check with `ecofund verify` that exports taken before and
# after both verify and end at the same signed checkpoint root. Exits 1 on any failure.
#
# Usage: Scripts/drills/restore.sh      (two throwaway clusters under .build-drills/; about a minute once built)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/Scripts/lib/drill.sh"
cd "$ROOT"

drill_begin restore
source_port=$port
drill_serve
export ECOFUND_SIGNING_KEY="$work/signing.key"
"$binary" export --out "$work/before.zip" 2>/dev/null
drill_stop_server

say "backing up"
dump=$(Scripts/backup.sh "$work/backups" | tail -n 1)

fresh_port=$(free_port)
say "restoring into a fresh cluster on 127.0.0.1:$fresh_port"
drill_clusters+=("$work/fresh")
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
echo "before: $(count "$source_port" drill); checkpoint $before"
echo "after:  $(count "$fresh_port" restored); checkpoint $after"
[ "$(count "$source_port" drill)" = "$(count "$fresh_port" restored)" ] || fail "the restored books differ"
[ "$failures" -eq 0 ] || die "$failures check(s) failed; see $work"
say "restore drill passed: both exports verify and end at the same checkpoint root"
