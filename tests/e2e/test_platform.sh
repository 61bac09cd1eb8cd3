#!/usr/bin/env bash
# End to end against a test double of the Managed Agents API
# (tests/tools/fake_platform.py): pull → dream → approve → publish; rerun
# everything (no new event, no platform call); new events at the cursor's
# instant; kill -9 during pull and during publish, then a rerun leaves both
# sides consistent; a path conflict resolved; a memory too large to publish;
# import of a store an agent changed → a pending diff through review (rules
# applied, nothing in the store before approval); a forget that reaches the
# platform (deleted, every version redacted, audited); 429/529 retried and
# bounded; 401/403 stop cleanly; the key never appears anywhere; one beta
# header per call, never both.
. "$(dirname "$0")/lib.sh"
TOOLS="$CURATOR_SOURCE_DIR/tests/tools"
SEED="$CURATOR_FIXTURES/platform/seed.json"
KEY="sk-ant-test-$$-$(date +%s%N)-k3y"
export CURATOR_TEST_PLATFORM_KEY="$KEY"
SCOPE=support-bot
STORE=memstore_01support

# start_platform NAME [ARGS...]: a double on 127.0.0.1; its port in $T/NAME.port
start_platform() {
        local name=$1; shift
        python3 "$TOOLS/fake_platform.py" --seed "$SEED" --log "$T/$name.log" --key "$KEY" \
                --lifetime 400 "$@" >"$T/$name.port" &
        BG_PIDS+=($!)
        for _ in $(seq 300); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
        touch "$T/$name.log"
}
port() { cat "$T/$1.port"; }
calls() { wc -l <"$T/$1.log" | tr -d ' '; }
control() { curl -sf -X POST -H 'content-type: application/json' -d "$3" "http://127.0.0.1:$(port "$1")/_control/$2"; }
# configure HOME_DIR NAME: point a home at a double
configure() {
        printf '\n[platform]\nbase_url = http://127.0.0.1:%s\napi_key_env = CURATOR_TEST_PLATFORM_KEY\npage_limit = 5\nmax_tries = 4\nretry_base_ms = 50\n' \
                "$(port "$2")" >>"$1/curator.conf"
}
# same_as_scope NAME: the double's store holds exactly the scope's memories
same_as_scope() {
        curl -sf "http://127.0.0.1:$(port "$1")/_control/stores/$STORE" >"$T/store.json"
        sql -json "select path, text from store_memories where scope='$SCOPE'" >"$T/scope.json"
        python3 - "$T/store.json" "$T/scope.json" <<'PY'
import json, sys, os
st = json.load(open(sys.argv[1]))["memories"]
raw = open(sys.argv[2]).read().strip()
sc = json.loads(raw) if raw else []
want = {"/" + os.path.basename(r["path"]): r["text"] for r in sc}
have = {p: m["content"] for p, m in st.items()}
if want != have:
    print("platform:", sorted(have), "\nscope:", sorted(want))
    sys.exit(1)
PY
}

# ---- pull → dream → approve → publish ----
start_platform p1
cur init >/dev/null
configure "$CURATOR_HOME" p1
cur principals add root --role admin >/dev/null

expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" sessions)" 3 "three sessions listed"
expect_eq "$(json_field "$T/out" events)" 20 "every event stored"
expect_eq "$(sql "select count(*) from events")" 20 "20 rows"
expect_eq "$(sql "select count(*) from events where session_id='sesn_01supportaaaa'")" 13 "session id from the URL"
expect_eq "$(sql "select count(*) from events where event_id='sevt_dq1queued' and ts is null")" 1 "queued event stored without a time"
expect_eq "$(sql "select scope from sessions where id='sesn_01otheragent'")" "ops-bot" "scope from the agent's name"
expect_eq "$(sql "select last_processed_at from platform_cursors where session_id='sesn_01supportbbbb'")" "2026-09-22T12:04:00Z" "cursor at the newest processed_at"
expect_grep '"calls":6' "$T/out" "1 session list + 5 event pages"

