#!/usr/bin/env bash
# The fuzzing drill (issue "Reliability and security drills", item 3): schemathesis, installed from PyPI into a
# virtual environment, runs every operation of the served OpenAPI document with generated valid and invalid input,
# once per caller (each role, and no token), against a server on a throwaway PostgreSQL with the demo books. It
# fails on any 5xx, any status or content type the document does not allow, and any response that does not match
# its schema. Exits 1 on any failure.
#
# Usage: Scripts/drills/fuzz.sh [--short]     (--short: 3 examples per operation, admin and no token only; run by
#                                              Scripts/test.sh. FUZZ_EXAMPLES overrides the number of examples.)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

short=false
[ "${1:-}" = --short ] && short=true
examples=${FUZZ_EXAMPLES:-$($short && echo 3 || echo 25)}

ensure_packages python3-venv
say "building (debug)"
swift build --product ecofund >/dev/null 2>&1 || swift build --product ecofund
binary="$ROOT/.build/debug/ecofund"
work="$ROOT/.build-drills/fuzz"
venv="$ROOT/.build-drills/venv"
if [ ! -x "$venv/bin/st" ]; then
    say "installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    pg_stop "$work/pg"
    return 0
}
trap cleanup EXIT
pg_stop "$work/pg"
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"
port=$(free_port)
pg_start "$work/pg" "$port"
as_pg "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE drill"
export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$port/drill"
export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$port/drill"
"$binary" migrate >/dev/null 2>&1
"$binary" seed-demo >/dev/null 2>&1
"$binary" keygen --out "$work/signing.key" >/dev/null
server_port=$(free_port)
ECOFUND_SIGNING_KEY="$work/signing.key" ECOFUND_PORT=$server_port LOG_LEVEL=warning "$binary" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$server_port/healthz" >/dev/null && break; sleep 0.1; done
api="http://127.0.0.1:$server_port"

token() { "$binary" token create --role "$1" --subject "fuzz-$1" ${2:+--jurisdiction "$2"} --days 1 2>/dev/null; }
if $short; then
    callers=(admin none)
else
    callers=(admin finance approver assessor auditor none)
fi
failures=0
for caller in "${callers[@]}"; do
    headers=()
    case $caller in
    none) ;;
    finance) headers=(-H "Authorization: Bearer $(token finance beijing)") ;;
    *) headers=(-H "Authorization: Bearer $(token "$caller")") ;;
    esac
    say "schemathesis as $caller: $examples examples per operation"
    if "$venv/bin/st" run "$api/openapi.yaml" --url "$api" "${headers[@]}" -n "$examples" --request-timeout 15 \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --seed 20261127 >"$work/st-$caller.txt" 2>&1; then
        echo "  $caller: $(grep -E 'generated' "$work/st-$caller.txt" | tail -n 1 | sed 's/^ *//')"
    else
        failures=$((failures + 1))
        tail -n 60 "$work/st-$caller.txt"
        echo "  $caller: FAILED (full output in $work/st-$caller.txt)"
    fi
done
if grep -q "status=5[0-9][0-9]" "$work/server.log"; then
    failures=$((failures + 1))
    echo "the server logged 5xx answers:"
    grep "status=5[0-9][0-9]" "$work/server.log" | head -n 5
fi
[ "$failures" -eq 0 ] || die "$failures fuzzing run(s) failed"
say "fuzzing passed: no 5xx, every answer as the OpenAPI document says"
