#!/usr/bin/env bash
# Benchmarks, on a release build: measured figures next to their targets, written to BENCHMARKS.md.
# Speed is measured here and never in timed unit tests.
#
# Today: the allocator (issue "Rule-driven disbursements": 10,000 recipients, 5 factors, one tranche, median
# under 50 ms). The service-against-PostgreSQL comparison (pgbench vs wrk) is still to be added.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_packages
say "building in release mode (several minutes from scratch)"
swift build -c release --product ecofund >/dev/null
binary="$ROOT/.build/release/ecofund"

say "allocator: 10,000 recipients, 5 factors, one tranche"
allocate=$("$binary" bench allocate --recipients 10000 --repeats 21)
echo "$allocate"

median() { sed -n "s/^$1 .*median_ms=\([0-9.]*\).*/\1/p" <<<"$allocate"; }
{
    echo "# Benchmarks"
    echo
    echo "Written by \`Scripts/bench.sh\` (release build). Reproduce with that one command."
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
    echo "- swift: $(swift --version 2>/dev/null | head -n 1)"
    echo
    echo "| measurement | measured | target |"
    echo "| --- | --- | --- |"
    echo "| allocate 10,000 recipients × 5 factors, one tranche (median of 21) | $(median allocate) ms | < 50 ms |"
    echo "| write that allocation's derivations as JSON (median of 21) | $(median encode-derivations) ms | (reported) |"
} > BENCHMARKS.md
say "wrote BENCHMARKS.md"