# rerun: the queued event comes back processed (a duplicate, not a double)
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" events)" 0 "no new event"
expect_eq "$(json_field "$T/out" duplicates)" 1 "the queued event seen again"
expect_eq "$(sql "select count(*) from events where event_id='sevt_dq1queued'")" 1 "one row for it"
expect_eq "$(sql "select ts from events where event_id='sevt_dq1queued'")" "2026-09-21T12:10:00.000Z" "now with its processed_at"
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" events)" 0 "third pull: no new event"
expect_eq "$(json_field "$T/out" duplicates)" 0 "third pull: nothing even refetched"

# a new event at exactly the cursor's instant, and a later one
control p1 events '{"session_id":"sesn_01supportaaaa","events":[
 {"id":"sevt_late_same","type":"agent.message","processed_at":"2026-09-21T12:10:00Z","content":[{"type":"text","text":"You are welcome."}]},
 {"id":"sevt_late_next","type":"session.status_idle","processed_at":"2026-09-21T12:11:00Z","stop_reason":{"type":"end_turn"}},
 {"id":"","type":"user.interrupt","processed_at":"2026-09-21T12:11:00Z"}]}' >/dev/null
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" events)" 3 "the new events, the same-instant one and one without an id too"
expect_eq "$(sql "select count(*) from events")" 23 "23 rows"
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" events)" 0 "an event without an id at the cursor's instant is not stored twice"
expect_eq "$(sql "select count(*) from events where type='user.interrupt'")" 1 "one interrupt row"
expect_eq "$(sql "select scope from platform_cursors where session_id='sesn_01otheragent'")" ops-bot "the cursor names the scope ingest chose"
# one session (as a webhook would ask): the session, then its events
expect_status 0 cur pull --session sesn_01otheragent --json
expect_eq "$(json_field "$T/out" sessions)" 1 "--session: one session"
expect_eq "$(json_field "$T/out" calls)" 2 "--session: GET the session, one events page"
# a session deleted between listing and paging is skipped, not fatal
control p1 faults '[{"method":"GET","path":"/v1/sessions/sesn_01supportbbbb/events","status":404,"count":1,"body":{"type":"error","error":{"type":"not_found_error","message":"no such session"}}}]' >/dev/null
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" missing)" 1 "counted as missing"
expect_eq "$(json_field "$T/out" sessions)" 3 "the others pulled"
control p1 faults '[]' >/dev/null

