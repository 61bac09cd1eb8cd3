#!/usr/bin/env bash
# Dreaming benchmark (issue 5): one heuristic pass over N new events with M
# existing memories in the scope; then a pass over 10,000 new events on top of
# everything already read, against the same 10,000 events in a fresh home, to
# show the cost of a pass follows the new events, not all events ever ingested.
#   bash bench/dream/run.sh [N] [M]     (default 1,000,000 and 10,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
M=${2:-10000}
SMALL=10000
OUT=bench/out/dream
mkdir -p "$OUT"
CURATOR=${CURATOR:-build/bin/curator}
STORE_WRITE=${STORE_WRITE:-build/bin/store_write}
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

[ -f "$OUT/events.$N" ] || python3 bench/dream/gen.py events "$N" "$OUT/events.$N"
[ -f "$OUT/small" ] || python3 bench/dream/gen.py events "$SMALL" "$OUT/small" 90000000
[ -f "$OUT/memories.$M" ] || python3 bench/dream/gen.py memories "$M" "$OUT/memories.$M"

# A home with M memories in scope "bench" (64 per commit, through the store API).
seed() {
        local home=$1
        rm -rf "$home"
        "$CURATOR" --home "$home" init >/dev/null
        python3 - "$OUT/memories.$M" "$STORE_WRITE" "$home" <<'PY'
import subprocess, sys
texts = open(sys.argv[1]).read().splitlines()
for i in range(0, len(texts), 64):
    ops = []
    for t in texts[i:i + 64]:
        ops += ["add", "bench", t]
    subprocess.run([sys.argv[2], sys.argv[3], "--as", "seed"] + ops, check=True, stdout=subprocess.DEVNULL)
PY
}

seed "$OUT/home-a"
"$CURATOR" --home "$OUT/home-a" ingest --quiet --scope bench --format managed-agents "$OUT/events.$N"
t0=$(now); "$CURATOR" --home "$OUT/home-a" dream --json >"$OUT/pass-big.json"; t1=$(now)
BIG=$(secs "$t0" "$t1")
"$CURATOR" --home "$OUT/home-a" ingest --quiet --scope bench --format managed-agents "$OUT/small"
t0=$(now); "$CURATOR" --home "$OUT/home-a" dream --json >"$OUT/pass-small-after.json"; t1=$(now)
AFTER=$(secs "$t0" "$t1")

seed "$OUT/home-b"
"$CURATOR" --home "$OUT/home-b" ingest --quiet --scope bench --format managed-agents "$OUT/small"
t0=$(now); "$CURATOR" --home "$OUT/home-b" dream --json >"$OUT/pass-small-fresh.json"; t1=$(now)
FRESH=$(secs "$t0" "$t1")

python3 - "$N" "$M" "$SMALL" "$BIG" "$AFTER" "$FRESH" "$OUT" <<'PY'
import json, sys
n, m, small, big, after, fresh, out = sys.argv[1:]
b = json.loads(open(out + "/pass-big.json").read().splitlines()[-1])
print(f"pass over {int(n):,} new events, {int(m):,} memories: {big} s "
      f"({int(n) / float(big):,.0f} events/s; {b['hunks']} hunks proposed)")
print(f"pass over {int(small):,} new events after {int(n):,} already read: {after} s")
print(f"pass over {int(small):,} new events in a fresh home:          {fresh} s")
print(f"ratio after/fresh: {float(after) / float(fresh):.2f} (1.0 = cost follows new events only)")
PY
