#!/usr/bin/env bash
# End to end: ingest → dream → review show → approve part → the store holds
# exactly the approved hunks with the right author and trailers; ownership
# refusals; edits; blocked text; a conflict on a moved base; unrelated moves
# merged; rejected hunks never reach the store; the audit chain catches an
# altered or removed row.
. "$(dirname "$0")/lib.sh"
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"

cur init >/dev/null
cur ingest --quiet --scope support "$SAMPLES/managed-agents"
cur ingest --quiet "$SAMPLES/claude-code"
cur principals add root --role admin >/dev/null
cur principals add priya --role owner >/dev/null
cur principals add sam --role owner --scopes support >/dev/null
cur principals add bot --role agent >/dev/null
cur groups add shop-team priya >/dev/null
printf '* @admins\nmemories/shop/ @shop-team\nmemories/support/ sam\n' >"$T/OWNERS"
expect_status 2 cur owners set "$T/OWNERS" --as priya
expect_grep "only an admin may change OWNERS" "$T/err" "OWNERS is admin-only"
expect_status 0 cur owners set "$T/OWNERS" --as root
cur dream >/dev/null
SHOP=$(sql "select id from diffs where scope='shop'")
SUPPORT=$(sql "select id from diffs where scope='support'")

expect_status 0 cur review list --json
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out")" 2 "two open diffs"
expect_status 0 cur review list --mine --as sam
expect_grep "support" "$T/out" "sam's queue has support"
expect_no_grep " shop " "$T/out" "and not shop"

expect_status 0 cur review show "$SHOP" --json
python3 - "$T/out" <<'PY' || fail "review show --json lacks fields"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["hunks"][0]
for k in ("idx", "op", "memory_id", "path", "rationale", "confidence", "findings", "owners", "diff", "evidence", "state"):
    assert k in h, k
ev = h["evidence"][0]
for k in ("session", "time", "role", "text"):
    assert k in ev, k
assert h["diff"].startswith("--- /dev/null\n+++ b/memories/shop/"), h["diff"]
PY
expect_status 0 cur review show "$SHOP"
expect_grep "evidence 7f3c2a10" "$T/out" "evidence with session"

# Ownership: sam is limited to support; bot is an agent; priya does not own support.
expect_status 2 cur review approve "$SHOP" --hunks 1 --as sam
expect_grep "sam may review the scopes support, not shop" "$T/err" "scope-limited principal"
expect_status 2 cur review approve "$SHOP" --hunks 1 --as bot
expect_grep "only owners and admins review" "$T/err" "agents cannot approve"
expect_status 2 cur review approve "$SUPPORT" --hunks 1 --as priya
expect_grep "it is owned by sam (OWNERS line 3)" "$T/err" "the refusal names the owner"
expect_status 2 cur review approve "$SHOP" --hunks 99 --as priya
expect_grep "has no hunk 99" "$T/err" "unknown hunk"

# A hunk the rules blocked (an injection planted for future agents) can never be approved, even by an admin.
BLK=$(sql "select idx from hunks where diff_id=$SHOP and blocked=1 limit 1")
expect_eq "${BLK:+yes}" yes "the shop diff has a blocked hunk"
expect_status 2 cur review approve "$SHOP" --hunks "$BLK" --as root
expect_grep "is blocked by the rules" "$T/err" "blocked: refused, and said so"

# An edit that carries a secret of a blocking kind is refused; a clean edit lands.
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDx3Wq7sZVh0l0r8bYlqj3hX2vYbB6m8cQ0yHkP1a9dZgAAAJgAAAAAAAAA\n-----END OPENSSH PRIVATE KEY-----\n' >"$T/bad-edit.txt"
expect_status 2 cur review approve "$SHOP" --hunks 1 --as priya --edit 1 "$T/bad-edit.txt"
expect_grep "is blocked by rule" "$T/err" "a blocked edit is refused"
printf 'Run the narrow test file first; the full suite only before pushing.\n' >"$T/edit.txt"

HEAD0=$(git -C "$CURATOR_HOME/store.git" rev-parse main)
expect_status 0 cur review approve "$SHOP" --hunks 1,2 --as priya --edit 1 "$T/edit.txt"
C1=$(git -C "$CURATOR_HOME/store.git" rev-parse main)
expect_grep "store commit $C1" "$T/out" "approve prints the commit"
expect_eq "$(git -C "$CURATOR_HOME/store.git" rev-list --count "$HEAD0..$C1")" 1 "one commit for the approved hunks"
expect_eq "$(git -C "$CURATOR_HOME/store.git" log -1 --format=%an "$C1")" priya "authored by the approver"
expect_grep "Diff-Id: $SHOP" <(git -C "$CURATOR_HOME/store.git" log -1 --format=%B "$C1") "Diff-Id trailer"
expect_grep "Approved-By: priya" <(git -C "$CURATOR_HOME/store.git" log -1 --format=%B "$C1") "Approved-By trailer"
expect_grep "Dream-Run: 1" <(git -C "$CURATOR_HOME/store.git" log -1 --format=%B "$C1") "Dream-Run trailer"
expect_grep "Evidence: 7f3c2a10" <(git -C "$CURATOR_HOME/store.git" log -1 --format=%B "$C1") "Evidence trailers"
expect_eq "$(git -C "$CURATOR_HOME/store.git" diff --name-only "$HEAD0" "$C1" | wc -l)" 2 "exactly the approved hunks"
expect_eq "$(git -C "$CURATOR_HOME/store.git" grep -c 'Run the narrow test file first; the full suite' "$C1" -- memories | wc -l)" 1 "the edited text is what landed"
expect_eq "$(sql "select state from diffs where id=$SHOP")" partially_approved "partially approved"
expect_eq "$(sql "select count(*) from audit_log where action='review.edit'")" 1 "the edit is audited"