expect_status 0 cur dream --json
DIFF=$(json_field "$T/out" diff_ids | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
expect_status 0 cur review approve "$DIFF" --as root
NMEM=$(sql "select count(*) from store_memories where scope='$SCOPE'")
[ "$NMEM" -ge 2 ] || fail "the dream should give the scope memories, got $NMEM"

expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_eq "$(json_field "$T/out" created)" "$NMEM" "every memory created"
expect_eq "$(json_field "$T/out" calls)" $((NMEM + 1)) "one list + one create each"
same_as_scope p1 || fail "the platform store equals the scope after publish"
expect_eq "$(sql "select count(*) from platform_published where memory_store_id='$STORE'")" "$NMEM" "mapping recorded"
expect_eq "$(sql "select commit_id from platform_publishes")" "$(sql "select head from store_index_state")" "published commit recorded"

# rerun everything: no new event, no platform call for publish
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" events)" 0 "rerun pull: nothing new"
expect_status 0 cur dream --json
expect_eq "$(json_field "$T/out" diffs)" 0 "rerun dream: nothing new"
BEFORE=$(calls p1)
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_eq "$(json_field "$T/out" calls)" 0 "rerun publish: zero calls"
expect_eq "$(json_field "$T/out" up_to_date)" True "rerun publish: up to date"
expect_eq "$(calls p1)" "$BEFORE" "the double saw no call"
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE"
expect_grep "already holds scope $SCOPE" "$T/out" "says it is up to date"
expect_status 2 cur publish --scope other --memory-store "$STORE"
expect_grep "holds scope $SCOPE" "$T/err" "one store, one scope"

# ---- a path conflict: a stale listing, so every create hits an occupied path ----
sql "delete from platform_publishes; delete from platform_published"
control p1 agent_write "{\"store\":\"$STORE\",\"path\":\"$(sql "select '/' || replace(path, 'memories/$SCOPE/', '') from store_memories where scope='$SCOPE' order by path limit 1")\",\"content\":\"edited by an agent\\n\"}" >/dev/null
control p1 faults "[{\"method\":\"GET\",\"path\":\"/v1/memory_stores/$STORE/memories\",\"status\":200,\"count\":1,\"body\":{\"data\":[],\"next_page\":null}}]" >/dev/null
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_eq "$(json_field "$T/out" conflicts)" "$NMEM" "every create answered 409, resolved"
expect_eq "$(json_field "$T/out" updated)" 1 "the one an agent changed is updated with a precondition"
expect_eq "$(json_field "$T/out" unchanged)" $((NMEM - 1)) "the others already held it"
same_as_scope p1 || fail "the store equals the scope after resolving conflicts"
python3 - "$T/p1.log" "$STORE" <<'PY' || fail "a conflict is resolved by an update carrying a precondition"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert any(l["status"] == 409 and l["method"] == "POST" for l in lines)
PY

# ---- a memory too large for the platform is reported, never truncated ----
python3 -c 'print("Large reference table. " + "x" * 102400)' >"$T/big.txt"
"$(dirname "$CURATOR")/store_write" "$CURATOR_HOME" --as root add "$SCOPE" "$(cat "$T/big.txt")" >/dev/null
BIG=$(sql "select id from store_memories where scope='$SCOPE' and length(text) > 102400")
expect_status 1 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_grep "$BIG: larger than 102,400 bytes" "$T/out" "the big memory is reported by id"
curl -sf "http://127.0.0.1:$(port p1)/_control/stores/$STORE" | grep -q "Large reference table" && fail "a truncated copy reached the platform"
expect_eq "$(sql "select count(*) from platform_published where memory_id='$BIG'")" 0 "no mapping for it"
"$(dirname "$CURATOR")/store_write" "$CURATOR_HOME" --as root delete "$BIG" >/dev/null
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
same_as_scope p1 || fail "equal again once it is gone"

# ---- import: an agent changed the store ----
UPD_PATH=$(sql "select '/' || replace(path, 'memories/$SCOPE/', '') from store_memories where scope='$SCOPE' order by path limit 1 offset 1")
AKID="AKI""A7KLFYYLBEG3RHDSV"
SECRET="hP2erU""lgqzX3naCzcF+JcMHqDy7eZ/ZfzqhniCoq"
control p1 agent_write "{\"store\":\"$STORE\",\"path\":\"$UPD_PATH\",\"content\":\"Escalate refunds over 300 EUR to billing (changed by the agent).\\n\"}" >/dev/null
control p1 agent_write "{\"store\":\"$STORE\",\"path\":\"/notes/vip.md\",\"content\":\"VIP customers of Zephyrine Holdings get a callback within 2 hours; the bot key is $AKID.\\n\"}" >/dev/null
control p1 agent_write "{\"store\":\"$STORE\",\"path\":\"/notes/creds.md\",\"content\":\"aws_secret_access_key = $SECRET\\n\"}" >/dev/null
HEAD_BEFORE=$(sql "select head from store_index_state")
expect_status 0 cur import --memory-store "$STORE" --scope "$SCOPE" --as root --json
IMP=$(json_field "$T/out" diff)
expect_eq "$(json_field "$T/out" adds)" 2 "two new paths → two adds"
expect_eq "$(json_field "$T/out" updates)" 1 "one changed memory → one update"
expect_eq "$(json_field "$T/out" blocked)" 1 "the secret key blocks its hunk"
expect_eq "$(json_field "$T/out" memories)" $((NMEM + 2)) "every platform memory read"
expect_eq "$(json_field "$T/out" calls)" $(((NMEM + 2 + 4) / 5)) "pages of 5 (page_limit) with view=full"
expect_grep "view=full" "$T/p1.log" "listed with view=full"
expect_grep "limit=5&view=full" "$T/p1.log" "limit within 20 for view=full"
expect_eq "$(sql "select source || ' ' || state from diffs where id=$IMP")" "import pending" "a pending import diff"
expect_eq "$(sql "select head from store_index_state")" "$HEAD_BEFORE" "nothing reached the store unreviewed"
expect_eq "$(sql "select count(*) from hunks where diff_id=$IMP and new_text like '%$AKID%'")" 0 "the key is redacted in the hunk"
expect_eq "$(sql "select count(*) from hunks where diff_id=$IMP and new_text like '%[REDACTED:aws-access-key-id]%'")" 1 "redaction marker"
expect_eq "$(sql "select count(*) from hunks where diff_id=$IMP and evidence like '%$STORE/mem_%@memver_%'")" 3 "evidence names the platform memory version"
BLOCKED=$(sql "select idx from hunks where diff_id=$IMP and blocked=1")
OK_HUNKS=$(sql "select group_concat(idx, ',') from hunks where diff_id=$IMP and blocked=0")
expect_status 2 cur review approve "$IMP" --hunks "$BLOCKED" --as root
expect_grep "blocked" "$T/err" "the blocked hunk cannot be approved"
# approving the whole diff approves every hunk that is not blocked
expect_status 0 cur review approve "$IMP" --as root
expect_eq "$(sql "select group_concat(idx, ',') from hunks where diff_id=$IMP and state='approved'")" "$OK_HUNKS" \
        "the whole diff: the hunks that are not blocked"
expect_eq "$(sql "select state from hunks where diff_id=$IMP and idx=$BLOCKED")" pending "the blocked hunk stays pending"
expect_status 0 cur review reject "$IMP" --hunks "$BLOCKED" --as root --reason "a credential"
expect_status 0 cur import --memory-store "$STORE" --scope "$SCOPE" --json
expect_eq "$(json_field "$T/out" diff)" 0 "re-import before publishing: approved texts match, nothing new"
expect_eq "$(json_field "$T/out" rejected_before)" 1 "the rejected text is not proposed again"
expect_eq "$(sql "select state from diffs where id=$IMP")" "approved" "the first import diff is left as decided"
expect_eq "$(sql "select count(*) from store_memories where text like 'Escalate refunds over 300 EUR%'")" 1 "the update landed through review"
expect_eq "$(sql "select count(*) from store_memories where text like '%Zephyrine%'")" 1 "the add landed through review"
curl -sf "http://127.0.0.1:$(port p1)/_control/stores/$STORE" >"$T/before.json"
BEFORE=$(calls p1)
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --dry-run --json
expect_eq "$(json_field "$T/out" created)" 1 "dry run: the approved add would be created"
expect_eq "$(json_field "$T/out" deleted)" 2 "dry run: the agent's two extra paths would go"
ONPLAT=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["memories"]))' "$T/before.json")
expect_eq "$(json_field "$T/out" calls)" $(((ONPLAT + 4) / 5)) "dry run: the listing's pages, nothing else"
expect_eq "$(tail -n +$((BEFORE + 1)) "$T/p1.log" | grep -vc '"method": "GET"')" 0 "dry run: reads only"
curl -sf "http://127.0.0.1:$(port p1)/_control/stores/$STORE" | cmp -s - "$T/before.json" || fail "dry run changed the store"
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
same_as_scope p1 || fail "after import + review + publish the store equals the scope"
expect_status 0 cur import --memory-store "$STORE" --scope "$SCOPE" --json
expect_eq "$(json_field "$T/out" diff)" 0 "a second import finds nothing to propose"

