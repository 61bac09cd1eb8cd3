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

# seconds CMD...: prints "WALL CPU" in seconds for CMD (CPU = user + system,
# children included; exit status 0 or 1 both count as success). CPU time is
# the steadier figure on a shared machine.
seconds() {
        /usr/bin/time -f "%e %U %S" -o "$OUT/last.time" "$@" >"$OUT/last.out" 2>"$OUT/last.err" ||
                [ $? -le 1 ] || { cat "$OUT/last.err" >&2; return 1; }
        # GNU time puts "Command exited with non-zero status" first when it does
        tail -n 1 "$OUT/last.time" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
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
cat >"$OUT/rg_all.sh" <<EOS
#!/usr/bin/env bash
for f in "$OUT"/groups/*; do rg -P --no-config -c "\$@" -f "\$f" "$CORPUS" || [ \$? -le 1 ]; done
EOS
chmod +x "$OUT/rg_all.sh"
T_RG=$(seconds "$OUT/rg_all.sh")
T_RG1=$(seconds "$OUT/rg_all.sh" -j1)

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

python3 - "$BYTES" "$FILES" "$T_CUR" "$N_CUR" "$T_RG" "$T_RG1" "$NGROUPS" "${T_SL:-}" "${SL_NOTE:-}" "${SL_VERSION:-}" "$T_CUR1" "$(nproc)" "$(uptime)" <<'PY'
import sys
b, files, tc, nc, trg, trg1, ng, tsl, note, slv, tc1, ncpu, up = sys.argv[1:14]
mb = int(b) / 1e6
def pair(x):
    w, c = x.split()
    return float(w), float(c)
(tc, cc), (trg, crg), (trg1, crg1), (tc1, cc1) = pair(tc), pair(trg), pair(trg1), pair(tc1)
print(f'corpus: {mb:.1f} MB in {files} files; {ncpu} CPUs; load after the run: {up.split("load average:")[-1].strip()}')
print(f'wall s / CPU s (MB/s by wall time)')
print(f'curator scan, {ncpu} workers:            {tc:7.2f} / {cc:7.2f}  ({mb/tc:6.1f} MB/s)  {nc} findings')
print(f'curator scan, taskset -c 0 (1 worker):  {tc1:7.2f} / {cc1:7.2f}  ({mb/tc1:6.1f} MB/s)')
print(f'rg -P, same regexes ({ng} groups):       {trg:7.2f} / {crg:7.2f}  ({mb/trg:6.1f} MB/s)')
print(f'rg -P -j1, same regexes:                {trg1:7.2f} / {crg1:7.2f}  ({mb/trg1:6.1f} MB/s)')
if tsl:
    tsl, csl = pair(tsl)
    print(f'secretlint {slv} preset-recommend:  {tsl:7.2f} / {csl:7.2f}  ({mb/tsl:6.2f} MB/s)')
print('ratios (other tool time / curator time):')
print(f'  vs rg -P:       wall {trg/tc:.1f}x ({ncpu} workers vs rg default), {trg1/tc1:.1f}x (1 worker vs rg -j1); CPU {crg/cc:.1f}x')
if tsl:
    print(f'  vs secretlint:  wall {tsl/tc:.1f}x ({ncpu} workers), {tsl/tc1:.1f}x (1 worker); CPU {csl/cc:.1f}x')
else:
    print(f'  secretlint: not measured ({note})')
PY