# Reject with a reason; rejected hunks never reach the store.
REJ_TEXT=$(sql "select new_text from hunks where diff_id=$SHOP and idx=3")
expect_status 2 cur review reject "$SHOP" --hunks 3 --as priya
expect_grep "needs a reason" "$T/err" "a rejection needs a reason"
expect_status 0 cur review reject "$SHOP" --hunks 3 --as priya --reason "one-off"
CHECKS=$((CHECKS + 1))
if git -C "$CURATOR_HOME/store.git" grep -qF "$REJ_TEXT" main -- memories 2>/dev/null; then fail "a rejected hunk reached the store"; fi
expect_status 2 cur review approve "$SHOP" --hunks 3 --as priya
expect_grep "hunk 3 of diff $SHOP is already rejected" "$T/err" "a decided hunk cannot be decided again"

# Unrelated moves are merged: support's diff was proposed before C1.
expect_status 0 cur review approve "$SUPPORT" --as sam
expect_eq "$(sql "select state from diffs where id=$SUPPORT")" approved "all hunks approved: approved"

# The rest of the shop diff: reject everything left → the diff ends (not all rejected: approved).
expect_status 0 cur review reject "$SHOP" --as priya --reason "not durable"
expect_eq "$(sql "select state from diffs where id=$SHOP")" approved "some approved, rest rejected: approved"
expect_eq "$(sql "select group_concat(to_state, ',') from diff_transitions where diff_id=$SHOP order by id")" \
        "pending,partially_approved,approved" "every transition recorded"

# Conflict: a new pass proposes an update of a memory that then moves under it.
MEM=$(sql "select memory_id from hunks where diff_id=$SHOP and idx=2")
cat >"$T/contra.jsonl" <<'JSONL'
{"type":"user","uuid":"c0c0c0c0-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"c0c0c0c0-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-20T09:00:00.000Z","message":{"role":"user","content":"Remember: the release branch is no longer `integration`; the release branch is `release/2026`."}}
JSONL
cur ingest --quiet "$T/contra.jsonl"
cur dream >/dev/null
NEWD=$(sql "select id from diffs where scope='shop' and state='pending'")
UPD=$(sql "select idx from hunks where diff_id=$NEWD and op='update' and memory_id='$MEM'")
expect_eq "${UPD:+yes}" yes "the pass proposes an update of the contradicted memory"
expect_status 0 cur memories revert "$C1" --as root
expect_status 1 cur review approve "$NEWD" --hunks "$UPD" --as priya
expect_grep "conflicts with the store" "$T/err" "a moved base is a conflict"
expect_eq "$(sql "select state from diffs where id=$NEWD")" conflicted "the diff is marked conflicted"

# Two reviewers approve the same hunk at the same moment, from two processes:
# exactly one commit lands, the other is told the hunk is already decided, and
# the diff is not marked conflicted.
cat >"$T/race.jsonl" <<'JSONL'
{"id":"sevt_race1","type":"user.message","processed_at":"2026-11-21T09:00:00Z","content":[{"type":"text","text":"Remember: refunds over 200 EUR need a second approver."}]}
JSONL
cur ingest --quiet --scope support --session sesn_race "$T/race.jsonl"
cur dream >/dev/null
RACE=$(sql "select id from diffs where scope='support' and state='pending'")
HEAD_R=$(git -C "$CURATOR_HOME/store.git" rev-parse main)
"$CURATOR" review approve "$RACE" --hunks 1 --as sam >"$T/r1.out" 2>&1 &
P1=$!
"$CURATOR" review approve "$RACE" --hunks 1 --as root >"$T/r2.out" 2>&1 &
P2=$!
S1=0; S2=0
wait "$P1" || S1=$?
wait "$P2" || S2=$?
expect_eq "$(( (S1 == 0) + (S2 == 0) ))" 1 "exactly one concurrent approval succeeds"
cat "$T/r1.out" "$T/r2.out" >"$T/race.out"
CHECKS=$((CHECKS + 1))
grep -qE "already approved|is approved, not open for review" "$T/race.out" || fail "the other is not told the hunk is decided: $(cat "$T/race.out")"
expect_eq "$(git -C "$CURATOR_HOME/store.git" rev-list --count "$HEAD_R..main")" 1 "one commit, not two"
expect_eq "$(sql "select state from diffs where id=$RACE")" approved "the diff is approved, not conflicted"

# The audit log: intact, then an altered row and a removed row are named.
expect_status 0 cur audit verify
expect_grep "audit log intact" "$T/out" "intact chain"
for a in ingest dream review.approve review.reject review.edit memories.revert owners.set review.conflict; do
        expect_eq "$(sql "select count(*) > 0 from audit_log where action='$a'")" 1 "audit has $a"
done
expect_eq "$(sql "select detail from audit_log" | grep -cF "$REJ_TEXT")" 0 "no content in the audit log"
cp "$CURATOR_HOME/curator.db" "$T/pristine.db"
sql "drop trigger audit_log_no_update; update audit_log set actor='mallory' where id=4"
expect_status 1 cur audit verify
expect_grep "BROKEN at row 4: its content does not match its hash" "$T/out" "altered row named"
cp "$T/pristine.db" "$CURATOR_HOME/curator.db"; rm -f "$CURATOR_HOME/curator.db-wal" "$CURATOR_HOME/curator.db-shm"
sql "drop trigger audit_log_no_delete; delete from audit_log where id=3"
expect_status 1 cur audit verify
expect_grep "BROKEN at row 4: row 4 follows row 2: row 3 is missing" "$T/out" "removed row named"
finish