# ---- a forget reaches the platform ----
expect_status 0 cur forget --subject "Zephyrine" --as root --json
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_eq "$(json_field "$T/out" erased)" 2 "the published copy and the import source"
python3 - "$T/out" <<'PY' || fail "versions redacted"
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert d["redacted"] >= 3, d
PY
curl -sf "http://127.0.0.1:$(port p1)/_control/stores/$STORE" >"$T/store.json"
expect_no_grep "Zephyrine" "$T/store.json" "no live memory or version of the platform still holds the subject"
python3 - "$T/store.json" <<'PY' || fail "every version of an erased memory is redacted"
import json, sys
d = json.load(open(sys.argv[1]))
live = {m["id"] for m in d["memories"].values()}
gone = {v["memory_id"] for v in d["versions"] if v["memory_id"] not in live}
erased = [v for v in d["versions"] if v["memory_id"] in gone and v["redacted_at"]]
assert erased, "nothing redacted"
for v in d["versions"]:
    if v["memory_id"] in {e["memory_id"] for e in erased}:
        assert v["redacted_at"] and v["content"] is None and v["path"] is None, v
PY
same_as_scope p1 || fail "the store equals the scope after the erasure"
expect_eq "$(sql "select count(*) from audit_log where action='platform.erase'")" 2 "the audit log says so"
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_eq "$(json_field "$T/out" calls)" 0 "and then nothing more to do"

