#!/usr/bin/env bash
# End to end: retention purges by class against an injected clock
# (CURATOR_NOW), events retention with a per-scope override, legal holds on
# a memory, a scope and a session (skipped and named), the dry run listing
# exactly what the real run removes, one store commit and one transaction,
# the purge report, and audit entries with hashes and no content.
. "$(dirname "$0")/lib.sh"
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"
WRITE="$(dirname "$CURATOR")/store_write"
GIT() { git -C "$CURATOR_HOME/store.git" "$@"; }
SHOP_HELD=7f3c2a10-5b1e-4c8d-9a2f-0e6b1d4c3a21

export CURATOR_NOW=2026-11-10T00:00:00Z
cur init >/dev/null
cat >"$CURATOR_HOME/curator.conf" <<'EOF'
[retention]
session = 30d
standard = 365d
pinned = never
events = 30d

[store]
default_retention = standard

[scope-retention]
shop = session
support = session
tmp = session
keep = pinned

[events-retention]
support = events
EOF
cur ingest --quiet --scope support "$SAMPLES/managed-agents"
cur ingest --quiet "$SAMPLES/claude-code"
cur principals add root --role admin >/dev/null
cur principals add carol --role compliance >/dev/null
cur principals add ann --role owner >/dev/null
cur dream >/dev/null
for d in $(sql "select id from diffs order by id"); do cur review approve "$d" --as root >/dev/null; done
for i in 1 2 3; do "$WRITE" "$CURATOR_HOME" add tmp "Scratch note number $i for the sprint" >/dev/null; done
"$WRITE" "$CURATOR_HOME" add keep "Pinned fact: the warehouse closes on Sundays" >/dev/null
TMP1=$(sql "select id from store_memories where scope='tmp' order by id limit 1")
[ "$(sql "select count(*) from store_memories where scope='shop'")" -gt 3 ] || fail "the review flow gave too few shop memories"

# Who may hold and purge.
expect_status 2 cur hold add --memory "$TMP1" --reason "case 7" --as ann
expect_grep "only compliance and admin" "$T/err" "an owner may not place holds"
expect_status 2 cur hold add --memory "$TMP1" --as carol
expect_grep "needs a --reason" "$T/err" "a hold needs a reason"
expect_status 2 cur hold add --memory mem-0000000000000000 --reason x --as carol
expect_grep "does not exist" "$T/err" "a hold on a missing memory is refused"
expect_status 2 cur purge --as ann
expect_grep "only compliance and admin" "$T/err" "an owner may not purge"

# Holds: a memory (front matter too), a scope, a session.
HEAD0=$(GIT rev-parse main)
expect_status 0 cur hold add --memory "$TMP1" --reason "litigation 2026-114" --as carol
TMP1_PATH=$(sql "select path from store_memories where id='$TMP1'")
expect_grep "^legal_hold: true" <(GIT show "main:$TMP1_PATH") "the store shows the memory's hold"
expect_grep "^expires: 2026-12-10T00:00:00.000Z" <(GIT show "main:$TMP1_PATH") "a hold does not restart the retention clock"
expect_eq "$(GIT log -1 --format=%an main)" carol "the hold commit is authored by the principal"
expect_status 0 cur hold add --scope support --reason "regulator inquiry" --as carol
expect_status 0 cur hold add --session "$SHOP_HELD" --reason "customer dispute" --as carol
expect_status 2 cur hold add --scope support --reason again --as carol
expect_grep "already under legal hold" "$T/err" "a second hold on the same scope is refused"
expect_status 0 cur hold list --json
expect_eq "$(python3 -c 'import json,sys; print(sorted(h["kind"] for h in json.load(open(sys.argv[1]))))' "$T/out")" \
        "['memory', 'scope', 'session']" "three holds in force"

# Before anything expires: the clock decides.
export CURATOR_NOW=2026-12-05T00:00:00Z
expect_status 0 cur purge --dry-run --json --as carol
expect_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["memories"]), len(d["events"]))' "$T/out")" "0 0" "nothing is due on Dec 5"

