#!/usr/bin/env bash
# End to end: erasure of a data subject. Holds block it (and say which);
# the dry run changes nothing; the real run leaves no trace of the subject
# in any object, file or database page (git fsck --unreachable empty, a
# search of every object and a byte search of the home empty); every other
# memory keeps its history (authors, dates, messages, trailers, contents,
# number of commits); old commit ids map to new ones; it is audited with
# hashes only. Then kill -9 at random points of an erasure, repeated: the
# repository is never missing an object, the subject is either fully there
# or fully gone from reachable history, and a rerun finishes the job.
. "$(dirname "$0")/lib.sh"
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"
WRITE="$(dirname "$CURATOR")/store_write"
SUBJECT="Quentin Zorblatt"
SESSION=a0a0a0a0-0000-4000-8000-0000000000aa
GIT() { git -C "$CURATOR_HOME/store.git" "$@"; }

# Every trace of the subject anywhere under the home (case-insensitive).
traces() {
        local home=$1 n=0
        sqlite3 "$home/curator.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
        n=$(grep -rlai "zorblatt" "$home" | wc -l)
        n=$((n + $(git -C "$home/store.git" cat-file --batch-all-objects --batch | grep -ai -c "zorblatt" || true)))
        echo "$n"
}

# After a kill: store verify may report only that the index lags main (a
# state the next write heals), never an unreadable object or a bad file.
verify_after_kill() {
        set +e
        "$CURATOR" store verify --json >"$T/verify.json" 2>"$T/verify.err"
        set -e
        CHECKS=$((CHECKS + 1))
        if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); bad=[p for p in d["problems"] if p["kind"]!="index"]; sys.exit(1 if bad else 0)' "$T/verify.json" 2>/dev/null; then
                fail "$1: store verify: $(head -c 600 "$T/verify.json") $(head -c 300 "$T/verify.err")"
        fi
}