# ---- one beta header per call, never both ----
python3 - "$T/p1.log" <<'PY' || fail "beta headers"
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    betas = [b.strip() for b in d["headers"].get("anthropic-beta", "").split(",") if b.strip()]
    assert len(betas) == 1, d
    want = "agent-memory-2026-07-22" if d["path"].startswith("/v1/memory_stores") else "managed-agents-2026-04-01"
    assert betas == [want], d
    assert d["headers"]["anthropic-version"] == "2023-06-01", d
    assert d["status"] != 400 or "memory_stores" in d["path"], d
PY
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $KEY" -H 'anthropic-version: 2023-06-01' \
        -H 'anthropic-beta: managed-agents-2026-04-01,agent-memory-2026-07-22' \
        "http://127.0.0.1:$(port p1)/v1/memory_stores/$STORE/memories")
expect_eq "$CODE" 400 "the double rejects both beta headers (so curator never sent them)"

# ---- the double itself holds to PLATFORM.md §6 (else the tests above prove little) ----
python3 - "$(port p1)" "$KEY" <<'PY' || fail "the test double deviates from PLATFORM.md §6"
import json, sys, urllib.request, urllib.error, hashlib
base, key = "http://127.0.0.1:" + sys.argv[1], sys.argv[2]
def call(method, path, body=None, beta="agent-memory-2026-07-22"):
    h = {"x-api-key": key, "anthropic-version": "2023-06-01", "anthropic-beta": beta}
    data = json.dumps(body).encode() if body is not None else None
    if data:
        h["content-type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
S = "/v1/memory_stores/memstore_02dream"
st, m = call("POST", S + "/memories", {"path": "/a/b.md", "content": "héllo"})
assert st == 200 and m["content"] is None, (st, m)
assert m["content_sha256"] == hashlib.sha256("héllo".encode()).hexdigest()
st, e = call("POST", S + "/memories", {"path": "/a/b.md", "content": "x"})
assert st == 409 and e["error"]["type"] == "memory_path_conflict_error" and e["error"]["conflicting_memory_id"] == m["id"], e
st, e = call("POST", S + "/memories/" + m["id"], {"content": "new", "precondition": {"type": "content_sha256", "content_sha256": "0" * 64}})
assert st == 409 and e["error"]["type"] == "memory_precondition_failed_error", e
st, _ = call("POST", S + "/memories/" + m["id"], {"content": "héllo", "precondition": {"type": "content_sha256", "content_sha256": "0" * 64}})
assert st == 200, "already in the requested state → 200"
st, v = call("GET", S + "/memory_versions?memory_id=" + m["id"])
assert st == 200 and len(v["data"]) == 1, "a no-op makes no version"
st, _ = call("POST", S + "/memories/" + m["id"], {"content": "changed"})
st, v = call("GET", S + "/memory_versions?memory_id=" + m["id"])
assert len(v["data"]) == 2 and v["data"][0]["operation"] == "modified", "newest first, one per change"
assert call("POST", S + "/memories", {"path": "/big.md", "content": "x" * 102401})[0] == 400
assert call("POST", S + "/memories", {"path": "/ok.md", "content": "x" * 102400})[0] == 200
for bad in ("nope.md", "/a//b.md", "/a/../b.md", "/a/" + chr(7) + ".md", "/e" + chr(0x301) + ".md"):
    assert call("POST", S + "/memories", {"path": bad, "content": "x"})[0] == 400, bad
assert call("GET", S + "/memories?view=full&limit=21")[0] == 400
assert call("GET", S + "/memories", beta="managed-agents-2026-04-01,agent-memory-2026-07-22")[0] == 400
st, p1 = call("GET", "/v1/sessions/sesn_01supportaaaa/events?limit=2", beta="managed-agents-2026-04-01")
assert st == 200 and p1["next_page"].startswith("page_")
assert all(e["id"].startswith("sevt_") and "session_id" not in e for e in p1["data"])
st, e = call("GET", "/v1/sessions/sesn_01supportaaaa/events?limit=2&order=desc&page=" + p1["next_page"], beta="managed-agents-2026-04-01")
assert st == 400, "a cursor is tied to its order"
st, last = call("GET", "/v1/sessions/sesn_01supportaaaa/events?limit=1000&created_at[gt]=2026-09-21T12:05:00Z&types[]=user.message", beta="managed-agents-2026-04-01")
assert last["next_page"] is None and [e["type"] for e in last["data"]] == ["user.message"], last
assert call("GET", "/v1/sessions", beta="agent-memory-2026-07-22")[0] == 400
PY

# ---- 429 and 529 are retried; retries are bounded ----
control p1 faults '[{"method":"GET","path":"/v1/sessions","status":429,"retry_after":1,"count":1},
 {"method":"GET","prefix":"/v1/sessions/sesn_01supportaaaa/events","status":529,"count":2}]' >/dev/null
