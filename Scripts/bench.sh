#!/usr/bin/env bash
# Benchmarks on a release build: measured figures next to their targets and baselines measured in the same run,
# written to BENCHMARKS.md with the machine, date and commit. Speed is measured here, never in timed unit tests.
#
# Usage: Scripts/bench.sh [allocator] [service] [export] [console] [all]
#   allocator  the allocator: 10,000 recipients, 5 factors, one tranche (median < 30 ms; its JSON < 150 ms)
#   service    the service against raw SQL (pgbench) at 1, 8 and 32 clients, and reads (Scripts/bench/service.sh)
#   export     the audit export of a million entries, verify, proofs at a million leaves (Scripts/bench/export.sh;
#              about five minutes more)
#   console    every console page on the demo books plus a million contributions (Scripts/bench/console.sh;
#              median < 50 ms each, p99 reported)
# With no argument: allocator and service. Each section replaces its own part of BENCHMARKS.md.
# BENCH_DEBUG=1 uses a debug build, for checking the scripts only. BENCH_ALLOCATOR_BEFORE=<an earlier build> runs
# the allocator section's rounds interleaved with that build's, reported beside them.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/bench/books.sh"
cd "$ROOT"

sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(allocator service)
[ "${sections[*]}" = all ] && sections=(allocator service export console)
for section in "${sections[@]}"; do
    case $section in allocator | service | export | console) ;; *) die "unknown section $section (allocator, service, export, console, all)" ;; esac
done

ensure_packages time wrk
if [ -n "${BENCH_DEBUG:-}" ]; then
    swift build --product ecofund >/dev/null
    binary="$ROOT/.build/debug/ecofund"
else
    say "building in release mode (several minutes from scratch)"
    swift build -c release --product ecofund >/dev/null
    binary="$ROOT/.build/release/ecofund"
fi

work="$ROOT/.build-bench"
server_pid=""
service_pid=""
cleanup() {
    for pid in $server_pid $service_pid; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    for cluster in "$work"/*/pg; do [ -d "$cluster" ] && pg_stop "$cluster"; done
    return 0
}
trap cleanup EXIT
cleanup
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"

for section in "${sections[@]}"; do
    case $section in
    allocator)
        # Three rounds of 21, interleaved with the build before the change when BENCH_ALLOCATOR_BEFORE names one, so
        # that a noisy spell of the machine falls on both alike; the figure is the median of the rounds' medians.
        say "allocator: 10,000 recipients, 5 factors, one tranche (3 rounds of 21)"
        runs=() before_runs=()
        for round in 1 2 3; do
            if [ -n "${BENCH_ALLOCATOR_BEFORE:-}" ]; then
                before_runs+=("$("$BENCH_ALLOCATOR_BEFORE" bench allocate --recipients 10000 --repeats 21)")
            fi
            runs+=("$("$binary" bench allocate --recipients 10000 --repeats 21)")
            echo "${runs[-1]}"
        done
        # The median over rounds of one measurement's round medians, and their range.
        rounds() {
            local name=$1
            shift
            printf '%s\n' "$@" | sed -n "s/^$name .*median_ms=\([0-9.]*\).*/\1/p" | sort -n \
                | awk '{ v[NR] = $1 } END { printf "%s ms (rounds %s–%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
        }
        {
            echo "| measurement | measured | target |"
            echo "| --- | --- | --- |"
            echo "| allocate 10,000 recipients × 5 factors, one tranche (median of 3 × 21) | $(rounds allocate "${runs[@]}") | < 30 ms |"
            echo "| write that allocation's derivations as JSON, as a run stores them (median of 3 × 21) | $(rounds encode-derivations "${runs[@]}") | < 150 ms |"
            echo "| baseline, same run: the same allocation through JSONEncoder (sorted keys) | $(rounds encode-derivations-jsonencoder "${runs[@]}") | (baseline) |"
            if [ ${#before_runs[@]} -gt 0 ]; then
                echo "| before, same run, interleaved (\`$(basename "$BENCH_ALLOCATOR_BEFORE")\`): allocate | $(rounds allocate "${before_runs[@]}") | (before) |"
                echo "| before, same run, interleaved: derivations JSON | $(rounds encode-derivations "${before_runs[@]}") | (before) |"
            fi
        } >"$work/allocator.md"
        ;;
    service) source "$ROOT/Scripts/bench/service.sh" ;;
    export) source "$ROOT/Scripts/bench/export.sh" ;;
    console) source "$ROOT/Scripts/bench/console.sh" ;;
    esac
    # Replace this section of BENCHMARKS.md (or add it), stamped with when, where and what it measured.
    python3 - "$section" "$work/$section.md" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(swift --version 2>/dev/null | head -n 1)" <<'PY'
import pathlib, re, sys
section, body, date, commit, machine = sys.argv[1], pathlib.Path(sys.argv[2]).read_text(), *sys.argv[3:]
path = pathlib.Path("BENCHMARKS.md")
text = path.read_text() if path.exists() else ""
if not text.startswith("# Benchmarks"):
    text = ("# Benchmarks\n\nWritten by `Scripts/bench.sh` on a release build; each section by its own run. Reproduce "
            "with `Scripts/bench.sh all` (or name the sections: allocator, service, export, console).\n")
block = (f"<!-- section:{section} -->\n## {section}\n\n- measured {date} at commit {commit}\n- machine: {machine}\n\n"
         f"{body.rstrip()}\n<!-- /section:{section} -->")
pattern = re.compile(rf"<!-- section:{section} -->.*?<!-- /section:{section} -->", re.S)
text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
path.write_text(text)
PY
    echo
    cat "$work/$section.md"
    echo
    say "wrote the $section section of BENCHMARKS.md"
done
