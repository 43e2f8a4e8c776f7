#!/usr/bin/env bash
# The whole test suite against a real, throwaway PostgreSQL. Exits non-zero on any failure.
#
# Usage: Scripts/test.sh [extra `swift test` arguments, e.g. --filter LedgerTests]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/browser.sh"
cd "$ROOT"

ensure_packages

work=$(mktemp -d /tmp/ecofund-test.XXXXXX)
chmod 755 "$work"
cleanup() {
    pg_stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
say "starting a throwaway PostgreSQL on 127.0.0.1:$port"
# Durability settings are off: this cluster is thrown away. Benchmarks (Scripts/bench.sh) keep them on.
pg_start "$work/pg" "$port" fsync=off synchronous_commit=off full_page_writes=off

export ECOFUND_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
export ECOFUND_SCHEMA_DIR="$ROOT/Schema"

say "checking formatting (.swift-format)"
swift format lint --strict --recursive Sources Tests Package.swift \
    || die "formatting differs; run: swift format --in-place --recursive Sources Tests Package.swift"

say "checking that ecofund verify's code reaches no database driver (swift package describe)"
swift package dump-package >"$work/package.json"
swift package show-dependencies --format json >"$work/dependencies.json"
python3 "$ROOT/Scripts/lib/package-graph.py" "$work/package.json" "$work/dependencies.json" \
    || die "the verifier's module reaches a database driver"

say "building and running the tests"
swift build --build-tests
# A bound, so that a test that hangs fails the run with its name instead of using up CI's time.
log="$work/swift-test.log"
set +e
timeout --kill-after=30s "${ECOFUND_TEST_TIMEOUT:-25m}" swift test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    say "the tests did not finish within ${ECOFUND_TEST_TIMEOUT:-25m}; these started and never ended:"
    comm -23 <(sed -n 's/^.* Test \(.*)\) started\.$/\1/p' "$log" | sort -u) \
        <(sed -n 's/^.* Test \(.*)\) \(passed\|failed\) after .*$/\1/p' "$log" | sort -u) >&2
    exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

# The console in a real browser: journeys, both languages, axe-core, screenshots. Skipped when only some tests were
# asked for.
if [ $# -eq 0 ]; then
    say "driving the console in Chromium (Tests/Browser/)"
    browser_journeys "$work" "$port"
fi

# A short, bounded run of the fuzzing drill: schemathesis against the OpenAPI document (3 examples per operation, as
# admin and without a token). Skipped when only some tests were asked for.
if [ $# -eq 0 ]; then
    say "fuzzing the API briefly (Scripts/drills/fuzz.sh --short)"
    timeout --kill-after=30s 15m "$ROOT/Scripts/drills/fuzz.sh" --short
fi