# The history of one memory: per commit that touched it, author, dates,
# subject, trailers (less the erased Evidence) and the file's blob.
history_of() {
        local id=$1 hex=${1#mem-}
        GIT log --format='%H' main | while read -r c; do
                local p
                p=$( { GIT ls-tree -r --name-only "$c" -- memories; GIT ls-tree -r --name-only "$c~1" -- memories 2>/dev/null; } | grep -m1 -- "-$hex.md" || true)
                [ -n "$p" ] || continue
                local now before
                now=$(GIT rev-parse -q --verify "$c:$p" 2>/dev/null || echo none)
                before=$(GIT rev-parse -q --verify "$c~1:$p" 2>/dev/null || echo none)
                [ "$now" != "$before" ] || continue
                printf '%s|%s|%s|%s|%s|%s\n' "$(GIT log -1 --format='%an <%ae> %ad' "$c")" \
                        "$(GIT log -1 --format='%cn <%ce> %cd' "$c")" "$(GIT log -1 --format=%s "$c")" \
                        "$(GIT log -1 --format='%(trailers:only,unfold)' "$c" | grep -v -e "^Evidence: $SESSION/a0a0a0a0-0000-4000-8000-000000000001" -e "^Evidence: $SESSION/a0a0a0a0-0000-4000-8000-000000000003" | tr '\n' ';')" \
                        "$now" "$p"
        done
}

cur init >/dev/null
cur principals add root --role admin >/dev/null
cur principals add carol --role compliance >/dev/null
cur principals add ann --role owner >/dev/null
cur ingest --quiet --scope support "$SAMPLES/managed-agents"
cur ingest --quiet "$SAMPLES/claude-code"
cat >"$T/zorb.jsonl" <<'EOF'
{"type":"user","uuid":"a0a0a0a0-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"a0a0a0a0-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-20T09:00:00.000Z","message":{"role":"user","content":"Remember: Quentin Zorblatt wants every invoice sent by post, never by email."}}
{"type":"user","uuid":"a0a0a0a0-0000-4000-8000-000000000002","parentUuid":"a0a0a0a0-0000-4000-8000-000000000001","sessionId":"a0a0a0a0-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-20T09:01:00.000Z","message":{"role":"user","content":"Remember: the staging database is reset every Monday at 06:00."}}
{"type":"user","uuid":"a0a0a0a0-0000-4000-8000-000000000003","parentUuid":"a0a0a0a0-0000-4000-8000-000000000002","sessionId":"a0a0a0a0-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-20T09:02:00.000Z","message":{"role":"user","content":"Remember: refunds for Quentin Zorblatt need a second approver."}}
EOF
cur ingest --quiet "$T/zorb.jsonl"
cur dream >/dev/null
for d in $(sql "select id from diffs order by id"); do cur review approve "$d" --as root >/dev/null; done
# More history: a memory that mentions the subject only in an old version,
# one that mentions it only in its newest, one commit touching an erased
# and a kept memory, and untouched memories updated several times.
A=mem-aaaa000000000001; Bm=mem-bbbb000000000002; C=mem-cccc000000000003; D=mem-dddd000000000004
"$WRITE" "$CURATOR_HOME" --as priya add shop "Quentin ZORBLATT asked for paper invoices" $A >/dev/null
"$WRITE" "$CURATOR_HOME" --as priya update $A "A customer asked for paper invoices" >/dev/null
"$WRITE" "$CURATOR_HOME" --as sam add support "Escalate chargebacks to the payments team" $Bm >/dev/null
"$WRITE" "$CURATOR_HOME" --as sam add support "Weekly report goes out on Fridays" $C >/dev/null
"$WRITE" "$CURATOR_HOME" --as sam update $C "Weekly report goes out on Fridays at noon" >/dev/null
"$WRITE" "$CURATOR_HOME" --as priya update $Bm "Escalate chargebacks (ask Quentin Zorblatt first)" add support "Backups run nightly at 02:00" $D >/dev/null
"$WRITE" "$CURATOR_HOME" --as sam update $C "Weekly report goes out on Fridays at 12:00 UTC" update $D "Backups run nightly at 02:00 UTC" >/dev/null
# An approval that conflicts leaves its blob behind, unreachable: the erasure must take it too.
BASE=$(GIT rev-parse main~3)
"$WRITE" "$CURATOR_HOME" --base "$BASE" update $C "Zorblatt reports go to the archive" >/dev/null 2>&1 || true
expect_eq "$(sql "select count(*) from events where text like '%Zorblatt%'")" 2 "setup: the subject is in two events"
[ "$(traces "$CURATOR_HOME")" -gt 0 ] || fail "setup: the subject is in the store"

ERASED_WANT=$(for c in $(GIT rev-list main); do GIT grep -il zorblatt "$c" -- memories 2>/dev/null || true; done | sed 's/.*-\([0-9a-f]\{16\}\)\.md$/mem-\1/' | sort -u)
expect_eq "$(echo "$ERASED_WANT" | wc -l)" 4 "setup: four memories mention the subject somewhere in history"
ALL_IDS=$(for c in $(GIT rev-list main); do GIT ls-tree -r --name-only "$c" -- memories; done | sed 's/.*-\([0-9a-f]\{16\}\)\.md$/mem-\1/' | sort -u)
KEPT=$(comm -23 <(echo "$ALL_IDS") <(echo "$ERASED_WANT"))
for id in $KEPT; do history_of "$id" >"$T/before.$id"; done
COMMITS_BEFORE=$(GIT rev-list --count main)
OLD_HEAD=$(GIT rev-parse main)

# A hold on the session blocks the erasure, naming the hold; nothing changes.
expect_status 0 cur hold add --session "$SESSION" --reason "pending dispute" --as carol
expect_status 1 cur forget --subject "$SUBJECT" --as carol
expect_grep "legal hold 1 on session $SESSION" "$T/err" "the refusal names the hold"
expect_eq "$(GIT rev-parse main)" "$OLD_HEAD" "a held erasure changes nothing"
expect_status 0 cur hold remove --session "$SESSION" --as carol
expect_status 2 cur forget --subject "$SUBJECT" --as ann
expect_grep "only compliance and admin" "$T/err" "owners may not erase"
expect_status 2 cur forget --pattern "(" --as carol
expect_grep "does not compile" "$T/err" "a bad pattern is refused"

# The dry run finds it all and changes nothing.
OBJS_BEFORE=$(GIT count-objects -v | md5sum)
expect_status 0 cur forget --subject "$SUBJECT" --dry-run --json --as carol
cp "$T/out" "$T/dry.json"
expect_eq "$(python3 -c 'import json,sys; print("\n".join(sorted(m["id"] for m in json.load(open(sys.argv[1]))["memories"])))' "$T/dry.json")" "$ERASED_WANT" "the dry run finds every memory that ever mentioned the subject"
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["events"]))' "$T/dry.json")" 2 "and both events"
expect_eq "$(GIT rev-parse main)" "$OLD_HEAD" "the dry run leaves main"
expect_eq "$(GIT count-objects -v | md5sum)" "$OBJS_BEFORE" "the dry run writes no object"
CHECKS=$((CHECKS + 1))
if grep -qi zorblatt "$T/dry.json"; then fail "the dry run prints the subject"; fi

