#!/usr/bin/env bash
# Scan throughput: curator scan vs rg -P with the same regexes vs secretlint
# (preset-recommend), on one generated mixed corpus, in one run.
# usage: bench/scan/run.sh [MEGABYTES]   (default 100)
# Needs: a built curator (CURATOR=path, default build-rules/bin/curator), rg
# (Debian ripgrep), python3, npm (secretlint is installed under bench/out/).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MB=${1:-100}
OUT="$ROOT/bench/out/scan"
CURATOR=${CURATOR:-$ROOT/build-rules/bin/curator}
CORPUS="$OUT/corpus-${MB}mb"
mkdir -p "$OUT"

if [ ! -d "$CORPUS" ]; then
        python3 "$ROOT/bench/scan/gen_corpus.py" "$CORPUS" "$MB"
fi
BYTES=$(du -sb "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -type f | wc -l)

# seconds CMD...: wall time of CMD (exit status 0 or 1 both count as success).
seconds() {
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >"$OUT/last.out" 2>"$OUT/last.err" || [ $? -le 1 ] || { cat "$OUT/last.err" >&2; return 1; }
        t1=$(date +%s.%N)
        python3 -c "print(f'{$t1 - $t0:.3f}')"
}

# --- curator: one worker per CPU (the default), and pinned to one CPU ---
seconds "$CURATOR" scan --rules "$ROOT/rules" --json "$CORPUS" >/dev/null # warm the page cache
T_CUR=$(seconds "$CURATOR" scan --rules "$ROOT/rules" --json "$CORPUS")
N_CUR=$(wc -l <"$OUT/last.out")
T_CUR1=$(seconds taskset -c 0 "$CURATOR" scan --rules "$ROOT/rules" --json "$CORPUS")

# --- rg -P with the same regexes ---
# One alternation of all 138 rules exceeds PCRE2's compiled-pattern size, so
# the regexes are packed greedily into the fewest groups rg will compile and
# rg runs once per group; the reported time is the sum.
python3 "$ROOT/bench/scan/rg_patterns.py" "$ROOT/rules" >"$OUT/patterns.txt"
rm -rf "$OUT/groups" && mkdir -p "$OUT/groups"
g=0
: >"$OUT/groups/0"
while IFS= read -r p; do
        cp "$OUT/groups/$g" "$OUT/try"
        printf '%s\n' "$p" >>"$OUT/try"
        rc=0
        rg -P --no-config -q -f "$OUT/try" /dev/null 2>/dev/null || rc=$?
        if [ "$rc" -ge 2 ] && [ -s "$OUT/groups/$g" ]; then
                g=$((g + 1))
                printf '%s\n' "$p" >"$OUT/groups/$g"
        else
                mv "$OUT/try" "$OUT/groups/$g"
        fi
done <"$OUT/patterns.txt"
NGROUPS=$((g + 1))
rg_all() {
        for f in "$OUT"/groups/*; do rg -P --no-config -c "$@" -f "$f" "$CORPUS" || [ $? -le 1 ]; done
}
rg_all >/dev/null 2>&1 || true
T_RG=$(seconds rg_all)
T_RG1=$(seconds rg_all -j1)

# --- secretlint ---
SL="$ROOT/bench/out/secretlint"
T_SL=""
SL_NOTE=""
if [ ! -x "$SL/node_modules/.bin/secretlint" ]; then
        mkdir -p "$SL"
        (cd "$SL" && npm init -y >/dev/null && npm install secretlint @secretlint/secretlint-rule-preset-recommend >/dev/null 2>&1) ||
                SL_NOTE="npm install of secretlint failed"
fi
if [ -z "$SL_NOTE" ]; then
        printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' >"$SL/.secretlintrc.json"
        SL_VERSION=$("$SL/node_modules/.bin/secretlint" --version)
        T_SL=$(cd "$SL" && seconds "$SL/node_modules/.bin/secretlint" --secretlintrc "$SL/.secretlintrc.json" \
                --format json "$CORPUS/**/*") || SL_NOTE="secretlint failed: $(head -c 300 "$OUT/last.err")"
fi

python3 - "$BYTES" "$FILES" "$T_CUR" "$N_CUR" "$T_RG" "$T_RG1" "$NGROUPS" "${T_SL:-}" "${SL_NOTE:-}" "${SL_VERSION:-}" "$T_CUR1" "$(nproc)" <<'PY'
import sys
b, files, tc, nc, trg, trg1, ng, tsl, note, slv, tc1, ncpu = sys.argv[1:13]
b = int(b); mb = b / 1e6
tc, trg, trg1, tc1 = float(tc), float(trg), float(trg1), float(tc1)
print(f'corpus: {mb:.1f} MB in {files} files, {ncpu} CPUs')
print(f'curator scan ({ncpu} workers): {tc:.2f} s  {mb/tc:.1f} MB/s  {nc} findings')
print(f'curator scan (taskset -c 0, 1 worker): {tc1:.2f} s  {mb/tc1:.1f} MB/s')
print(f'rg -P, same regexes in {ng} groups (default threads): {trg:.2f} s  {mb/trg:.1f} MB/s  -> curator = {trg/tc:.1f}x rg (1 worker vs rg -j1: {trg1/tc1:.1f}x)')
print(f'rg -P, same regexes, -j1: {trg1:.2f} s  {mb/trg1:.1f} MB/s')
if tsl:
    tsl = float(tsl)
    print(f'secretlint {slv} preset-recommend: {tsl:.2f} s  {mb/tsl:.2f} MB/s  -> curator = {tsl/tc:.1f}x secretlint (1 worker: {tsl/tc1:.1f}x)')
else:
    print(f'secretlint: not measured ({note})')
PY