# After expiry: the dry run, then the real run, must list the same things.
export CURATOR_NOW=2026-12-20T00:00:00Z
expect_status 0 cur purge --dry-run --json --as carol
cp "$T/out" "$T/dry.json"
expect_status 0 cur purge --dry-run --as carol
cp "$T/out" "$T/dry.txt"
expect_grep "skipped memory $TMP1: legal hold 1 on memory $TMP1 (by carol" "$T/dry.txt" "the held memory is named with its hold"
expect_grep "events of session $SHOP_HELD: legal hold 3 on session $SHOP_HELD" "$T/dry.txt" "the held session's events are named"
expect_grep "events of session sesn_01HQ7Z3K8N5W2VXR4T6YB9CDEF: legal hold 2 on scope support" "$T/dry.txt" "the held scope's events are named"
# What the plan must hold, counted independently from the database.
WANT_EVENTS=$(sql "select count(*) from events e join sessions s on s.id=e.session_id where s.scope='shop' and e.session_id != '$SHOP_HELD'")
WANT_MEMS=$(( $(sql "select count(*) from store_memories where scope='shop' and sources not like '%$SHOP_HELD/%'") + 2 ))
HELD_MEMS=$(( $(sql "select count(*) from store_memories where scope='support' or (scope='shop' and sources like '%$SHOP_HELD/%')") + 1 ))
python3 - "$T/dry.json" "$WANT_MEMS" "$WANT_EVENTS" "$HELD_MEMS" <<'PY' || fail "the dry run plan is not what the clock and holds give"
import json, sys
d = json.load(open(sys.argv[1]))
want_m, want_e, held_m = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
assert len(d["memories"]) == want_m, (len(d["memories"]), want_m)
assert len(d["events"]) == want_e, (len(d["events"]), want_e)
assert all(m["scope"] in ("shop", "tmp") for m in d["memories"]), d["memories"]
assert sum(1 for s in d["skipped"] if s["kind"] == "memory") == held_m, d["skipped"]
assert {s["hold"] for s in d["skipped"] if s["kind"] == "events"} == {2, 3}, d["skipped"]
assert d["dry_run"] is True
PY
EVENTS_BEFORE=$(sql "select count(*) from events")
expect_status 0 cur purge --json --as carol
cp "$T/out" "$T/real.json"
python3 - "$T/dry.json" "$T/real.json" <<'PY' || fail "the real run did not remove exactly what the dry run listed"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("memories", "events", "skipped", "memories_sha256", "events_sha256", "clock", "head"):
    assert a[k] == b[k], k
assert b["dry_run"] is False and b["purge"] == 1
PY
PURGE_COMMIT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$T/real.json")
expect_eq "$(GIT rev-parse main)" "$PURGE_COMMIT" "main is the purge commit"
expect_eq "$(GIT rev-list --count "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["head"])' "$T/real.json")..main")" 1 "the memories went in one commit"
expect_eq "$(GIT log -1 --format=%an main)" carol "the purge commit is authored by the principal"
expect_grep "^Purge-Id: 1$" <(GIT log -1 --format=%B main) "Purge-Id trailer"
expect_eq "$(GIT log -1 --format='%(trailers:key=Purge-Id,valueonly)' main | head -1)" 1 "git reads Purge-Id as a trailer"
expect_eq "$(GIT diff --name-status main~1 main | grep -c '^D')" "$WANT_MEMS" "the commit deletes exactly the planned memories"
expect_eq "$(GIT diff --name-status main~1 main | grep -vc '^D')" 0 "and changes nothing else"
expect_eq "$(sql "select count(*) from events")" "$((EVENTS_BEFORE - WANT_EVENTS))" "the planned events are deleted"
expect_eq "$(sql "select count(*) from events where session_id='$SHOP_HELD'")" 26 "held session's events stay"
expect_eq "$(sql "select count(*) from store_memories where id='$TMP1'")" 1 "the held memory stays"
expect_eq "$(sql "select count(*) from store_memories where scope='keep'")" 1 "a pinned memory never expires"
expect_status 0 cur store verify

# A second run finds nothing more; holds still named.
expect_status 0 cur purge --dry-run --json --as carol
expect_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["memories"]), len(d["events"]), len(d["skipped"]) > 0)' "$T/out")" "0 0 True" "nothing left but held items"

# Releasing a hold makes its items due; the memory's front matter follows.
expect_status 0 cur hold remove --scope support --reason "inquiry closed" --as carol
expect_status 0 cur hold remove --memory "$TMP1" --as carol
expect_grep "^legal_hold: false" <(GIT show "main:$TMP1_PATH") "releasing clears legal_hold"
expect_status 2 cur hold remove --memory "$TMP1" --as carol
expect_grep "is not under legal hold" "$T/err" "releasing twice is refused"
expect_status 0 cur hold list --all --json
expect_eq "$(python3 -c 'import json,sys; print(sum(1 for h in json.load(open(sys.argv[1])) if "released_at" in h))' "$T/out")" 2 "released holds stay on record"
expect_status 0 cur purge --dry-run --json --as carol
expect_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted({m["scope"] for m in d["memories"]}), sorted({e["scope"] for e in d["events"]}))' "$T/out")" \
        "['support', 'tmp'] ['support']" "released scope and memory are due"