# The erasure.
expect_status 0 cur forget --subject "$SUBJECT" --json --as carol
cp "$T/out" "$T/real.json"
CHECKS=$((CHECKS + 1))
if grep -qi zorblatt "$T/real.json" "$T/err"; then fail "forget prints the subject"; fi
NEW_HEAD=$(GIT rev-parse main)
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["new_head"])' "$T/real.json")" "$NEW_HEAD" "main is the rewritten head"
expect_eq "$(traces "$CURATOR_HOME")" 0 "no trace of the subject in store.git objects, files or curator.db"
expect_eq "$(GIT fsck --full --unreachable --no-reflogs 2>&1 | grep -c . || true)" 0 "git fsck: no unreachable object, no problem"
expect_eq "$(find "$CURATOR_HOME/store.git/objects" -type f | grep -vc '/pack/pack-' || true)" 0 "one pack, no loose object"
expect_eq "$(find "$CURATOR_HOME/store.git/logs" -type f 2>/dev/null | wc -l)" 0 "no reflog"
for id in $ERASED_WANT; do
        CHECKS=$((CHECKS + 1))
        if for c in $(GIT rev-list main); do GIT ls-tree -r --name-only "$c"; done | grep -q -- "-${id#mem-}.md"; then fail "$id is still in history"; fi
done
expect_eq "$(sql "select count(*) from events where text like '%orblatt%' or raw like '%orblatt%'")" 0 "events erased"
expect_eq "$(sql "select count(*) from events where session_id='$SESSION'")" 1 "the other event of the session stays"
expect_eq "$(sql "select count(*) from hunks where new_text like '%orblatt%' or old_text like '%orblatt%' or path like '%orblatt%'")" 0 "hunks scrubbed"
expect_status 0 cur store verify

# Everything else keeps its history exactly.
for id in $KEPT; do
        history_of "$id" >"$T/after.$id"
        expect_eq "$(cat "$T/after.$id")" "$(cat "$T/before.$id")" "history of $id"
        [ -s "$T/after.$id" ] || fail "history of $id is empty"
done
expect_grep "^Evidence: $SESSION/a0a0a0a0-0000-4000-8000-000000000002$" <(GIT log --format=%B main) "evidence of a kept memory stays"
expect_no_grep "a0a0a0a0-0000-4000-8000-000000000001" <(GIT log --format=%B main) "evidence naming an erased event is dropped"
DROPPED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commits_dropped"])' "$T/real.json")
expect_eq "$(GIT rev-list --count main)" "$((COMMITS_BEFORE - DROPPED))" "only commits that touched erased memories alone are gone"
[ "$DROPPED" -ge 2 ] || fail "expected the commits that only touched erased memories to be dropped, got $DROPPED"

