#!/usr/bin/env bash
# curator serve end to end: a real server on a free loopback port and curl.
# The role x route matrix (every route, every role, in and out of scope: 401
# without a token, 403 for a wrong role or scope, each denial audited),
# malformed and oversized bodies, the bundle (ranking, budget, markdown,
# pinned commits, cache invalidation when head moves), ingest over HTTP, the
# review flow with concurrent approvals, revert, a slow client, SIGTERM under
# load, scheduled dreaming, webhooks with signatures and retries, export, and
# an MCP stdio transcript.
. "$(dirname "$0")/lib.sh"
W="$(dirname "$CURATOR")/store_write"
[ -x "$W" ] || { echo "FAIL: $W not built" >&2; exit 1; }
H="$CURATOR_HOME"
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"
PIDS=()
cleanup() {
        for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
        rm -rf "$T"
}
trap cleanup EXIT

# A webhook receiver on loopback: answers 500 to its first request, 200 after,
# and records each request's signature header and body. It stops by itself.
cat >"$T/hook.py" <<'PY'
import http.server, sys, os, threading
out = sys.argv[1]
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        n[0] += 1
        with open(os.path.join(out, 'req%d' % n[0]), 'wb') as f:
            f.write((self.headers.get('X-Curator-Signature', '') + '\n').encode() + body)
        self.send_response(500 if n[0] == 1 else 200)
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
threading.Timer(300, s.shutdown).start()
s.serve_forever()
PY
mkdir -p "$T/hooks"
python3 "$T/hook.py" "$T/hooks" >"$T/hook.port" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/hook.port" ] && break; sleep 0.1; done
HOOK_PORT=$(cat "$T/hook.port")
printf 'hook-secret\n' >"$T/hook.secret"

mkdir -p "$H"
cur init >/dev/null
printf '\n[webhooks]\nurl = http://127.0.0.1:%s/hook\nsecret_file = %s\n' "$HOOK_PORT" "$T/hook.secret" \
        >>"$H/curator.conf"

cur principals add root --role admin >/dev/null
cur principals add alice --role owner --scopes app >/dev/null
cur principals add bob --role owner --scopes ops >/dev/null
cur principals add comp --role compliance >/dev/null
cur principals add comp2 --role compliance --scopes app >/dev/null
cur principals add ag --role agent --scopes app >/dev/null
cur groups add admins root >/dev/null
cur groups add app-team alice >/dev/null
printf '*  @admins\nmemories/app/  @app-team\n' >"$T/OWNERS"
"$W" "$H" --as root owners "$T/OWNERS" >/dev/null
A=mem-00000000000000a1
B=mem-00000000000000b2
CURATOR_NOW=2026-08-01T10:00:00Z "$W" "$H" --as root add app "Run the narrow test first." $A \
        add ops "The release branch is integration." $B >/dev/null
C1=$(git --git-dir="$H/store.git" rev-parse main)

# tokens: shown once, stored hashed
expect_status 0 cur tokens create --principal ag
TAG=$(cat "$T/out")
expect_eq "$(printf %s "$TAG" | grep -cE '^cur_[A-Za-z0-9_-]{43}$')" 1 "token shape"
expect_eq "$(sql "select count(*) from serve_tokens where hash='$(printf %s "$TAG" | sha256sum | cut -d' ' -f1)'")" 1 \
        "only the token's SHA-256 is stored"
expect_eq "$(sql "select count(*) from serve_tokens where hash like '%${TAG:4:20}%' or id like '%${TAG:4:12}%'")" 0 \
        "the token text is nowhere in the table"
tok() { cur tokens create --principal "$1" 2>/dev/null; }
TROOT=$(tok root); TALICE=$(tok alice); TBOB=$(tok bob); TCOMP=$(tok comp); TCOMP2=$(tok comp2)
TREV=$(cur tokens create --principal ag --json | jq -r .token)
REVID=$(cur tokens list --json | jq -r '.[] | select(.principal == "ag") | .id' | head -n 1)
REVID=$(sql "select id from serve_tokens where hash='$(printf %s "$TREV" | sha256sum | cut -d' ' -f1)'")
expect_status 0 cur tokens revoke "$REVID"
expect_status 2 cur tokens revoke "$REVID"
TEXP=$(CURATOR_NOW=2020-01-01T00:00:00Z cur tokens create --principal ag --expires 1d 2>/dev/null)
expect_eq "$(sql "select count(*) from audit_log where action='token.create'")" 8 "token creations audited"
expect_eq "$(sql "select object || ' ' || actor from audit_log where action='token.revoke'")" "token:$REVID cli" "revocation audited"
expect_eq "$(sql "select count(*) from audit_log where detail like '%cur\_%' escape '\'")" 0 "no token text in the audit log"
expect_status 2 cur tokens create --principal nobody
expect_grep "'nobody' is not a principal" "$T/err" "token for an unknown principal refused"

