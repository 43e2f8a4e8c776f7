#!/usr/bin/env bash
# The secrets drill (issue "Reliability and security drills", item 6): with the most verbose logging, a session of
# good, bad, expired-looking and revoked tokens and failing requests must leave no token in the server's log; no
# problem response may carry SQL, a PostgreSQL message or a stack trace; and `serve` must refuse a signing key
# that others can read. Exits 1 on any failure.
#
# Usage: Scripts/drills/secrets.sh      (a throwaway PostgreSQL under .build-drills/; under a minute once built)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/Scripts/lib/drill.sh"
cd "$ROOT"

drill_begin secrets
admin=$("$binary" token create --role admin --subject drill-admin --days 1 2>/dev/null)
# A second admin approves what the first asks: a finance token's secret is in the approval's response.
second=$("$binary" token create --role admin --subject drill-admin-2 --days 1 2>/dev/null)
failures=0
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }

# A signing key others can read is refused before the server starts.
cp "$work/signing.key" "$work/open.key"
chmod 644 "$work/open.key"
if ECOFUND_SIGNING_KEY="$work/open.key" ECOFUND_PORT=$(free_port) timeout 20 "$binary" serve >"$work/open.out" 2>&1; then
    fail "serve started with a signing key readable by others"
elif ! grep -q "readable by others" "$work/open.out"; then
    fail "serve did not say why it refused the key: $(head -c 300 "$work/open.out")"
fi

LOG_LEVEL=trace drill_serve
api="http://127.0.0.1:$server_port"

asked=$(curl -s -X POST "$api/v1/tokens" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"subject":"drill.finance","role":"finance","jurisdiction":"beijing"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
finance=$(curl -s -X POST "$api/v1/access-requests/$asked/approve" -H "Authorization: Bearer $second" \
    -H 'Content-Type: application/json' -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["token"])')
revoke_reply=$(curl -s -X POST "$api/v1/tokens" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"subject":"drill.gone","role":"auditor"}')
gone=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$revoke_reply")
gone_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$revoke_reply")
curl -s -o /dev/null -X DELETE "$api/v1/tokens/$gone_id" -H "Authorization: Bearer $admin"
forged="efl_$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"

: >"$work/responses.txt"
call() { curl -s -m 10 "$@" >>"$work/responses.txt"; echo >>"$work/responses.txt"; }
for token in "$admin" "$finance" "$gone" "$forged" "not-even-a-token"; do
    call "$api/v1/accounts/fund:cash" -H "Authorization: Bearer $token"
    call -X POST "$api/v1/contributions" -H "Authorization: Bearer $token" -H "Idempotency-Key: k-$RANDOM" \
        -H 'Content-Type: application/json' -d '{"contributor":"beijing","amount":"1.00","currency":"CNY","valueDate":"2025-03-15","reference":"S1"}'
done
# Requests that fail inside the service: a missing contributor account, an unknown run, a malformed body, a
# conflicting key, a reversal of an unknown contribution, a bad date, an overdraw-like run.
call -X POST "$api/v1/contributions" -H "Authorization: Bearer $admin" -H "Idempotency-Key: k1" -H 'Content-Type: application/json' \
    -d '{"contributor":"hebei","amount":"1.00","currency":"CNY","valueDate":"2025-03-15","reference":"S2"}'
call -X POST "$api/v1/contributions" -H "Authorization: Bearer $finance" -H "Idempotency-Key: k2" -H 'Content-Type: application/json' \
    -d "{\"contributor\":\"beijing\",\"amount\":\"1.00\",\"currency\":\"CNY\",\"valueDate\":\"2025-03-15\",\"reference\":\"x'); DROP TABLE users; --\"}"
call -X POST "$api/v1/contributions" -H "Authorization: Bearer $finance" -H "Idempotency-Key: k2" -H 'Content-Type: application/json' \
    -d '{"contributor":"beijing","amount":"2.00","currency":"CNY","valueDate":"2025-03-15","reference":"other"}'
call -X POST "$api/v1/contributions" -H "Authorization: Bearer $finance" -H "Idempotency-Key: k3" -H 'Content-Type: application/json' -d '{"contributor":'
call -X POST "$api/v1/contributions/00000000-0000-0000-0000-000000000000/reversal" -H "Authorization: Bearer $admin" \
    -H "Idempotency-Key: k4" -H 'Content-Type: application/json' -d '{"reason":"drill"}'
call "$api/v1/disbursement-runs/not-a-uuid" -H "Authorization: Bearer $admin"
call "$api/v1/accounts/fund:cash?asOf=2025-13-40" -H "Authorization: Bearer $admin"
call -X POST "$api/v1/disbursement-runs" -H "Authorization: Bearer $finance" -H "Idempotency-Key: k5" -H 'Content-Type: application/json' \
    -d '{"rule":"jjj-annual","pool":{"amount":"999999999999.00","currency":"CNY"}}'
sleep 1
drill_stop_server

for token in "$admin" "$second" "$finance" "$gone" "$forged"; do
    secret=${token#efl_}
    grep -q -- "$secret" "$work/server.log" && fail "a token appears in the server log (${token:0:8}…)"
done
grep -qi "authorization: bearer" "$work/server.log" && fail "an Authorization header appears in the server log"
if grep -Eqi 'select |insert into|update [a-z_]+ set|psqlerror|sqlstate|ERROR: |stack|backtrace|\.swift:[0-9]' "$work/responses.txt"; then
    fail "a problem response carries SQL, a database message or a trace: $(grep -Eio '.{0,80}(select |insert into|psqlerror|sqlstate|ERROR: |\.swift:[0-9]).{0,80}' "$work/responses.txt" | head -n 2)"
fi
if grep -q '"status":5[0-9][0-9]' "$work/responses.txt"; then
    fail "a request got a 5xx: $(grep -o '.\{0,200\}"status":5[0-9][0-9].\{0,100\}' "$work/responses.txt" | head -n 2)"
fi
echo "log lines: $(wc -l <"$work/server.log") at trace level; responses checked: $(grep -c . "$work/responses.txt")"
[ "$failures" -eq 0 ] || die "$failures check(s) failed; see $work"
say "secrets drill passed: no token in the log, no SQL or trace in a response, an open key refused"