# Old ids map to new ones; the database's commit ids follow.
expect_eq "$(sql "select new_commit from commit_map where old_commit='$OLD_HEAD'")" "$NEW_HEAD" "the old head maps to the new head"
for c in $(sql "select distinct commit_id from hunks where commit_id is not null"); do
        GIT cat-file -e "$c^{commit}" 2>/dev/null || fail "hunk commit $c no longer exists"
done

# Audit and report: hashes and counts, never the subject.
DETAIL=$(sql "select detail from audit_log where action='retention.forget'")
python3 - "$DETAIL" "$T/real.json" <<'PY' || fail "the audit entry lacks counts or hashes"
import json, sys
d, r = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
assert d["memories"] == len(r["memories"]) == 4 and d["events"] == len(r["events"]) == 2
assert sorted(m["sha256"] for m in d["memory_hashes"]) == sorted(m["sha256"] for m in r["memories"])
assert d["new_head"] == r["new_head"]
PY
expect_status 0 cur audit verify
expect_status 0 cur purge report --json
expect_eq "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[-1]; print(r["kind"], r["state"], r["memories"], r["events"])' "$T/out")" "forget done 4 2" "purge report lists the erasure"

# A second erasure of the same subject finds nothing and leaves a clean store.
expect_status 0 cur forget --subject "$SUBJECT" --json --as carol
expect_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["memories"]), len(d["events"]))' "$T/out")" "0 0" "nothing left to erase"
expect_eq "$(GIT rev-parse main)" "$NEW_HEAD" "main stays"
expect_eq "$(GIT fsck --full --unreachable --no-reflogs 2>&1 | grep -c . || true)" 0 "still clean"

# ---- kill -9 at random points ----
# A bigger store so an erasure takes long enough to be interrupted anywhere.
export CURATOR_HOME="$T/kill"
cur init >/dev/null
cur principals add carol --role compliance >/dev/null
"$WRITE" "$CURATOR_HOME" --repeat 150 add ops "Routine operations note" >/dev/null
"$WRITE" "$CURATOR_HOME" --repeat 20 add crm "Quentin Zorblatt account note" >/dev/null
"$WRITE" "$CURATOR_HOME" --repeat 150 add ops "More operations notes" >/dev/null
cp -a "$CURATOR_HOME" "$T/pristine"
START=$(date +%s%N)
cur forget --subject "$SUBJECT" --as carol >/dev/null
DUR_MS=$(( ($(date +%s%N) - START) / 1000000 ))
echo "one erasure of the kill store takes ${DUR_MS} ms"
GONE=0; THERE=0
for i in $(seq 1 20); do
        rm -rf "$CURATOR_HOME"
        cp -a "$T/pristine" "$CURATOR_HOME"
        DELAY_MS=$(( RANDOM % (DUR_MS + 20) ))
        "$CURATOR" forget --subject "$SUBJECT" --as carol >/dev/null 2>&1 &
        PID=$!
        sleep "$(printf '0.%03d' "$DELAY_MS")"
        kill -9 "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        CHECKS=$((CHECKS + 1))
        if ! GIT fsck --full --no-reflogs --connectivity-only >"$T/fsck" 2>&1 || grep -q "missing" "$T/fsck"; then
                fail "kill after ${DELAY_MS} ms: the repository is missing objects: $(head -5 "$T/fsck")"
        fi
        verify_after_kill "kill after ${DELAY_MS} ms"
        N=$(GIT log -p main | grep -ci zorblatt || true)
        if [ "$N" -eq 0 ]; then GONE=$((GONE + 1)); else THERE=$((THERE + 1)); fi
        CHECKS=$((CHECKS + 1))
        if [ "$N" -ne 0 ] && [ "$(GIT rev-parse main)" != "$(git -C "$T/pristine/store.git" rev-parse main)" ]; then
                fail "kill after ${DELAY_MS} ms: main moved but the subject is still reachable"
        fi
        # The rerun finishes the job, whatever state the kill left.
        expect_status 0 cur forget --subject "$SUBJECT" --as carol
        expect_eq "$(traces "$CURATOR_HOME")" 0 "kill after ${DELAY_MS} ms, then a rerun: no trace"
        expect_eq "$(GIT fsck --full --unreachable --no-reflogs 2>&1 | grep -c . || true)" 0 "kill after ${DELAY_MS} ms, then a rerun: fsck clean"
        expect_status 0 cur store verify
        expect_eq "$(sql "select count(*) from purges where state not in ('done', 'abandoned')")" 0 "kill after ${DELAY_MS} ms, then a rerun: no erasure left pending"