START=$(date +%s%N)
expect_status 0 cur pull --json
ELAPSED=$((($(date +%s%N) - START) / 1000000))
expect_eq "$(json_field "$T/out" retries)" 3 "one 429 and two 529 retried"
[ "$ELAPSED" -ge 1000 ] || fail "retry-after: 1 honoured (took ${ELAPSED} ms)"
control p1 faults '[{"method":"GET","path":"/v1/sessions","status":529,"count":10}]' >/dev/null
BEFORE=$(calls p1)
expect_status 2 cur pull --json
expect_grep "HTTP 529 overloaded_error" "$T/err" "names the error after the last try"
expect_eq "$(($(calls p1) - BEFORE))" 4 "max_tries = 4 attempts, no more"
control p1 faults '[]' >/dev/null

# ---- 401 / 403 stop cleanly, and the key never leaks ----
BEFORE=$(calls p1)
CURATOR_TEST_PLATFORM_KEY="sk-ant-wrong-$$-key" expect_status 2 cur pull
expect_grep "refused the API key (HTTP 401 authentication_error)" "$T/err" "401 says so"
expect_eq "$(($(calls p1) - BEFORE))" 1 "401 is not retried"
CURATOR_TEST_PLATFORM_KEY="sk-ant-wrong-$$-key" expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE"
expect_grep "already holds" "$T/out" "up to date: no call is made, so the key is not even needed"
sql "delete from platform_publishes"
CURATOR_TEST_PLATFORM_KEY="sk-ant-wrong-$$-key" expect_status 2 cur publish --scope "$SCOPE" --memory-store "$STORE"
expect_grep "HTTP 401" "$T/err" "publish stops on 401"
cp "$T/err" "$T/err.401"
start_platform p403 --forbidden-key "sk-ant-forbidden-$$-key"
CURATOR_HOME="$T/home403" cur init >/dev/null
configure "$T/home403" p403
CURATOR_HOME="$T/home403" CURATOR_TEST_PLATFORM_KEY="sk-ant-forbidden-$$-key" expect_status 2 cur pull --json
expect_grep "HTTP 403 permission_error" "$T/err" "403 says so"
expect_grep '"ok":false' "$T/out" "--json says it failed"
CURATOR_TEST_PLATFORM_KEY= expect_status 2 cur pull
expect_grep "no API key for the platform: set \$CURATOR_TEST_PLATFORM_KEY" "$T/err" "no key: says where to put it"
# a key from a file (kept outside the tree we search)
mkdir -p "$T/secret" && printf '%s\n' "$KEY" >"$T/secret/key"
sed -i "s|^api_key_env = .*|api_key_file = $T/secret/key|" "$CURATOR_HOME/curator.conf"
CURATOR_TEST_PLATFORM_KEY= expect_status 0 cur pull --json
sed -i "s|^api_key_file = .*|api_key_env = CURATOR_TEST_PLATFORM_KEY|" "$CURATOR_HOME/curator.conf"

