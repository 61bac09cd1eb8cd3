#!/usr/bin/env bash
# Bad input and a bad environment get a clear error and no partial state:
# truncated files, invalid UTF-8, deep JSON nesting, a full disk (a small
# tmpfs home), a read-only home, a locked database. Needs root (mounts), as
# the test command runs.
. "$(dirname "$0")/lib.sh"
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"

# what a failed command must not change (the audit log may record the attempt)
counts() { sql "select (select count(*) from events)||'/'||(select count(*) from sessions)||'/'||(select count(*) from diffs)||'/'||(select count(*) from hunks where state='approved')"; }

# --- truncated file, invalid UTF-8, deep nesting: rejected lines, the rest stored
cur init >/dev/null
{
        printf '{"id":"sevt_t1","type":"agent.message","processed_at":"2026-11-01T00:00:00Z"}\n'
        printf '{"id":"sevt_t2","type":"agent.message","processed_at":"2026-11-01T00:00:01Z","content":[{"type":"te\xff\xfe"}]}\n'
        python3 -c 'print("[" * 100000 + "]" * 100000)'
        python3 -c 'print("{\"id\":\"sevt_deep\",\"type\":\"x.y\",\"a\":" + "{\"b\":" * 5000 + "1" + "}" * 5000 + "}")'
        printf '{"id":"sevt_t3","type":"agent.message","processed_at":"2026-11-01T00:00:02Z"}\n'
        printf '{"id":"sevt_t4","type":"agent.mess'
} >"$T/sesn_trunc.jsonl"
expect_status 1 cur ingest --json "$T/sesn_trunc.jsonl"
expect_eq "$(json_field "$T/out" events)" 2 "the good lines of a bad file are stored"
expect_eq "$(json_field "$T/out" rejected)" 4 "bad UTF-8, two deep nestings and a truncated last line are rejected"
expect_grep "sesn_trunc.jsonl:2: rejected: invalid UTF-8 at byte" "$T/err" "invalid UTF-8 named"
expect_grep "sesn_trunc.jsonl:3: rejected: invalid JSON" "$T/err" "deep array nesting named"
expect_grep "sesn_trunc.jsonl:4: rejected: invalid JSON" "$T/err" "deep object nesting named"
expect_grep "sesn_trunc.jsonl:6: rejected: invalid JSON" "$T/err" "a truncated last line named"

# --- a full disk: a 4 MiB tmpfs home
FULL="$T/full"
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=4m tmpfs "$FULL" 2>"$T/mount.err"; then
        fail "cannot mount a tmpfs for the full-disk case (run the tests as root): $(cat "$T/mount.err")"
        finish
fi
BG_PIDS+=()
trap 'umount "$FULL" 2>/dev/null || true; cleanup' EXIT
export CURATOR_HOME="$FULL/home"
cur init >/dev/null
cur ingest --quiet --scope support "$SAMPLES/managed-agents"
cur principals add root --role admin >/dev/null
BEFORE=$(counts)
python3 - "$T/sesn_big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write(json.dumps({"id": f"sevt_big{i:06d}", "type": "agent.message", "processed_at": "2026-11-02T00:00:00Z",
                            "content": [{"type": "text", "text": "x" * 200 + str(i)}]}) + "\n")
PY
expect_status 2 cur ingest "$T/sesn_big.jsonl"
expect_grep "database or disk is full" "$T/err" "a full disk is named"
expect_eq "$(counts)" "$BEFORE" "nothing of the failed file is stored, nothing else is lost"
expect_status 0 cur audit verify
# dreaming and approving on a full disk fail cleanly too
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null || true
expect_status 2 cur dream
rm -f "$FULL/filler"
expect_eq "$(counts)" "$BEFORE" "a failed pass leaves no diff"
cur dream >/dev/null
D=$(sql "select id from diffs limit 1")
BEFORE=$(counts)
HEAD_BEFORE=$(git -C "$CURATOR_HOME/store.git" rev-parse main)
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null || true
expect_status 2 cur review approve "$D" --as root
rm -f "$FULL/filler"
expect_eq "$(git -C "$CURATOR_HOME/store.git" rev-parse main)" "$HEAD_BEFORE" "no store commit on a full disk"
expect_eq "$(counts)" "$BEFORE" "no approval recorded"
expect_status 0 cur store verify
expect_status 0 cur audit verify
# with room again, the same commands finish the work
mount -o remount,size=64m "$FULL"
expect_status 0 cur ingest --json "$T/sesn_big.jsonl"
expect_eq "$(json_field "$T/out" events)" 40000 "the rerun stores the file whole"
expect_status 0 cur review approve "$D" --as root
expect_status 0 cur store verify

# --- a read-only home: a clear error, nothing written
mount -o remount,ro "$FULL"
expect_status 2 cur ingest "$SAMPLES/claude-code"
expect_grep "is not writable (Read-only file system)" "$T/err" "a read-only home is named"
mount -o remount,rw "$FULL"
expect_eq "$(sql "select count(*) from sessions where format='claude-code'")" 0 "nothing was written"

# --- a locked database: another process holds the write lock
printf '\n[database]\nbusy_timeout_ms = 300\n' >>"$CURATOR_HOME/curator.conf"
BEFORE=$(counts)
( sqlite3 "$CURATOR_HOME/curator.db" "BEGIN IMMEDIATE; SELECT 1;" ".shell sleep 3" "COMMIT;" >/dev/null ) &
LOCKER=$!
sleep 0.5
expect_status 2 cur ingest "$SAMPLES/claude-code"
expect_grep "database is locked" "$T/err" "a locked database is named"
wait "$LOCKER" || true
expect_eq "$(counts)" "$BEFORE" "nothing half-written while locked"
expect_status 0 cur ingest --quiet "$SAMPLES/claude-code"
expect_status 0 cur audit verify
umount "$FULL"
trap cleanup EXIT
finish
