#!/usr/bin/env bash
# Restores a backup made by Scripts/backup.sh into a new, empty database: the roles first (those that exist are
# kept), then the archive with its triggers held off while rows load — the ledger's triggers would otherwise apply
# every journal line to the restored balances a second time.
#
# Usage: Scripts/restore.sh DUMP postgres://owner@host:port/NEWDB     (NEWDB must not exist; it is created)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

dump=${1:?usage: Scripts/restore.sh DUMP URL}
target=${2:?usage: Scripts/restore.sh DUMP URL}
ensure_packages
[ -f "$dump" ] || die "no backup at $dump"
server=${target%/*}/postgres
database=${target##*/}
if [ -f "$dump.roles.sql" ]; then
    while IFS= read -r statement; do
        "$PG_BIN/psql" -X -q "$server" -c "$statement" >/dev/null 2>&1 || true
    done <"$dump.roles.sql"
fi
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$server" -c "CREATE DATABASE \"$database\""
"$PG_BIN/pg_restore" --exit-on-error --disable-triggers --single-transaction --no-password --dbname="$target" "$dump"
say "restored $dump into $database"