# ---- kill -9 during pull, then rerun: every event exactly once ----
start_platform slow --delay-ms 250
export CURATOR_HOME="$T/homeB"
cur init >/dev/null
configure "$CURATOR_HOME" slow
cur principals add root --role admin >/dev/null
for pause in 0.6 1.1; do
        "$CURATOR" pull >/dev/null 2>&1 &
        PID=$!
        sleep "$pause"
        kill -9 "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
done
expect_status 0 cur pull --json
expect_status 0 cur pull --json
expect_eq "$(sql "select count(*) from events")" 20 "every event once after kills"
expect_eq "$(sql "select count(distinct session_id || '/' || event_id) from events")" 20 "no event twice"
expect_eq "$(json_field "$T/out" events)" 0 "a clean rerun finds nothing new"
# the worst moment to die: pages stored, cursors not yet moved (simulated by
# putting every cursor back): the refetch yields duplicates, never doubles
sql "update platform_cursors set last_processed_at = NULL, last_ms = NULL, ids_at_last = '[]'"
expect_status 0 cur pull --json
expect_eq "$(json_field "$T/out" events)" 0 "refetched pages store nothing new"
expect_eq "$(json_field "$T/out" duplicates)" 20 "every refetched event is a duplicate"
expect_eq "$(sql "select count(*) from events")" 20 "still every event once"

# ---- kill -9 during publish, then rerun: the store equals the scope ----
cur dream >/dev/null
cur review approve "$(sql "select id from diffs where scope='$SCOPE' and state='pending'")" --as root >/dev/null
"$CURATOR" publish --scope "$SCOPE" --memory-store "$STORE" >/dev/null 2>&1 &
PID=$!
sleep 0.8
kill -9 "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
same_as_scope slow || fail "after a killed publish and a rerun the store equals the scope"
expect_eq "$(sql "select count(*) from platform_published where retired_at is null")" \
        "$(sql "select count(*) from store_memories where scope='$SCOPE'")" "one mapping per memory"
expect_status 0 cur publish --scope "$SCOPE" --memory-store "$STORE" --json
expect_eq "$(json_field "$T/out" calls)" 0 "then nothing more to do"

# ---- the key is nowhere: not in outputs, logs, the double's log, or any home ----
if grep -r -l -a -F -e "$KEY" -e "sk-ant-wrong-$$-key" -e "sk-ant-forbidden-$$-key" "$T" --exclude-dir=secret >"$T/leaks"; then
        fail "the API key leaked into: $(cat "$T/leaks")"
fi
CHECKS=$((CHECKS + 1))
finish