# The report and the audit log: counts and hashes, never content.
expect_status 0 cur purge report --json
python3 - "$T/out" "$T/real.json" <<'PY' || fail "purge report does not match the purge"
import json, sys
rows, real = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert len(rows) == 1, rows
r = rows[0]
assert (r["kind"], r["state"], r["actor"]) == ("purge", "done", "carol"), r
assert r["memories"] == len(real["memories"]) and r["events"] == len(real["events"]), r
assert r["memories_sha256"] == real["memories_sha256"] and r["new_head"] == real["commit"], r
PY
expect_status 0 cur purge report
expect_grep "1 purge  done" "$T/out" "text report"
DETAIL=$(sql "select detail from audit_log where action='retention.purge'")
python3 - "$DETAIL" "$T/real.json" <<'PY' || fail "the audit entry lacks the counts and hashes"
import json, sys
d, real = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
assert d["memories"] == len(real["memories"]) and d["events"] == len(real["events"])
assert d["memories_sha256"] == real["memories_sha256"] and d["events_sha256"] == real["events_sha256"]
assert {m["id"]: m["sha256"] for m in d["memory_hashes"]} == {m["id"]: m["sha256"] for m in real["memories"]}
PY
# Each memory hash is the SHA-256 of the file the purge removed.
python3 -c 'import json,sys; [print(m["id"], m["path"], m["sha256"]) for m in json.load(open(sys.argv[1]))["memories"]]' "$T/real.json" >"$T/hashes"
while read -r id path hash; do
        expect_eq "$(GIT show "$PURGE_COMMIT~1:$path" | sha256sum | cut -d' ' -f1)" "$hash" "hash of $id"
        BODY=$(GIT show "$PURGE_COMMIT~1:$path" | sed -n '/^---$/,$p' | tail -n 1)
        CHECKS=$((CHECKS + 1))
        if sql "select detail from audit_log" | grep -qF "$BODY"; then fail "memory text in the audit log"; fi
done <"$T/hashes"
for a in hold.add hold.remove retention.purge; do
        expect_eq "$(sql "select count(*) > 0 from audit_log where action='$a'")" 1 "audit has $a"
done
CHECKS=$((CHECKS + 1))
if sql "select detail from audit_log where action like 'hold.%'" | grep -q "litigation"; then fail "a hold reason is in the audit log in clear"; fi
expect_status 0 cur audit verify

# A kill at each point of a purge: a rerun finishes it or starts over, and
# the memories never go in two commits.
cur purge --dry-run --json --as carol >"$T/due.json"
read -r DUE_M DUE_E < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["memories"]), len(d["events"]))' "$T/due.json")
[ "$DUE_M" -gt 0 ] && [ "$DUE_E" -gt 0 ] || fail "setup: something must be due for the crash tests"
cp -a "$CURATOR_HOME" "$T/before-crash"
for point in purge-recorded purge-committed; do
        rm -rf "$CURATOR_HOME"
        cp -a "$T/before-crash" "$CURATOR_HOME"
        H0=$(GIT rev-parse main)
        E0=$(sql "select count(*) from events")
        expect_status 137 env CURATOR_TEST_KILL_AT=$point "$CURATOR" purge --as carol
        expect_eq "$(sql "select state from purges order by id desc limit 1")" pending "killed at $point: the purge is pending"
        expect_status 0 cur purge --json --as carol
        expect_eq "$(GIT rev-list --count "$H0..main")" 1 "killed at $point, then a rerun: one purge commit"
        expect_eq "$(GIT diff --name-status "$H0" main | grep -c '^D')" "$DUE_M" "killed at $point, then a rerun: the due memories are gone"
        expect_eq "$(sql "select count(*) from events")" "$((E0 - DUE_E))" "killed at $point, then a rerun: the due events are gone"
        expect_eq "$(sql "select count(*) from purges where state = 'pending'")" 0 "killed at $point, then a rerun: nothing pending"
        case $point in
        purge-recorded) expect_eq "$(sql "select count(*) from purges where state = 'abandoned'")" 1 "an uncommitted purge is abandoned" ;;
        purge-committed) expect_eq "$(sql "select memories || ' ' || events || ' ' || state from purges order by id desc limit 1 offset 1")" "$DUE_M $DUE_E done" "a committed purge is finished by the rerun" ;;
        esac
        expect_status 0 cur store verify
        expect_status 0 cur audit verify
done
finish
