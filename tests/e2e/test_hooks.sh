#!/usr/bin/env bash
# Platform webhooks, MCP over HTTP, scheduled pulls and pinned commits after
# an erasure, against a real `curator serve` on 127.0.0.1 and the platform
# double (tests/tools/fake_platform.py):
# - a validly signed session.status_idled pulls that session (and only it);
#   a wrong secret, a stale timestamp, a tampered body, a replayed
#   webhook-id and an unsigned request are refused (400/401/409), none pulls,
#   every refusal is audited, the secret is never logged;
# - /mcp: initialize, tools/list, tools/call memory_search in scope (the same
#   answer as `curator mcp`), out of scope (a tool error, audited), a batch,
#   notifications (202), 401 without or with a bad token;
# - [schedule] pull pulls every session with no webhook;
# - a commit pinned before `curator forget` rewrote it is answered at the
#   rewritten commit and says so; an unknown commit is a clear 404.
. "$(dirname "$0")/lib.sh"
TOOLS="$CURATOR_SOURCE_DIR/tests/tools"
SEED="$CURATOR_FIXTURES/platform/seed.json"
W="$(dirname "$CURATOR")/store_write"
[ -x "$W" ] || { echo "FAIL: $W not built" >&2; exit 1; }
H="$CURATOR_HOME"
KEY="sk-ant-test-$$-$(date +%s%N)-k3y"
export CURATOR_TEST_PLATFORM_KEY="$KEY"
SECRET_B64=$(head -c 32 /dev/urandom | base64 -w0)
SECRET="whsec_$SECRET_B64"
printf '%s\n' "$SECRET" >"$T/whsec"
WRONG="whsec_$(head -c 32 /dev/urandom | base64 -w0)"

python3 "$TOOLS/fake_platform.py" --seed "$SEED" --log "$T/p.log" --key "$KEY" --lifetime 300 >"$T/p.port" &
BG_PIDS+=($!)
for _ in $(seq 300); do [ -s "$T/p.port" ] && break; sleep 0.05; done
touch "$T/p.log"
PPORT=$(cat "$T/p.port")
calls_for() { grep -c "$1" "$T/p.log" || true; }

cur init >/dev/null
printf '\n[platform]\nbase_url = http://127.0.0.1:%s\napi_key_env = CURATOR_TEST_PLATFORM_KEY\npage_limit = 5\nmax_tries = 2\nretry_base_ms = 50\nwebhook_secret_file = %s\n' \
        "$PPORT" "$T/whsec" >>"$H/curator.conf"
cur principals add root --role admin >/dev/null
cur principals add comp --role compliance >/dev/null
cur principals add ag --role agent --scopes support-bot >/dev/null
TAG=$(cur tokens create --principal ag 2>/dev/null)

start_server() {
        : >"$T/serve.out"
        "$CURATOR" serve --listen 127.0.0.1:0 --threads 2 --max-seconds "${1:-200}" >"$T/serve.out" 2>>"$T/serve.err" &
        SERVER=$!
        BG_PIDS+=($SERVER)
        for _ in $(seq 100); do grep -q '^listening on' "$T/serve.out" 2>/dev/null && break; sleep 0.05; done
        PORT=$(sed -n 's/^listening on 127\.0\.0\.1://p' "$T/serve.out")
        [ -n "$PORT" ] || { echo "FAIL: server did not start: $(cat "$T/serve.err")" >&2; exit 1; }
        URL="http://127.0.0.1:$PORT"
}
stop_server() {
        kill -TERM "$SERVER"
        set +e; wait "$SERVER"; local rc=$?; set -e
        expect_eq "$rc" 0 "server exits 0 on SIGTERM"
}

# hook SECRET ID TIMESTAMP BODY [SIGNED_BODY]: POSTs BODY signed over
# SIGNED_BODY (default BODY); prints the status, the answer in $T/body.
cat >"$T/sign.py" <<'PY'
import base64, hashlib, hmac, sys
secret, wid, ts, body = sys.argv[1:5]
key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
mac = hmac.new(key, ("%s.%s.%s" % (wid, ts, body)).encode(), hashlib.sha256).digest()
print("v1," + base64.b64encode(mac).decode())
PY
hook() {
        local sig
        sig=$(python3 "$T/sign.py" "$1" "$2" "$3" "${5:-$4}")
        curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'content-type: application/json' \
                -H "webhook-id: $2" -H "webhook-timestamp: $3" -H "webhook-signature: v1,bm9wZQ== $sig" \
                --data-binary "$4" "$URL/v1/hooks/platform" || true
}
event() { printf '{"type":"event","id":"%s","created_at":"2026-09-21T12:00:00Z","data":{"type":"%s","id":"%s","organization_id":"org_1","workspace_id":"wrkspc_1"}}' "$1" "$2" "$3"; }
# wait_for SQL WANT WHAT: polls curator.db for up to 15 s
wait_for() {
        local got=""
        for _ in $(seq 150); do
                got=$(sql "$1")
                [ "$got" = "$2" ] && break
                sleep 0.1
        done
        expect_eq "$got" "$2" "$3"
}
denials() { sql "select count(*) from audit_log where action='http.denied' and object='hooks_platform' and detail like '%\"status\":$1%'"; }