# start: port 0, the bound port printed on stdout
start_server() {
        : >"$T/serve.out"
        "$CURATOR" serve --listen 127.0.0.1:0 --threads 2 --max-seconds "${1:-300}" >"$T/serve.out" 2>"$T/serve.err" &
        SERVER=$!
        PIDS+=($SERVER)
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
start_server

# req TOKEN METHOD PATH [BODY]: prints the status; the body goes to $T/body
req() {
        local tok=$1 method=$2 path=$3
        local args=(-s -o "$T/body" -w '%{http_code}' -X "$method")
        [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
        [ $# -ge 4 ] && args+=(--data-binary "$4")
        curl "${args[@]}" "$URL$path" || true
}
DENIED=0
ANON=0
# expect_req WANT TOKEN METHOD PATH [BODY]
expect_req() {
        local want=$1; shift
        local got
        got=$(req "$@")
        CHECKS=$((CHECKS + 1))
        if [ "$got" != "$want" ]; then fail "$2 $3 as ${1:0:8}: expected $want, got $got: $(head -c 300 "$T/body" 2>/dev/null)"; fi
        if [ "$got" = 000 ]; then fail "no answer; the server said: $(tail -c 3000 "$T/serve.err")"; fi
        if [ "$want" = 401 ] || [ "$want" = 403 ]; then
                DENIED=$((DENIED + 1))
                if [ "$want" = 401 ]; then ANON=$((ANON + 1)); fi
                CHECKS=$((CHECKS + 1))
                jq -e '.error.type and .error.message' "$T/body" >/dev/null ||
                        fail "$2 $3: denial without a JSON error body: $(head -c 300 "$T/body")"
        fi
}

expect_req 200 "" GET /healthz
expect_eq "$(jq -r .status "$T/body")" ok "healthz"
# the review UI's files, public (the page asks for a token), nothing else
expect_req 200 "" GET /
expect_grep '<script type="module" src="/app.js">' "$T/body" "/ is the review UI's index.html"
expect_eq "$(curl -s -o /dev/null -w '%{content_type}' "$URL/app.js")" "text/javascript; charset=utf-8" "UI script type"
expect_req 200 "" GET /style.css
expect_req 404 "" GET /nope.js
expect_req 404 "" GET /curator.conf
expect_req 404 "" GET /..%2f..%2fcurator.db
expect_req 404 "" GET /.hidden.js
expect_eq "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$URL/../../etc/passwd")" 404 "no way out of the UI directory"

# events in, a dreaming pass, a diff in scope app
for f in "$SAMPLES"/claude-code/-srv-shop/*.jsonl; do
        s=$(basename "$f" .jsonl)
        expect_req 200 "$TAG" POST "/v1/events?scope=app&session=$s" "@$f"
done
expect_eq "$(jq -r '.events > 0 and .rejected == 0' "$T/body")" true "ingest summary as the CLI's"
expect_req 200 "$TAG" POST "/v1/events?scope=app&session=$s" "@$f"
expect_eq "$(jq -r '"\(.events) \(.duplicates > 0)"' "$T/body")" "0 true" "re-posting is idempotent"
cur ingest --json --scope app "$f" >"$T/cli.json" || true
expect_eq "$(jq -r 'keys - ["seconds"] | join(",")' "$T/cli.json")" \
        "$(jq -r 'keys - ["rejects"] | join(",")' "$T/body")" "same summary fields as curator ingest --json"
expect_req 200 "$TROOT" POST /v1/dream '{}'
D=$(jq -r '.diff_ids[0]' "$T/body")
expect_eq "$(jq -r '.diffs' "$T/body")" 1 "one diff from the pass"
NH=$(sql "select count(*) from hunks where diff_id=$D")

# --- the role x route matrix ------------------------------------------------
# matrix METHOD PATH BODY  none agent owner compliance admin
matrix() {
        local method=$1 path=$2 body=$3; shift 3
        local toks=("" "$TAG" "$TALICE" "$TCOMP" "$TROOT") i=0
        for want in "$@"; do
                if [ -n "$body" ]; then expect_req "$want" "${toks[$i]}" "$method" "$path" "$body"
                else expect_req "$want" "${toks[$i]}" "$method" "$path"; fi
                i=$((i + 1))
        done
}
matrix GET /healthz ""                            200 200 200 200 200
matrix GET /metrics ""                            401 403 403 403 200
matrix GET /v1/whoami ""                          401 200 200 200 200
matrix GET "/v1/memories?scope=app" ""            401 200 200 200 200
matrix GET "/v1/memories?scope=ops" ""            401 403 403 200 200
matrix GET "/v1/memories/$A/history" ""           401 403 200 200 200
matrix GET "/v1/memories/$B/history" ""           401 403 403 200 200
matrix POST "/v1/events?scope=ops" '{}'           401 403 403 403 200
matrix GET /v1/diffs ""                           401 403 200 200 200
matrix GET "/v1/diffs/$D" ""                      401 403 200 200 200
matrix GET /v1/diffs/999999 ""                    401 403 404 404 404
matrix POST /v1/diffs/999999/approve '{}'         401 403 404 403 404
matrix POST /v1/diffs/999999/reject '{"reason":"no"}' 401 403 404 403 404
matrix POST /v1/commits/0123456789abcdef0123456789abcdef01234567/revert '{}' 401 403 404 403 404
matrix GET /v1/audit ""                           401 403 403 200 200
matrix GET /v1/audit/verify ""                    401 403 403 200 200
matrix POST /v1/dream '{}'                        401 403 403 403 200
matrix GET /v1/nowhere ""                         404 404 404 404 404
# out of scope: bob owns ops, comp2 is compliance held to app
expect_req 403 "$TBOB" GET "/v1/diffs/$D"
expect_req 403 "$TBOB" POST "/v1/diffs/$D/approve" '{"hunks":[1]}'
expect_req 403 "$TBOB" POST "/v1/diffs/$D/reject" '{"hunks":[1],"reason":"x"}'
expect_req 403 "$TBOB" GET "/v1/diffs?scope=app"
expect_req 200 "$TBOB" GET /v1/diffs
expect_eq "$(jq '.diffs | length' "$T/body")" 0 "diffs outside bob's scopes are not listed"
expect_req 403 "$TBOB" POST "/v1/commits/$C1/revert" '{}'
expect_req 403 "$TBOB" GET "/v1/memories/$A/history"
expect_req 403 "$TCOMP2" GET /v1/audit
expect_req 403 "$TCOMP2" GET /v1/audit/verify
expect_req 403 "$TCOMP2" GET "/v1/memories?scope=ops"
expect_req 200 "$TCOMP2" GET "/v1/memories?scope=app"
expect_req 403 "$TAG" POST /v1/events '{}'
expect_grep "pass ?scope=" "$T/body" "a scoped agent must name its scope"
# bad tokens
expect_req 401 "$TREV" GET /v1/whoami
expect_eq "$(jq -r .error.message "$T/body")" "the token has been revoked" "revoked"
expect_req 401 "$TEXP" GET /v1/whoami
expect_eq "$(jq -r .error.message "$T/body")" "the token has expired" "expired"
expect_req 401 "cur_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" GET /v1/whoami
expect_req 401 "nonsense" GET /v1/whoami
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $TAG" "$URL/v1/whoami")" 401 "not bearer"
DENIED=$((DENIED + 1)); ANON=$((ANON + 1))
expect_req 200 "$TAG" GET /v1/whoami
expect_eq "$(jq -c . "$T/body")" '{"principal":"ag","role":"agent","scopes":["app"]}' "whoami"
expect_req 405 "$TAG" DELETE /v1/whoami
# a token revoked while the server runs stops working within a second
TLIVE=$(tok ag)
expect_req 200 "$TLIVE" GET /v1/whoami
cur tokens revoke "$(sql "select id from serve_tokens where hash='$(printf %s "$TLIVE" | sha256sum | cut -d' ' -f1)'")" >/dev/null
sleep 1.1
expect_req 401 "$TLIVE" GET /v1/whoami

# --- malformed and oversized bodies -----------------------------------------
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '{"hunks":'
expect_eq "$(jq -r .error.type "$T/body")" invalid_json "truncated JSON"
expect_grep "not valid JSON" "$T/body" "says what is wrong"
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '[1,2]'
expect_grep "must be a JSON object" "$T/body" "array body"
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '{"hunks":"1,2"}'
expect_grep "hunks must be an array" "$T/body" "hunks type"
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '{"hunks":[0]}'
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '{"edits":[{"idx":"one"}]}'
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '{"hunks":[1]} trailing'
expect_req 400 "$TALICE" POST "/v1/diffs/$D/approve" '{"hunks":[99]}'
expect_grep "has no hunk 99" "$T/body" "unknown hunk"
expect_req 400 "$TALICE" POST "/v1/diffs/$D/reject" '{"hunks":[1]}'
expect_grep "reason is required" "$T/body" "reject without reason"
expect_req 400 "$TAG" GET "/v1/memories?scope=app&budget_tokens=lots"
expect_req 400 "$TAG" GET "/v1/memories?scope=app&format=xml"
expect_req 400 "$TAG" GET "/v1/memories"
expect_req 400 "$TAG" POST "/v1/events?scope=app" ''
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/big"
expect_req 413 "$TALICE" POST "/v1/diffs/$D/approve" "@$T/big"
expect_eq "$(jq -r .error.type "$T/body")" payload_too_large "413 with a JSON error"
CHECKS=$((CHECKS + 1))
got=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TALICE" -H 'Transfer-Encoding: chunked' \
        --data-binary "@$T/big" "$URL/v1/diffs/$D/approve")
[ "$got" = 413 ] || fail "chunked oversized body: $got"
expect_eq "$(jq -r .error.type "$T/body")" payload_too_large "chunked 413 with a JSON error"
head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T/huge"
expect_req 413 "$TAG" POST "/v1/events?scope=app" "@$T/huge"
expect_req 200 "$TAG" GET /v1/whoami

# --- the bundle ---------------------------------------------------------------
expect_req 200 "$TAG" GET "/v1/memories?scope=app"
expect_eq "$(jq -r .commit "$T/body")" "$C1" "bundle names its commit"
expect_eq "$(jq -r '[.memories[].id] | join(",")' "$T/body")" "$A" "only scope app"
cur memories fetch --scope app >"$T/cli.bundle"
expect_eq "$(cmp -s "$T/cli.bundle" "$T/body" && echo same)" same "curator memories fetch prints the same bundle"
expect_req 200 "$TAG" GET "/v1/memories?scope=app&format=markdown"
cur memories fetch --scope app --format markdown >"$T/cli.md"
expect_eq "$(cmp -s "$T/cli.md" "$T/body" && echo same)" same "markdown: same as the CLI"
expect_grep "### $A" "$T/body" "markdown names each memory's id"
expect_grep "Store commit $C1" "$T/body" "markdown names the commit"

# --- review: approvals (two at once), a rejection, the cache follows head -------
expect_req 200 "$TALICE" GET "/v1/diffs?mine=1"
expect_eq "$(jq -r '[.diffs[].id] | join(",")' "$T/body")" "$D" "mine=1 lists alice's diff"
expect_req 200 "$TALICE" GET "/v1/diffs/$D"
expect_eq "$(jq '.hunks | length' "$T/body")" "$NH" "show lists every hunk"
# the same hunk approved twice at once: exactly one wins
curl -s -o "$T/a1.body" -w '%{http_code}\n' -H "Authorization: Bearer $TALICE" --data-binary '{"hunks":[2]}' "$URL/v1/diffs/$D/approve" >"$T/a1" &
P1=$!
curl -s -o "$T/a2.body" -w '%{http_code}\n' -H "Authorization: Bearer $TROOT" --data-binary '{"hunks":[2]}' "$URL/v1/diffs/$D/approve" >"$T/a2" &
P2=$!
wait $P1 $P2
expect_eq "$(cat "$T/a1" "$T/a2" | sort | tr '\n' ' ')" "200 409 " "concurrent approvals of one hunk: one 200, one 409"
expect_eq "$(cat "$T/a1.body" "$T/a2.body" | jq -r 'select(.error) | .error.message')" \
        "hunk 2 of diff $D is already approved" "the loser is told the hunk is already approved"
expect_eq "$(sql "select state from diffs where id=$D")" partially_approved "the diff stays open (not conflicted)"
# two different hunks at once: both land, one commit each
curl -s -o "$T/a3.body" -w '%{http_code}\n' -H "Authorization: Bearer $TALICE" --data-binary '{"hunks":[3]}' "$URL/v1/diffs/$D/approve" >"$T/a3" &
P1=$!
curl -s -o "$T/a4.body" -w '%{http_code}\n' -H "Authorization: Bearer $TROOT" --data-binary '{"hunks":[4]}' "$URL/v1/diffs/$D/approve" >"$T/a4" &
P2=$!
wait $P1 $P2
expect_eq "$(cat "$T/a3" "$T/a4" | tr '\n' ' ')" "200 200 " "concurrent approvals of different hunks both commit: $(cat "$T/a3.body" "$T/a4.body")"
expect_eq "$(sql "select count(*) from hunks where diff_id=$D and state='approved'")" 3 "three hunks approved"
expect_req 200 "$TALICE" POST "/v1/diffs/$D/approve" "{\"hunks\":[5],\"edits\":[{\"idx\":5,\"text\":\"Edited by alice over HTTP.\"}]}"
C5=$(jq -r .commit "$T/body")
expect_eq "$(git --git-dir="$H/store.git" rev-parse main)" "$C5" "approval moved head"
expect_eq "$(git --git-dir="$H/store.git" log -1 --format=%an main)" alice "authored by the approver"
expect_req 200 "$TAG" GET "/v1/memories?scope=app"
expect_eq "$(jq -r .commit "$T/body")" "$C5" "the cached bundle follows head"
expect_grep "Edited by alice over HTTP." "$T/body" "the edited text is served"
expect_req 409 "$TALICE" POST "/v1/diffs/$D/approve" '{"hunks":[5]}'
expect_req 200 "$TALICE" POST "/v1/diffs/$D/reject" '{"hunks":[6],"reason":"not a lesson"}'
expect_req 409 "$TALICE" POST "/v1/diffs/$D/reject" '{"hunks":[6],"reason":"again"}'
# pinned commit: the old version still answers
expect_req 200 "$TAG" GET "/v1/memories?scope=app&commit=$C1"
expect_eq "$(jq -r '"\(.commit) \(.total)"' "$T/body")" "$C1 1" "commit=SHA pins a version"
expect_req 200 "$TAG" GET "/v1/memories?scope=app&commit=${C1:0:10}"
expect_eq "$(jq -r .commit "$T/body")" "$C1" "abbreviated pin"
expect_req 404 "$TAG" GET "/v1/memories?scope=app&commit=ffffffffff"
# ranking and budget against the real index
expect_req 200 "$TAG" GET "/v1/memories?scope=app&q=alice"
expect_eq "$(jq -r '.memories[0].text' "$T/body")" "Edited by alice over HTTP." "the query's match ranks first"
expect_eq "$(jq -r '.matched' "$T/body")" 1 "one match"
expect_req 200 "$TAG" GET "/v1/memories?scope=app&budget_tokens=30"
expect_eq "$(jq -r '.tokens <= 30 and .returned < .total' "$T/body")" true "cut to the budget"
expect_eq "$(jq -r '[.memories[].tokens] | add' "$T/body")" "$(jq -r .tokens "$T/body")" "tokens add up"
# a commit from outside the server (another process) is seen too
"$W" "$H" --as root add app "Deploys happen on Tuesdays." >"$T/c6"
C6=$(cat "$T/c6")
expect_req 200 "$TAG" GET "/v1/memories?scope=app"
expect_eq "$(jq -r .commit "$T/body")" "$C6" "head moved by another process: cache invalidated"
# history and revert
expect_req 200 "$TALICE" GET "/v1/memories/$A/history"
expect_eq "$(jq -r '.commits | length >= 1' "$T/body")" true "history"
expect_req 200 "$TALICE" POST "/v1/commits/$C5/revert" '{}'
expect_eq "$(git --git-dir="$H/store.git" log -1 --format=%an main)" alice "revert authored by alice"
expect_req 200 "$TAG" GET "/v1/memories?scope=app"
expect_no_grep "Edited by alice over HTTP." "$T/body" "reverted memory no longer served"
expect_req 403 "$TALICE" POST "/v1/commits/$C1/revert" '{}'
expect_grep "it touched memories/ops/" "$T/body" "C1 also touched scope ops"
expect_req 409 "$TALICE" POST "/v1/commits/$C5/revert" '{}'
# the audit log over HTTP
expect_req 200 "$TCOMP" GET /v1/audit/verify
expect_eq "$(jq -r .intact "$T/body")" true "audit chain intact"
expect_req 200 "$TCOMP" GET "/v1/audit?limit=2"
expect_eq "$(jq '.rows | length' "$T/body")" 2 "audit limit"
AFTER=$(jq -r .next_after "$T/body")
expect_req 200 "$TCOMP" GET "/v1/audit?after=$AFTER&limit=1"
expect_eq "$(jq -r ".rows[0].id > $AFTER" "$T/body")" true "audit after"
expect_req 400 "$TCOMP" GET "/v1/audit?after=x"

# --- a slow client does not hold up the others --------------------------------
# 30 KB at 3 KB/s: about ten seconds of upload on one connection, while 40
# other requests each get their answer within a second
head -c 30000 "$SAMPLES"/claude-code/-srv-shop/c0ffee00-2b4d-4f6a-8c9e-1a2b3c4d5e6f.jsonl >"$T/slow.jsonl" || true
curl -s -o "$T/slow.body" -w '%{http_code}' --limit-rate 3k -H "Authorization: Bearer $TAG" \
        --data-binary "@$T/slow.jsonl" "$URL/v1/events?scope=app&session=slow-session" >"$T/slow.code" &
SLOW=$!
sleep 0.5
FAST=0
for i in $(seq 40); do
        code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=app" || true)
        [ "$code" = 200 ] && FAST=$((FAST + 1))
done
expect_eq "$FAST" 40 "40 requests answered within a second each beside a slow client"
CHECKS=$((CHECKS + 1))
kill -0 $SLOW 2>/dev/null || fail "the slow upload finished too soon to prove anything"
wait $SLOW
expect_eq "$(cat "$T/slow.code")" 200 "the slow client is served too"

# --- metrics ---------------------------------------------------------------------
expect_req 200 "$TROOT" GET /metrics
expect_grep 'curator_http_requests_total{route="memories",status="200"}' "$T/body" "requests by route and status"
expect_grep 'curator_http_request_duration_seconds_bucket{route="memories",le="0.002"}' "$T/body" "latency histogram"
expect_grep '^curator_approvals_total 4$' "$T/body" "approvals counted"
expect_grep '^curator_reverts_total 1$' "$T/body" "reverts counted"
expect_grep '^curator_pending_diffs 1$' "$T/body" "pending diffs gauge"
expect_grep '^curator_ingest_events_total [1-9]' "$T/body" "ingest counter"
expect_grep '^curator_dream_passes_total 1$' "$T/body" "dream counter"

# --- SIGTERM under load: the request in flight finishes, the process exits 0 -----
head -c 12000 "$SAMPLES"/claude-code/-srv-shop/b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b.jsonl >"$T/inflight.jsonl" || true
curl -s -o "$T/inflight.body" -w '%{http_code}' --limit-rate 6k -H "Authorization: Bearer $TAG" \
        --data-binary "@$T/inflight.jsonl" "$URL/v1/events?scope=app&session=inflight-session" >"$T/inflight.code" &
INF=$!
LOADERS=()
for i in $(seq 4); do
        (for j in $(seq 30); do curl -s -o /dev/null -H "Authorization: Bearer $TAG" "$URL/v1/memories?scope=app" || true; done) &
        LOADERS+=($!)
done
sleep 0.7
stop_server
wait $INF || true
expect_eq "$(cat "$T/inflight.code")" 200 "the request in flight when SIGTERM came finished"
expect_eq "$(jq -r '.lines > 0' "$T/inflight.body")" true "with its whole answer"
wait "${LOADERS[@]}" || true
CHECKS=$((CHECKS + 1))
curl -s -m 2 "$URL/healthz" >/dev/null 2>&1 && fail "still answering after SIGTERM"
# every denial audited (flushed at shutdown), fetches audited by hash of query
expect_eq "$(sql "select count(*) from audit_log where action='http.denied'")" "$DENIED" "every 401/403 is an audit row"
expect_eq "$(sql "select count(*) from audit_log where action='http.denied' and actor='anonymous'")" "$ANON" \
        "denials without a usable token are by anonymous"
CHECKS=$((CHECKS + 1))
[ "$(sql "select count(*) from audit_log where action='memories.fetch'")" -gt 60 ] || fail "fetches not all audited"
expect_eq "$(sql "select count(*) from audit_log where detail like '%alice%' and action='memories.fetch'")" 0 "no query text in the log"
expect_eq "$(sql "select count(*) from audit_log where detail like '%query_sha256%'")" 1 "the query is kept as a hash"
expect_status 0 cur audit verify

# --- webhooks: signed, retried after a 500 --------------------------------------
start_server 60
for _ in $(seq 150); do [ "$(ls "$T/hooks" | wc -l)" -ge 6 ] && break; sleep 0.1; done
stop_server
expect_eq "$(sql "select count(*) from webhook_queue")" 5 "four approvals and a revert queued"
expect_eq "$(sql "select group_concat(event) from (select event from webhook_queue order by id)")" \
        "approval,approval,approval,approval,revert" "events"
python3 - "$T/hooks" "$T/hook.secret" >"$T/hookcheck" <<'PY'
import hmac, hashlib, os, sys, json
d, secret = sys.argv[1], open(sys.argv[2], 'rb').read().rstrip(b'\n')
ok = 0
names = sorted(os.listdir(d), key=lambda n: int(n[3:]))
for n in names:
    sig, body = open(os.path.join(d, n), 'rb').read().split(b'\n', 1)
    want = 'sha256=' + hmac.new(secret, body, hashlib.sha256).hexdigest()
    ev = json.loads(body)
    ok += sig.decode() == want and 'commit' in ev and 'at' in ev
print(len(names), ok)
PY
expect_eq "$(cat "$T/hookcheck")" "6 6" "six deliveries (one retried), every signature valid"
expect_eq "$(sql "select count(*) from webhook_queue where state='delivered'")" 5 "all delivered"
expect_eq "$(sql "select max(attempts) from webhook_queue")" 2 "the first was retried after its 500"

# --- scheduled dreaming -----------------------------------------------------------
printf '\n[schedule]\ndream = 1s\n' >>"$H/curator.conf"
RUNS=$(sql "select count(*) from dream_runs")
printf '%s\n' '{"type":"user","uuid":"9e0f0000-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"9e0f0000-0000-4000-8000-00000000000a","cwd":"/srv/app","timestamp":"2026-11-12T09:00:00.000Z","message":{"role":"user","content":"Remember: the payment sandbox resets every Monday at 06:00 UTC."}}' >"$T/new.jsonl"
cur ingest --quiet --scope app "$T/new.jsonl"
start_server 60
for _ in $(seq 60); do [ "$(sql "select count(*) from dream_runs")" -gt "$RUNS" ] && break; sleep 0.1; done
stop_server
CHECKS=$((CHECKS + 1))
[ "$(sql "select count(*) from dream_runs")" -gt "$RUNS" ] || fail "no scheduled dreaming pass ran"

# --- scheduled retention purge ------------------------------------------------------
# a memory of a 30-day class written in 2020 has expired; the sweep runs as comp
printf '\n[scope-retention]\ntmp = session\n' >>"$H/curator.conf"
OLD=mem-00000000000000c3
CURATOR_NOW=2020-01-01T00:00:00Z "$W" "$H" --as root add tmp "An old lesson." $OLD >/dev/null
printf '\n[schedule]\ndream = 0s\npurge = 1s\npurge_as = ag\n' >>"$H/curator.conf"
expect_status 2 "$CURATOR" serve --listen 127.0.0.1:0 --max-seconds 5
expect_grep "purge_as" "$T/err" "an agent may not be the purging principal"
printf '\n[schedule]\npurge_as = comp\n' >>"$H/curator.conf"
start_server 60
for _ in $(seq 60); do cur memories list --scope tmp --json | jq -e '.memories | length == 0' >/dev/null && break; sleep 0.1; done
expect_req 200 "$TCOMP" GET "/v1/memories?scope=tmp"
expect_eq "$(jq -r .total "$T/body")" 0 "the expired memory is purged and no longer served"
for _ in $(seq 60); do [ "$(sql "select count(*) from webhook_queue where event='purge' and state='delivered'")" = 1 ] && break; sleep 0.1; done
stop_server
expect_eq "$(sql "select count(*) from webhook_queue where event='purge' and state='delivered'")" 1 "purge announced by webhook"
expect_eq "$(git --git-dir="$H/store.git" log -1 --format=%an main)" comp "the purge commit is by purge_as"

# --- export: a /memories directory, swapped atomically ------------------------------
expect_status 0 cur export --scope app --to "$T/mem"
N=$(cur memories list --scope app --json | jq '.memories | length')
expect_eq "$(ls "$T/mem" | wc -l)" "$N" "one file per memory"
expect_eq "$(ls "$T/mem" | grep -vc '\.md$')" 0 "nothing else"
F=$(ls "$T/mem" | grep "${A#mem-}")
expect_eq "$(cat "$T/mem/$F")" "Run the narrow test first." "the memory's text"
INO=$(stat -c %i "$T/mem")
"$W" "$H" --as root add app "Export sees this too." >/dev/null
expect_status 0 cur export --scope app --to "$T/mem"
expect_eq "$(ls "$T/mem" | wc -l)" "$((N + 1))" "re-export has the new memory"
CHECKS=$((CHECKS + 1))
[ "$(stat -c %i "$T/mem")" != "$INO" ] || fail "the directory was not swapped"
expect_eq "$(ls -d "$T"/mem.export-* 2>/dev/null | wc -l)" 0 "no temp directory left"
echo x >"$T/afile"
expect_status 2 cur export --scope app --to "$T/afile"

# --- MCP over stdio -----------------------------------------------------------------
{
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
printf '%s\n' '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
printf '%s\n' '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"memory_search","arguments":{"scope":"app","query":"narrow","budget_tokens":100}}}'
printf '%s\n' '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"memory_search","arguments":{"scope":"ops"}}}'
printf '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"memory_view","arguments":{"id":"%s"}}}\n' "$A"
printf '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"memory_view","arguments":{"id":"%s"}}}\n' "$B"
printf '%s\n' '{"jsonrpc":"2.0","id":7,"method":"nope"}'
printf '%s\n' '{not json'
} >"$T/mcp.in"
cur mcp --principal ag <"$T/mcp.in" >"$T/mcp.out"
expect_eq "$(wc -l <"$T/mcp.out")" 8 "one answer per request, none for the notification"
line() { sed -n "${1}p" "$T/mcp.out"; }
expect_eq "$(line 1 | jq -r '.result.serverInfo.name + " " + .result.protocolVersion')" "curator 2025-06-18" "initialize"
expect_eq "$(line 2 | jq -r '[.result.tools[].name] | join(",")')" "memory_search,memory_view" "tools/list"
expect_eq "$(line 3 | jq -r '.result.isError')" false "memory_search in scope"
expect_eq "$(line 3 | jq -r '.result.content[0].text' | grep -c "### $A")" 1 "search names the memory id"
expect_eq "$(line 4 | jq -r '.result.isError')" true "memory_search outside the scopes"
expect_eq "$(line 4 | jq -r '.result.content[0].text')" "ag may not read scope ops" "says why"
expect_eq "$(line 5 | jq -r '.result.content[0].text' | sed '/^$/d' | tail -n 1)" "Run the narrow test first." "memory_view"
expect_eq "$(line 6 | jq -r '.result.isError')" true "memory_view outside the scopes"
expect_eq "$(line 7 | jq -r '.error.code')" -32601 "unknown method"
expect_eq "$(line 8 | jq -r '.error.code')" -32700 "parse error"
expect_eq "$(line 3 | jq -r .id)$(line 7 | jq -r .id)" 37 "ids echoed"

finish