done
echo "kill -9 campaign: subject gone at kill time in $GONE runs, still there in $THERE"

# Writers during an erasure: they wait for it (the writers' lock) and land
# on top of the rewritten history; nothing is lost, nothing is left dangling.
rm -rf "$CURATOR_HOME"
cp -a "$T/pristine" "$CURATOR_HOME"
(
        ok=0
        for i in $(seq 1 12); do
                if "$WRITE" "$CURATOR_HOME" --as sam add ops "Concurrent note $i" >/dev/null 2>&1; then ok=$((ok + 1)); fi
        done
        echo "$ok" >"$T/writes_ok"
) &
WRITER=$!
sleep 0.05
expect_status 0 cur forget --subject "$SUBJECT" --as carol
wait "$WRITER"
CHECKS=$((CHECKS + 1))
if ! GIT fsck --full --no-reflogs >"$T/fsck" 2>&1; then fail "writers during an erasure: fsck: $(head -5 "$T/fsck")"; fi
expect_eq "$(GIT ls-tree -r --name-only main -- memories/ops | grep -c 'concurrent-note' || true)" "$(cat "$T/writes_ok")" "every write that succeeded is at head"
[ "$(cat "$T/writes_ok")" -gt 0 ] || fail "no concurrent write succeeded"
expect_eq "$(GIT log -p main | grep -ci zorblatt || true)" 0 "the subject is gone with writers around"
expect_status 0 cur store verify

# And at each named point of an erasure (CURATOR_TEST_KILL_AT makes the
# process SIGKILL itself there): before main moves the old state must stand
# whole; after, the new one; a rerun always finishes the job.
OLD_MAIN=$(git -C "$T/pristine/store.git" rev-parse main)
for point in packed recorded moved applied indexes-deleted deleted; do
        rm -rf "$CURATOR_HOME"
        cp -a "$T/pristine" "$CURATOR_HOME"
        expect_status 137 env CURATOR_TEST_KILL_AT=$point "$CURATOR" forget --subject "$SUBJECT" --as carol
        CHECKS=$((CHECKS + 1))
        if ! GIT fsck --full --no-reflogs --connectivity-only >"$T/fsck" 2>&1; then
                fail "killed at $point: the repository is missing objects: $(head -5 "$T/fsck")"
        fi
        verify_after_kill "killed at $point"
        N=$(GIT log -p main | grep -ci zorblatt || true)
        case $point in
        packed | recorded)
                expect_eq "$(GIT rev-parse main)" "$OLD_MAIN" "killed at $point: main is the old head"
                [ "$N" -gt 0 ] || fail "killed at $point: the old history lost the subject"
                ;;
        *)
                expect_eq "$N" 0 "killed at $point: the subject is gone from reachable history" ;;
        esac
        expect_status 0 cur forget --subject "$SUBJECT" --as carol
        expect_eq "$(traces "$CURATOR_HOME")" 0 "killed at $point, then a rerun: no trace"
        expect_eq "$(GIT fsck --full --unreachable --no-reflogs 2>&1 | grep -c . || true)" 0 "killed at $point, then a rerun: fsck clean"
        expect_status 0 cur store verify
        expect_eq "$(sql "select count(*) from purges where state not in ('done', 'abandoned')")" 0 "killed at $point, then a rerun: nothing left pending"
        expect_eq "$(sql "select count(*) from audit_log where action = 'retention.forget'")" "$(case $point in packed | recorded) echo 1 ;; *) echo 2 ;; esac)" "killed at $point: the erasure is audited once per applied run"
done
finish