start_server

# ---- a valid webhook pulls that session, and only it ----
NOW=$(date +%s)
expect_eq "$(hook "$SECRET" whe_01 "$NOW" "$(event whe_01 session.status_idled sesn_01supportaaaa)")" 200 "signed webhook accepted"
expect_eq "$(jq -r '"\(.pull_queued) \(.session)"' "$T/body")" "true sesn_01supportaaaa" "it queues a pull of its session"
wait_for "select count(*) from events where session_id='sesn_01supportaaaa'" 13 "the session's events pulled"
wait_for "select count(*) from platform_pull_queue" 0 "the queue drained"
expect_eq "$(sql "select count(*) from events where session_id<>'sesn_01supportaaaa'")" 0 "no other session pulled"
expect_eq "$(grep -c '"path": "/v1/sessions"' "$T/p.log" || true)" 0 "a targeted pull lists no sessions"
wait_for "select count(*) from audit_log where action='platform.webhook' and object='session:sesn_01supportaaaa'" 1 "accepted webhook audited"

# a new event on the platform, a thread webhook: pulled too
curl -sf -X POST -H 'content-type: application/json' \
        -d '{"session_id":"sesn_01supportaaaa","events":[{"id":"sevt_hook_new","type":"agent.message","processed_at":"2026-09-23T09:00:00Z","content":[{"type":"text","text":"later"}]}]}' \
        "http://127.0.0.1:$PPORT/_control/events" >/dev/null
expect_eq "$(hook "$SECRET" whe_02 "$NOW" "$(event whe_02 session.thread_idled sesn_01supportaaaa)")" 200 "thread webhook accepted"
wait_for "select count(*) from events where event_id='sevt_hook_new'" 1 "the new event pulled"
# an event that says nothing new: recorded, no pull
expect_eq "$(hook "$SECRET" whe_03 "$NOW" "$(event whe_03 session.status_running sesn_01supportbbbb)")" 200 "other event types acknowledged"
expect_eq "$(jq -r .pull_queued "$T/body")" false "a running session is not pulled"
PULLS=$(calls_for '/v1/sessions/sesn_01supportaaaa/events')

# ---- refusals: none pulls, each audited ----
expect_eq "$(hook "$WRONG" whe_10 "$NOW" "$(event whe_10 session.status_idled sesn_01supportbbbb)")" 401 "wrong secret"
expect_eq "$(jq -r .error.type "$T/body")" invalid_signature "wrong secret: error type"
STALE=$((NOW - 600))
expect_eq "$(hook "$SECRET" whe_11 "$STALE" "$(event whe_11 session.status_idled sesn_01supportbbbb)")" 401 "stale timestamp"
expect_eq "$(jq -r .error.type "$T/body")" stale_timestamp "stale: error type"
expect_eq "$(hook "$SECRET" whe_12 "$((NOW + 600))" "$(event whe_12 session.status_idled sesn_01supportbbbb)")" 401 "timestamp from the future"
expect_eq "$(hook "$SECRET" whe_13 "$NOW" "$(event whe_13 session.status_idled sesn_01supportbbbb)" "$(event whe_13 session.status_idled sesn_01supportaaaa)")" 401 "body not the one signed"
expect_eq "$(hook "$SECRET" whe_01 "$((NOW + 1))" "$(event whe_01 session.status_idled sesn_01supportaaaa)")" 409 "replayed webhook-id"
expect_eq "$(jq -r .error.type "$T/body")" duplicate_webhook "replay: error type"
expect_eq "$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data-binary "$(event whe_14 session.status_idled sesn_01supportbbbb)" "$URL/v1/hooks/platform")" 400 "unsigned"
expect_eq "$(jq -r .error.type "$T/body")" missing_signature "unsigned: error type"
expect_eq "$(hook "$SECRET" whe_15 "soon" "$(event whe_15 session.status_idled sesn_01supportbbbb)")" 400 "timestamp not a number"
expect_eq "$(hook "$SECRET" whe_16 "$NOW" "$(event whe_other session.status_idled sesn_01supportbbbb)")" 400 "envelope id differs from webhook-id"
expect_eq "$(hook "$SECRET" whe_17 "$NOW" "$(event whe_17 session.status_idled 'sesn/../x')")" 400 "session id not an id"
sleep 2.5 # a scheduler tick or two: nothing may have been queued
expect_eq "$(calls_for '/v1/sessions/sesn_01supportaaaa/events')" "$PULLS" "no second pull after the refusals and the replay"
expect_eq "$(sql "select count(*) from events where session_id='sesn_01supportbbbb'")" 0 "refused webhooks pulled nothing"
expect_eq "$(sql "select count(*) from platform_hooks")" 3 "only the three accepted ids recorded"
expect_eq "$(denials 401)" 4 "401s audited"
expect_eq "$(denials 409)" 1 "the replay audited"
expect_eq "$(denials 400)" 4 "400s audited"
expect_eq "$(sql "select actor from audit_log where action='http.denied' and object='hooks_platform' limit 1")" anonymous "denials audited as anonymous"
for f in "$T/serve.out" "$T/serve.err" "$T/p.log"; do
        expect_no_grep "$SECRET_B64" "$f" "the webhook secret is not in $(basename "$f")"
