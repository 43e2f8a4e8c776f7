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
source "$ROOT/Scripts/lib/drill.sh"
cd "$ROOT"

short=false
[ "${1:-}" = --short ] && short=true
examples=${FUZZ_EXAMPLES:-$($short && echo 3 || echo 25)}

ensure_packages python3-venv
venv="$ROOT/.build-drills/venv"
if [ ! -x "$venv/bin/st" ]; then
    say "installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
drill_begin fuzz
drill_serve
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
