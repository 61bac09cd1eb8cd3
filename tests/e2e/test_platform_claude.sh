#!/usr/bin/env bash
# End to end: Claude Code in and out. `curator ingest` on a realistic
# ~/.claude/projects tree (project folders, subagent transcripts in both
# layouts, line types to skip, summaries, an auto-memory folder that is not a
# transcript), and `curator export --format claude-code`: MEMORY.md within the
# 200 lines / 25 KB Claude Code loads, one topic file per memory, swapped in
# whole.
. "$(dirname "$0")/lib.sh"
TREE="$CURATOR_FIXTURES/platform/claude-projects"
STORE_WRITE="$(dirname "$CURATOR")/store_write"
S1=7f3e9a10-5b2c-4d8e-9f01-2a3b4c5d6e01
S2=c0ffee00-1111-4222-8333-444455556666

cur init >/dev/null
cur principals add root --role admin >/dev/null
expect_status 0 cur ingest --json "$TREE"
expect_eq "$(json_field "$T/out" files)" 4 "four transcripts (MEMORY.md and topic files ignored)"
expect_eq "$(json_field "$T/out" lines)" 26 "every line read"
expect_eq "$(json_field "$T/out" events)" 20 "conversation lines stored"
expect_eq "$(json_field "$T/out" skipped)" 6 "snapshot, permission-mode, progress, queue-operation, attachment, unknown type"
expect_eq "$(json_field "$T/out" rejected)" 0 "nothing rejected"
expect_eq "$(json_field "$T/out" sessions)" 2 "subagent lines join their parent's session"
expect_eq "$(sql "select scope from sessions where id='$S1'")" shop "scope from cwd /home/dev/shop"
expect_eq "$(sql "select scope from sessions where id='$S2'")" api "scope from cwd /srv/api"
expect_eq "$(sql "select count(*) from events where session_id='$S1' and is_sidechain=1")" 4 "new-layout subagent transcript"
expect_eq "$(sql "select count(*) from events where session_id='$S2' and is_sidechain=1")" 2 "old-layout subagent transcript"
expect_eq "$(sql "select count(*) from events where session_id='$S1' and type='summary' and text='Checkout total rounding fix'")" 1 "summary kept"
expect_eq "$(sql "select role from events where event_id='u-0008'")" system "isMeta is not the user speaking"
expect_eq "$(sql "select tool_name from events where event_id='u-0003'")" Grep "tool_use"
expect_eq "$(sql "select is_error from events where event_id='v-0003'")" 1 "tool_result error"
expect_status 0 cur ingest --json "$TREE"
expect_eq "$(json_field "$T/out" events)" 0 "a rerun stores nothing new"
expect_eq "$(json_field "$T/out" duplicates)" 20 "every event a duplicate"

# dream → approve → export as Claude Code auto memory
cur dream >/dev/null
for d in $(sql "select id from diffs where state='pending'"); do cur review approve "$d" --as root >/dev/null; done
expect_eq "$(sql "select count(*) from store_memories where scope='shop' and text like '%ROUND_HALF_EVEN%'")" 1 "the remembered rule is a memory"
OUT="$T/export/memory"
mkdir -p "$T/export"
expect_status 0 cur export --format claude-code --scope shop --to "$OUT"
expect_grep "as Claude Code auto memory" "$T/out" "says what it wrote"
expect_eq "$(ls "$OUT" | grep -c '\.md$')" $(($(sql "select count(*) from store_memories where scope='shop'") + 1)) "one topic file per memory + MEMORY.md"
for f in $(sql "select path from store_memories where scope='shop'"); do
        b=$(basename "$f")
        CHECKS=$((CHECKS + 1))
        [ "$(cat "$OUT/$b")" = "$(sql "select text from store_memories where path='$f'")" ] || fail "topic $b holds the memory"
        expect_grep "]($b)" "$OUT/MEMORY.md" "MEMORY.md links $b"
done
expect_eq "$(sql "select count(*) from audit_log where action='memories.export' and detail like '%claude-code%'")" 1 "audited"

# limits: many short memories (lines bind) and long ones (bytes bind)
"$STORE_WRITE" "$CURATOR_HOME" --as root --repeat 130 add many "Short rule" add many "Another short rule" >/dev/null
expect_status 0 cur export --format claude-code --scope many --to "$T/many"
expect_eq "$(ls "$T/many" | wc -l | tr -d ' ')" 261 "260 topic files + MEMORY.md"
LINES=$(wc -l <"$T/many/MEMORY.md"); BYTES=$(wc -c <"$T/many/MEMORY.md")
CHECKS=$((CHECKS + 1)); [ "$LINES" -le 200 ] || fail "MEMORY.md has $LINES lines (> 200)"
CHECKS=$((CHECKS + 1)); [ "$LINES" -ge 190 ] || fail "MEMORY.md uses its room: only $LINES lines"
CHECKS=$((CHECKS + 1)); [ "$BYTES" -le 25000 ] || fail "MEMORY.md has $BYTES bytes"
LISTED=$(grep -c '^- \[' "$T/many/MEMORY.md")
expect_grep "$((260 - LISTED)) more topic files in this folder are not listed" "$T/many/MEMORY.md" "says how many are left out"
LONG="Ünïcode-heavy rule: $(printf 'überprüfe die Rundung ünd die Währung %.0s' $(seq 12))"
"$STORE_WRITE" "$CURATOR_HOME" --as root --repeat 100 add long "$LONG" add long "$LONG again" >/dev/null
expect_status 0 cur export --format claude-code --scope long --to "$T/long"
BYTES=$(wc -c <"$T/long/MEMORY.md")
CHECKS=$((CHECKS + 1)); [ "$BYTES" -le 25000 ] || fail "MEMORY.md has $BYTES bytes (> 25,000)"
CHECKS=$((CHECKS + 1)); [ "$BYTES" -ge 24000 ] || fail "MEMORY.md uses its room: only $BYTES bytes"
python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$T/long/MEMORY.md" || fail "MEMORY.md is valid UTF-8 (titles cut on a character boundary)"
expect_eq "$(ls "$T/long" | wc -l | tr -d ' ')" 201 "every long memory still has its topic file"

# re-export swaps the folder whole: a deleted memory's topic file is gone
GONE=$(sql "select id from store_memories where scope='shop' limit 1")
GONE_FILE=$(basename "$(sql "select path from store_memories where id='$GONE'")")
"$STORE_WRITE" "$CURATOR_HOME" --as root delete "$GONE" >/dev/null
expect_status 0 cur export --format claude-code --scope shop --to "$OUT"
CHECKS=$((CHECKS + 1)); [ ! -e "$OUT/$GONE_FILE" ] || fail "the deleted memory's topic file is gone"
expect_no_grep "$GONE_FILE" "$OUT/MEMORY.md" "and unlisted"
expect_eq "$(ls "$T/export" | wc -l | tr -d ' ')" 1 "no temporary folder left beside it"
expect_status 2 cur export --format nonsense --scope shop --to "$OUT"
expect_status 0 cur export --format memory-tool --scope shop --to "$T/plain"
CHECKS=$((CHECKS + 1)); [ ! -e "$T/plain/MEMORY.md" ] || fail "memory-tool layout has no index"
finish
