#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for
# SECONDS (default 5: the CI smoke run; docs/RELIABILITY.md has the long run).
# New inputs go to a temp corpus, never into the repository; a crash stops
# the run with the harness's name and the reproducer's path.
#   bash tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-5}
CC=clang cmake -S . -B build-fuzz -DCURATOR_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
WORK=$(mktemp -d /tmp/curator-fuzz.XXXXXX)
trap 'rm -rf "$WORK" /tmp/curator-fuzz-ingest-* /tmp/curator-fuzz-mcp-* /tmp/curator-fuzz-rules-*' EXIT
status=0
for h in build-fuzz/bin/fuzz_*; do
        name=$(basename "$h")
        mkdir -p "$WORK/$name/corpus" "$WORK/$name/crash"
        if ! "$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
                -artifact_prefix="$WORK/$name/crash/" -print_final_stats=1 \
                "$WORK/$name/corpus" "tests/fuzz/corpus/$name" >"$WORK/$name/log" 2>&1; then
                echo "FUZZ FAIL $name: reproducer(s) in tests/fuzz/found/$name/"
                mkdir -p "tests/fuzz/found/$name"
                cp "$WORK/$name/crash/"* "tests/fuzz/found/$name/" 2>/dev/null || true
                grep -E "ERROR|SUMMARY|runtime error" "$WORK/$name/log" | head -5
                status=1
        else
                runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$WORK/$name/log" | grep -oE '[0-9]+$')
                cov=$(grep -oE 'cov: [0-9]+' "$WORK/$name/log" | tail -1)
                echo "fuzz ok   $name: ${runs:-?} runs in ${SECONDS_EACH}s, $cov"
        fi
done
exit $status
