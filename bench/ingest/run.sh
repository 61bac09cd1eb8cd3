#!/usr/bin/env bash
# Ingest benchmark (issue 2): curator's ingest rate against SQLite's own rate
# for loading the same JSON Lines into an equivalent table, in the same run.
#   bash bench/ingest/run.sh [EVENTS]     (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
OUT=bench/out/ingest
mkdir -p "$OUT"
CURATOR=${CURATOR:-build/bin/curator}
DATA="$OUT/sesn_bench.jsonl"
[ -f "$DATA.$N" ] || { python3 bench/ingest/gen.py "$N" "$DATA.$N.tmp" && mv "$DATA.$N.tmp" "$DATA.$N"; }
ln -sf "$(basename "$DATA.$N")" "$DATA"
BYTES=$(stat -c %s "$DATA.$N")
now() { date +%s.%N; }

# SQLite alone: .import the lines, then extract the same columns with
# json_extract into a table shaped like curator's events (same unique key).
rm -f "$OUT/sqlite.db"*
US=$(printf '\037')   # a unit separator: never in JSON text, so each line is one field
t0=$(now)
sqlite3 "$OUT/sqlite.db" <<SQL >/dev/null
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
CREATE TABLE lines(line TEXT);
CREATE TABLE events(seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, event_id TEXT NOT NULL,
  position INTEGER, type TEXT NOT NULL, role TEXT, ts TEXT, text TEXT, tool_name TEXT,
  tool_use_id TEXT, tool_input TEXT, is_error INTEGER, raw TEXT NOT NULL,
  UNIQUE(session_id, event_id));
.mode ascii
.separator "$US" "\n"
.import $DATA.$N lines
BEGIN;
INSERT OR IGNORE INTO events(session_id, event_id, position, type, role, ts, text, tool_name, tool_use_id, tool_input, is_error, raw)
SELECT 'sesn_bench', json_extract(line, '\$.id'), rowid, json_extract(line, '\$.type'),
       CASE WHEN json_extract(line, '\$.type') LIKE 'user.%' THEN 'user' ELSE 'assistant' END,
       json_extract(line, '\$.processed_at'), json_extract(line, '\$.content[0].text'),
       json_extract(line, '\$.name'), json_extract(line, '\$.tool_use_id'),
       json(json_extract(line, '\$.input')), coalesce(json_extract(line, '\$.is_error'), 0), line
FROM lines;
COMMIT;
DROP TABLE lines;
SQL
t1=$(now)
SQLITE_S=$(python3 -c "print($t1 - $t0)")

# curator: a fresh home, rules loaded (every event is scanned and redacted).
rm -rf "$OUT/home"
"$CURATOR" --home "$OUT/home" init >/dev/null
t0=$(now)
"$CURATOR" --home "$OUT/home" ingest --json "$DATA" >"$OUT/curator.json"
t1=$(now)
CUR_S=$(python3 -c "print($t1 - $t0)")
STORED=$(python3 -c "import json; print(json.loads(open('$OUT/curator.json').read().splitlines()[-1])['events'])")

python3 - "$N" "$BYTES" "$SQLITE_S" "$CUR_S" "$STORED" <<'PY'
import sys
n, b, s, c, stored = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"events            {n:,} ({b/1e6:.0f} MB)")
print(f"sqlite3 load      {s:.2f} s  {n/s:,.0f} events/s")
print(f"curator ingest    {c:.2f} s  {n/c:,.0f} events/s  ({stored:,} stored)")
print(f"ratio             {s/c:.2f}x SQLite's own rate")
PY
