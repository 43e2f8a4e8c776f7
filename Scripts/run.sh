#!/usr/bin/env bash
# The main job: builds EcoFund Ledger, starts a private PostgreSQL under .data/ (unless DATABASE_URL is set),
# migrates, loads the demo data, prints an admin token, and serves on 127.0.0.1:8080 until Ctrl-C.
#
# Environment (all optional):
#   DATABASE_URL            use this database instead of the private one (the service's connection)
#   DATABASE_MIGRATION_URL  the schema owner's connection for migrations and demo data (default: DATABASE_URL)
#   ECOFUND_PORT            HTTP port (default 8080)        ECOFUND_PG_PORT  private PostgreSQL port (default 54329)
#   ECOFUND_BUILD           debug (default) or release
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_packages

configuration=${ECOFUND_BUILD:-debug}
say "building ($configuration; the first build takes several minutes)"
swift build -c "$configuration" --product ecofund
binary="$ROOT/.build/$configuration/ecofund"

mkdir -p "$ROOT/.data"
chmod 755 "$ROOT/.data"
started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
    cluster="$ROOT/.data/pg"
    pg_port=$(pg_running_port "$cluster")
    if [ -z "$pg_port" ]; then
        pg_port=${ECOFUND_PG_PORT:-54329}
        say "starting the private PostgreSQL in .data/pg on 127.0.0.1:$pg_port"
        pg_start "$cluster" "$pg_port"
        started_cluster=$cluster
    else
        say "the private PostgreSQL in .data/pg is already running on 127.0.0.1:$pg_port"
    fi
    if ! psql -h 127.0.0.1 -p "$pg_port" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'ecofund'" | grep -q 1; then
        psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE ecofund" >/dev/null
    fi
    export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$pg_port/ecofund"
    # The service connects as the least-privileged ecofund_app role (created by the first migration).
    export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$pg_port/ecofund"
fi
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ -n "$started_cluster" ]; then pg_stop "$started_cluster"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ECOFUND_SCHEMA_DIR="$ROOT/Schema"
export ECOFUND_SIGNING_KEY=${ECOFUND_SIGNING_KEY:-$ROOT/.data/signing.key}
if [ ! -f "$ECOFUND_SIGNING_KEY" ]; then
    say "making the checkpoint-signing key $ECOFUND_SIGNING_KEY"
    "$binary" keygen --out "$ECOFUND_SIGNING_KEY" >/dev/null
fi
export ECOFUND_PORT=${ECOFUND_PORT:-8080}
export ECOFUND_METRICS_PORT=${ECOFUND_METRICS_PORT:-9464}
say "migrating"
"$binary" migrate
say "loading demo data"
"$binary" seed-demo

token=$("$binary" token create --role admin --subject admin 2>/dev/null)
# A second admin: whoever may move money (finance, approver, admin) is made only when another admin approves.
second=$("$binary" token create --role admin --subject second.admin 2>/dev/null)
umask 077
printf '%s\n' "$token" > "$ROOT/.data/admin-token"
printf '%s\n' "$second" > "$ROOT/.data/second-admin-token"

# People for the console, one per role, each with an activation code (shown once; kept in .data/activation-codes for
# this private demo only). A person is made once: on later runs their codes are in that file, used or not.
codes="$ROOT/.data/activation-codes"
touch "$codes"
person() { # subject role [jurisdiction]
    grep -q "^$1 " "$codes" && return 0
    local code
    code=$("$binary" user create --subject "$1" --role "$2" ${3:+--jurisdiction "$3"} 2>/dev/null) \
        || die "could not create the demo person $1"
    printf '%s %s %s\n' "$1" "$2" "$code" >> "$codes"
}
person wang.admin admin
person zhao.admin admin
person li.beijing finance beijing
person chen.approver approver
person sun.assessor assessor
person zhou.auditor auditor

cat <<NEXT

EcoFund Ledger is starting.

  The console, for people:  http://127.0.0.1:$ECOFUND_PORT/
    First visit: "用激活码设置密码" (Activate) with a code below, choose a password of 12 characters or more,
    then sign in. Approvers and admins also set up an authenticator app (a QR code is shown).
$(while read -r who role code; do printf '      %-14s %-9s %s\n' "$who" "$role" "$code"; done < "$codes")
    (codes are kept in .data/activation-codes; each works once, within 72 hours of the first run)

  The API, for systems:  http://127.0.0.1:$ECOFUND_PORT/v1  (described at /openapi.yaml)
  Admin token (also in .data/admin-token; shown once, keep it secret):
    $token
  A second admin's, who approves what the first asks (in .data/second-admin-token).

  Try, in another terminal:
    TOKEN=\$(cat .data/admin-token)
    curl -s http://127.0.0.1:$ECOFUND_PORT/v1/jurisdictions -H "Authorization: Bearer \$TOKEN"
    curl -s http://127.0.0.1:$ECOFUND_PORT/v1/reports/trial-balance -H "Authorization: Bearer \$TOKEN"
  The README walks through recording a contribution. The API is described at /openapi.yaml.
  Stop with Ctrl-C (the private PostgreSQL stops with it).

NEXT

# Local HTTP: the session cookie cannot be Secure here. Behind HTTPS, leave this unset.
ECOFUND_INSECURE_COOKIES=1 "$binary" serve &
server=$!
wait "$server"
