#!/usr/bin/env bash
# Backs up the EcoFund database: a pg_dump custom-format archive of the database and the cluster roles it grants to
# (without passwords), side by side in DIR. Restore with Scripts/restore.sh.
#
# Usage: DATABASE_MIGRATION_URL=postgres://owner@host:port/db Scripts/backup.sh DIR
#        (the schema owner's connection, as for `ecofund migrate`; DATABASE_URL if that is unset)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

dir=${1:?usage: Scripts/backup.sh DIR}
url=${DATABASE_MIGRATION_URL:-${DATABASE_URL:?set DATABASE_MIGRATION_URL (the schema owner) or DATABASE_URL}}
ensure_packages
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$dir/ecofund-$stamp.dump"
# One consistent snapshot of the whole database (pg_dump runs in a single REPEATABLE READ transaction).
"$PG_BIN/pg_dump" --format=custom --no-password --file="$dump.partial" "$url"
# The roles the schema grants to; their passwords are not in the backup (set them again after a restore).
"$PG_BIN/pg_dumpall" --roles-only --no-role-passwords --dbname="$url" 2>/dev/null \
    | grep -E "^(CREATE|ALTER) ROLE ecofund_" >"$dump.roles.sql" || true
mv "$dump.partial" "$dump"
say "wrote $dump ($(du -h "$dump" | cut -f1)) and $dump.roles.sql"
echo "$dump"