done
expect_eq "$(sql "select count(*) from audit_log where detail like '%${SECRET_B64:0:20}%'")" 0 "the secret is not in the audit log"
# no bearer token needed, and a bearer token is no substitute for the signature
expect_eq "$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TAG" --data-binary "$(event whe_18 session.status_idled sesn_01supportbbbb)" "$URL/v1/hooks/platform")" 400 "a token does not sign"

# ---- MCP over HTTP ----
A=mem-00000000000000a1
"$W" "$H" --as root add support-bot "Refunds over 100 EUR need a second approver." $A >/dev/null
mcp() { # mcp TOKEN BODY: prints the status
        local args=(-s -o "$T/body" -w '%{http_code}' -X POST -H 'content-type: application/json' -H 'accept: application/json, text/event-stream')
        [ -n "$1" ] && args+=(-H "Authorization: Bearer $1")
        curl "${args[@]}" --data-binary "$2" "$URL/mcp" || true
}
expect_eq "$(mcp "$TAG" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}')" 200 "initialize"
expect_eq "$(jq -r '"\(.id) \(.result.protocolVersion) \(.result.serverInfo.name)"' "$T/body")" "1 2025-06-18 curator" "initialize result"
expect_eq "$(mcp "$TAG" '{"jsonrpc":"2.0","method":"notifications/initialized"}')" 202 "a notification: 202"
expect_eq "$(wc -c <"$T/body" | tr -d ' ')" 0 "202 has no body"
expect_eq "$(mcp "$TAG" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')" 200 "tools/list"
expect_eq "$(jq -r '[.result.tools[].name] | join(",")' "$T/body")" "memory_search,memory_view" "the two tools"
CALL='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"memory_search","arguments":{"scope":"support-bot","query":"refunds"}}}'
expect_eq "$(mcp "$TAG" "$CALL")" 200 "tools/call in scope"
expect_eq "$(jq -r '.result.isError' "$T/body")" false "search in scope is no error"
expect_grep "Refunds over 100 EUR" "$T/body" "the memory found"
printf '%s\n' "$CALL" | cur mcp --principal ag >"$T/stdio.json"
expect_eq "$(jq -cS . "$T/body")" "$(jq -cS . "$T/stdio.json")" "the same answer as curator mcp --principal ag"
expect_eq "$(mcp "$TAG" '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"memory_search","arguments":{"scope":"ops-bot"}}}')" 200 "out of scope: a tool result"
expect_eq "$(jq -r '"\(.result.isError) \(.result.content[0].text)"' "$T/body")" "true ag may not read scope ops-bot" "out of scope refused as curator mcp does"
expect_eq "$(sql "select count(*) from audit_log where action='mcp.denied' and actor='ag' and object='scope:ops-bot'")" 1 "the scope refusal audited"
expect_eq "$(mcp "$TAG" "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},$CALL]")" 200 "a batch"
expect_eq "$(jq -r '[.[].id] | join(",")' "$T/body")" "5,3" "one answer per request, none for the notification"
expect_eq "$(mcp "$TAG" '[]')" 400 "an empty batch"
expect_eq "$(mcp "$TAG" '{"jsonrpc":"2.0","id":6,"method":"nope"}')" 200 "unknown method"
expect_eq "$(jq -r .error.code "$T/body")" -32601 "method not found"
expect_eq "$(mcp "" '{"jsonrpc":"2.0","id":7,"method":"tools/list"}')" 401 "no token"
expect_eq "$(jq -r .error.type "$T/body")" unauthenticated "no token: JSON error"
expect_eq "$(mcp "cur_notatoken" '{"jsonrpc":"2.0","id":8,"method":"tools/list"}')" 401 "unknown token"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TAG" "$URL/mcp")" 405 "GET /mcp: no event stream"
sleep 1.2
expect_eq "$(sql "select count(*) from audit_log where action='http.denied' and object='mcp' and detail like '%\"status\":401%'")" 2 "/mcp 401s audited"

