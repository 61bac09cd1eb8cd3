#!/usr/bin/env bash
# Crash campaign: kill -9 curator at random points during ingest, dreaming
# and approval, then check that nothing was lost, doubled or half written:
# `store verify` and `audit verify` pass, every input event is stored exactly
# once after a rerun, every diff has all its hunks, and every approval either
# landed in the store and in the database or in neither (a rerun finishes it).
#   CRASH_KILLS=N (default 36: 12 per phase) sets the number of kills.
. "$(dirname "$0")/lib.sh"
KILLS=${CRASH_KILLS:-36}
PER=$(( (KILLS + 2) / 3 ))
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"
RNG_SEED=${CRASH_SEED:-$$}
RANDOM=$RNG_SEED
echo "crash campaign: $KILLS kills, seed $RNG_SEED"
done_kills=0

# kill_at ARGS...: starts curator ARGS (the binary itself, so the kill hits it), kills it with SIGKILL after a random 0-40 ms
# (or lets it finish if it is faster), and reports whether it was killed.
kill_at() {
        "$CURATOR" "$@" >/dev/null 2>&1 &
        local pid=$!
        local us=$((RANDOM % 40000))
        sleep "$(printf '0.%06d' "$us")"
        if kill -9 "$pid" 2>/dev/null; then
                done_kills=$((done_kills + 1))
        fi
        wait "$pid" 2>/dev/null || true
}

consistent() {
        local what=$1
        expect_status 0 cur store verify
        [ "$(cat "$T/out" | tail -1)" ] || true
        expect_status 0 cur audit verify
        # no diff is half written: every diff has hunks numbered 1..n
        expect_eq "$(sql "select count(*) from diffs d where (select count(*) from hunks h where h.diff_id=d.id) = 0 or (select max(idx) from hunks h where h.diff_id=d.id) != (select count(*) from hunks h where h.diff_id=d.id)")" 0 \
                "$what: no half-written diff"
        expect_eq "$(sql "select count(*) from (select session_id, event_id from events group by 1, 2 having count(*) > 1)")" 0 \
                "$what: no doubled event"
}

cur init >/dev/null
cur principals add root --role admin >/dev/null

# A large enough input that kills land mid-file: 40,000 events in 40 files.
python3 - "$T/in" <<'PY'
import json, os, sys
d = sys.argv[1]; os.makedirs(d)
for f in range(40):
    with open(f"{d}/sesn_crash{f:03d}.jsonl", "w") as out:
        for i in range(1000):
            kind = i % 4
            e = {"id": f"sevt_c{f:03d}_{i:05d}", "processed_at": f"2026-11-0{1 + f % 9}T10:{i // 60 % 60:02d}:{i % 60:02d}Z"}
            if kind == 0:
                e.update(type="user.message", content=[{"type": "text", "text": f"Remember: always run check-{f}-{i % 50} before deploy-{i % 7}."}])
            elif kind == 1:
                e.update(type="agent.tool_use", name="bash", input={"command": f"make t{i % 9}"})
            elif kind == 2:
                e.update(type="agent.tool_result", tool_use_id=f"sevt_c{f:03d}_{i - 1:05d}", is_error=(i % 13 == 0),
                         content=[{"type": "text", "text": "error: target not found" if i % 13 == 0 else "ok"}])
            else:
                e.update(type="agent.message", content=[{"type": "text", "text": f"done {i}"}])
            out.write(json.dumps(e) + "\n")
PY
EXPECTED=40000

# Phase 1: ingest, killed at random points, then rerun to completion.
for _ in $(seq "$PER"); do
        kill_at ingest --quiet --scope crash "$T/in"
done
consistent "after killed ingests"
expect_status 0 cur ingest --json --scope crash "$T/in"
expect_eq "$(sql 'select count(*) from events')" "$EXPECTED" "every input event stored exactly once"
expect_eq "$(sql "select count(distinct session_id || '/' || event_id) from events")" "$EXPECTED" "no event doubled"
expect_eq "$(sql 'select sum(events) from sessions')" "$EXPECTED" "session counts match the events"

# Phase 2: dreaming, killed at random points (a held lease expires: we use a short one via the clock).
cur ingest --quiet "$SAMPLES/claude-code"
for _ in $(seq "$PER"); do
        kill_at dream
        # a killed pass leaves its lease; move the clock past it, as time would
        sql "update leases set expires_ms = 0"
done
consistent "after killed passes"
expect_status 0 cur dream --json
expect_eq "$(sql "select count(*) from dream_watermarks w where last_seq < (select max(e.seq) from events e join sessions s on s.id = e.session_id where s.scope = w.scope)")" 0 \
        "a rerun reads every scope up to its last event"
expect_eq "$(sql "select count(distinct scope) from sessions")" "$(sql "select count(*) from dream_watermarks")" \
        "every scope has a watermark"
expect_eq "$(sql "select count(*) from diffs where state in ('pending','partially_approved') group by scope having count(*) > 1")" "" \
        "at most one open diff per scope"

# Phase 3: approvals, killed at random points; a rerun of the same approval finishes it.
for _ in $(seq "$PER"); do
        D=$(sql "select id from diffs where state in ('pending','partially_approved') limit 1")
        [ -n "$D" ] || break
        H=$(sql "select idx from hunks where diff_id=$D and state='pending' and blocked=0 limit 1")
        [ -n "$H" ] || { sql "update diffs set state='rejected' where id=$D"; continue; }
        kill_at review approve "$D" --hunks "$H" --as root
        cur review approve "$D" --hunks "$H" --as root >/dev/null 2>&1 || true
        C=$(sql "select commit_id from hunks where diff_id=$D and idx=$H")
        expect_eq "${C:+set}" set "diff $D hunk $H approved after the rerun"
        if [ -n "$C" ]; then
                expect_eq "$(git -C "$CURATOR_HOME/store.git" cat-file -t "$C" 2>/dev/null)" commit "its commit is in the store"
                expect_eq "$(git -C "$CURATOR_HOME/store.git" log --format=%H main | grep -c "$C")" 1 "and on main"
        fi
done
consistent "after killed approvals"
# every store commit of an approval is recorded against its hunks, once
expect_eq "$(git -C "$CURATOR_HOME/store.git" log --format=%H --grep '^Diff-Id:' main | wc -l)" \
        "$(sql "select count(distinct commit_id) from hunks where commit_id is not null")" \
        "approval commits in the store = approvals recorded"
expect_status 0 cur store verify
echo "kills that landed: $done_kills"
CHECKS=$((CHECKS + 1))
if [ "$done_kills" -lt $((KILLS / 3)) ]; then fail "only $done_kills of $KILLS kills landed mid-run"; fi
finish
