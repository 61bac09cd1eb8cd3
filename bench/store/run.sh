#!/usr/bin/env bash
# Store benchmark: 1,000 single-memory commits into a 10,000-memory store,
# curator (libgit2 + rules + SQLite index + compare-and-swap) vs git
# fast-import of the very same commits; reading one memory at head, curator vs
# git cat-file. Usage: bench/store/run.sh [NMEM] [NCOMMITS] [NREADS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NMEM=${1:-10000}
NCOMMITS=${2:-1000}
NREADS=${3:-1000}
NCLI=${NCLI:-200}
BUILD=${BUILD:-$ROOT/build-bench}
WORK=$(mktemp -d /tmp/curator-bench-store.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target curator curator_core >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/curator" "$ROOT/bench/store/bench_store.c" \
        "$BUILD/libcurator_core.a" \
        $(pkg-config --libs sqlite3 libcjson libpcre2-8 libgit2 libcurl libmicrohttpd) -lm -lpthread \
        -o "$WORK/bench_store"
CUR="$BUILD/bin/curator"

H="$WORK/home"
mkdir -p "$H"
if ls "$ROOT"/rules/*.json >/dev/null 2>&1; then RULES="$ROOT/rules"; else RULES="$ROOT/tests/fixtures/store/rules"; fi
printf '[rules]\ndir = %s\n' "$RULES" >"$H/curator.conf"
"$CUR" --home "$H" init >/dev/null
"$WORK/bench_store" seed "$H" "$NMEM" >"$WORK/seed.out"
SEED=$(sed -n 's/^seed_commit=//p' "$WORK/seed.out")

# fast-import starts from the same seeded repository
git clone -q --bare "$H/store.git" "$WORK/fi.git"

"$WORK/bench_store" commits "$H" "$NMEM" "$NCOMMITS" "$WORK/stream" >"$WORK/commits.out"
t0=$(date +%s.%N)
git --git-dir="$WORK/fi.git" fast-import --quiet <"$WORK/stream"
t1=$(date +%s.%N)
FI=$(echo "$t1 - $t0" | bc -l)
CUR_S=$(sed -n 's/^commit_seconds=//p' "$WORK/commits.out")
SAME=no
[ "$(git --git-dir="$WORK/fi.git" rev-parse main)" = "$(git --git-dir="$H/store.git" rev-parse main)" ] && SAME=yes

# reads: in-process API vs git cat-file --batch; one process per read: the CLI vs git cat-file -p
"$WORK/bench_store" reads "$H" "$NMEM" "$NREADS" "$WORK/paths" >"$WORK/reads.out"
API_US=$(sed -n 's/^read_us_each=//p' "$WORK/reads.out")
t0=$(date +%s.%N)
awk '{print "main:" $2}' "$WORK/paths" | git --git-dir="$H/store.git" cat-file --batch >/dev/null
t1=$(date +%s.%N)
BATCH_US=$(echo "($t1 - $t0) * 1000000 / $NREADS" | bc -l)
head -n "$NCLI" "$WORK/paths" >"$WORK/paths.cli"
t0=$(date +%s.%N)
while read -r id path; do "$CUR" --home "$H" memories show "$id" >/dev/null; done <"$WORK/paths.cli"
t1=$(date +%s.%N)
CLI_MS=$(echo "($t1 - $t0) * 1000 / $NCLI" | bc -l)
t0=$(date +%s.%N)
while read -r id path; do git --git-dir="$H/store.git" cat-file -p "HEAD:$path" >/dev/null; done <"$WORK/paths.cli"
t1=$(date +%s.%N)
GIT_MS=$(echo "($t1 - $t0) * 1000 / $NCLI" | bc -l)

CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
printf 'machine: %s CPUs, %s; libgit2 %s, %s\n' "$(nproc)" "$CPU" \
        "$(pkg-config --modversion libgit2)" "$(git --version)"
printf 'rules: %s\n' "$RULES"
printf 'seed: %s memories in one commit: %s s\n' "$NMEM" "$(sed -n 's/^seed_seconds=//p' "$WORK/seed.out")"
printf 'commits: %s single-memory commits into a %s-memory store\n' "$NCOMMITS" "$NMEM"
printf '  curator store_apply_changes: %.3f s (%.2f ms/commit)\n' "$CUR_S" "$(echo "$CUR_S * 1000 / $NCOMMITS" | bc -l)"
printf '  git fast-import, same commits: %.3f s (%.2f ms/commit)\n' "$FI" "$(echo "$FI * 1000 / $NCOMMITS" | bc -l)"
printf '  ratio curator / fast-import: %.1fx; identical resulting commit ids: %s\n' "$(echo "$CUR_S / $FI" | bc -l)" "$SAME"
printf 'reads at head (%s reads in process, %s one process each)\n' "$NREADS" "$NCLI"
printf '  store_read_memory by id: %.1f us; git cat-file --batch: %.1f us; ratio %.2fx\n' "$API_US" "$BATCH_US" "$(echo "$API_US / $BATCH_US" | bc -l)"
printf '  curator memories show: %.2f ms; git cat-file -p HEAD:path: %.2f ms; ratio %.2fx\n' "$CLI_MS" "$GIT_MS" "$(echo "$CLI_MS / $GIT_MS" | bc -l)"