# ---- a pinned commit an erasure rewrote ----
SUBJ="Zedekiah Quorbnik"
B=mem-00000000000000b2
C=mem-00000000000000c3
"$W" "$H" --as root add support-bot "$SUBJ asked for a refund by phone." $B >/dev/null
"$W" "$H" --as root add support-bot "Escalations go to the duty lead." $C >/dev/null
PINNED=$(git --git-dir="$H/store.git" rev-parse main)
# packed, as after any earlier compaction: the server maps the pack, which
# the erasure then deletes under it
git --git-dir="$H/store.git" repack -a -d -q
curl -s -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=support-bot&commit=$PINNED" >"$T/before.json"
expect_eq "$(jq -r '"\(.commit) \(.returned)"' "$T/before.json")" "$PINNED 3" "pinned commit served before the erasure"
expect_grep "$SUBJ" "$T/before.json" "the subject was there"
expect_status 0 cur forget --subject "$SUBJ" --as comp
NEWHEAD=$(git --git-dir="$H/store.git" rev-parse main)
[ "$NEWHEAD" != "$PINNED" ] || fail "forget did not move main"
expect_eq "$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=support-bot&commit=$PINNED")" 200 "the rewritten pinned commit answered"
expect_eq "$(jq -r '"\(.commit) \(.commit_rewritten_from) \(.returned)"' "$T/body")" "$NEWHEAD $PINNED 2" "answered at the rewritten commit, saying so"
expect_grep "X-Curator-Commit-Rewritten-From: $PINNED" "$T/hdr" "and in a header"
expect_no_grep "$SUBJ" "$T/body" "no erased text from the pinned fetch"
expect_eq "$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=support-bot")" 200 "head after the erasure"
expect_eq "$(jq -r '"\(.commit) \(.returned)"' "$T/body")" "$NEWHEAD 2" "the cache dropped: the new head"
expect_no_grep "$SUBJ" "$T/body" "no erased text at head"
# an abbreviated id is not mapped: only a reopened repository stops it from
# finding the erased commit in the pack the server had mapped
for _ in 1 2 3 4; do # every pool thread
        expect_eq "$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=support-bot&commit=${PINNED:0:12}")" 404 "an abbreviated erased commit"
        expect_no_grep "$SUBJ" "$T/body" "no erased text through an abbreviated id"
done
expect_eq "$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=support-bot&commit=$(printf 'de%.0s' $(seq 20))")" 404 "an unknown commit"
expect_grep "no erasure rewrote it" "$T/body" "a clear error"
# the pinned markdown bundle, over MCP too, holds no erased text
expect_eq "$(mcp "$TAG" "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"memory_search\",\"arguments\":{\"scope\":\"support-bot\",\"query\":\"refund\"}}}")" 200 "MCP after the erasure"
expect_no_grep "$SUBJ" "$T/body" "MCP serves no erased text"
stop_server

# ---- [schedule] pull: every session, no webhook ----
printf '\n[schedule]\npull = 1s\n' >>"$H/curator.conf"
start_server 60
wait_for "select count(distinct session_id) from events where session_id like 'sesn_01%'" 3 "a scheduled pull reached every session"
wait_for "select count(*) from events" 21 "every event stored once"
expect_grep '"path": "/v1/sessions"' "$T/p.log" "the scheduled pull lists sessions"
curl -s -H "Authorization: Bearer $(cur tokens create --principal root 2>/dev/null)" "$URL/metrics" >"$T/metrics"
expect_grep '^curator_platform_pulls_total [1-9]' "$T/metrics" "pulls counted in /metrics"
stop_server

# a secret that is not whsec_ base64 stops serve at start, naming the key, not the secret
printf 'whsec_%s\n' 'not*base64' >"$T/whsec"
expect_status 2 "$CURATOR" serve --listen 127.0.0.1:0 --max-seconds 5
expect_grep "webhook_secret_file" "$T/err" "bad secret named"
expect_no_grep "not\*base64" "$T/err" "the secret not quoted"
finish
