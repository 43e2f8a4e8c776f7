# Shared by Scripts/test.sh: the console's browser journeys (Tests/Browser/) in Debian's Chromium, against a real
# server on the test's PostgreSQL. Source after lib/common.sh; call browser_journeys WORK PG_PORT.

browser_journeys() {
    local work=$1 port=$2
    # LibreOffice opens the exported CSV files as a spreadsheet would; openpyxl reads its cells back.
    ensure_packages chromium chromium-driver fonts-noto-cjk python3-venv libreoffice-calc-nogui poppler-utils
    local venv="$ROOT/.build-drills/browser-venv"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium, axe_selenium_python, pyotp, openpyxl' 2>/dev/null; then
        say "installing Selenium, axe-selenium-python, pyotp and openpyxl into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q selenium axe-selenium-python pyotp openpyxl
    fi
    psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE console_journeys" >/dev/null
    local binary="$ROOT/.build/debug/ecofund"
    swift build --product ecofund >/dev/null
    # For the commands below only; unset again at the end, so that later steps of test.sh choose their own.
    export DATABASE_MIGRATION_URL="postgres://postgres@127.0.0.1:$port/console_journeys"
    export DATABASE_URL="postgres://ecofund_app@127.0.0.1:$port/console_journeys"
    "$binary" migrate >/dev/null
    "$binary" seed-demo >/dev/null
    local codes="$work/activation-codes" code
    : >"$codes"
    for person in "wang.admin admin" "zhao.admin admin"; do
        set -- $person
        code=$("$binary" user create --subject "$1" --role "$2") || die "could not create the test person $1"
        printf '%s %s %s\n' "$1" "$2" "$code" >>"$codes"
    done
    # A signing key, so that the sealer signs checkpoints: the auditor's journey checks a proof and an export.
    rm -f "$work/console-signing.key"
    "$binary" keygen --out "$work/console-signing.key" >/dev/null
    local server_port
    server_port=$(free_port)
    ECOFUND_SIGNING_KEY="$work/console-signing.key" ECOFUND_PORT=$server_port ECOFUND_INSECURE_COOKIES=1 \
        "$binary" serve >"$work/console-server.log" 2>&1 &
    local server=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$server_port/healthz" >/dev/null && break
        sleep 0.2
    done
    rm -rf "$ROOT/.build/screenshots"
    set +e
    CONSOLE_URL="http://127.0.0.1:$server_port" ACTIVATION_CODES="$codes" SCREENSHOTS="$ROOT/.build/screenshots" \
        ECOFUND_BIN="$binary" DOWNLOADS="$work/downloads" \
        timeout --kill-after=10s 10m "$venv/bin/python" "$ROOT/Tests/Browser/console_journeys.py"
    local status=$?
    set -e
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    unset DATABASE_MIGRATION_URL DATABASE_URL
    if [ "$status" -ne 0 ]; then
        say "the browser journeys failed; the server's log:"
        tail -n 40 "$work/console-server.log" >&2
        return "$status"
    fi
    say "screenshots of every page are in .build/screenshots/"
}
