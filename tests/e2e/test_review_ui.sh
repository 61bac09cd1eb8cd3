#!/usr/bin/env bash
# End to end, in a real browser: Debian's chromium driven by playwright-core
# (tests/ui/review.spec.mjs) against a real `curator serve` on 127.0.0.1 with
# a real store built by the CLI. Sign in, the queue and its filters, a diff
# with findings and evidence, approve (plain, by keyboard, edited) and reject
# hunks, a blocked hunk refused by the page and by the server, a memory's
# history and revert, a conflict, the audit log and retention views. Also the
# static file serving itself (types, cache headers, no traversal).
# Installs chromium and playwright-core when missing; never skips.
. "$(dirname "$0")/lib.sh"
SRC="$CURATOR_SOURCE_DIR"
UI_TESTS="$SRC/tests/ui"
# Screenshots of the main views at 1366x768: into the temp dir (checked, then
# removed) unless CURATOR_SCREENSHOTS names where to keep them; the ones in
# docs/screenshots/ come from `CURATOR_SCREENSHOTS=$PWD/docs/screenshots`.
SHOTS="${CURATOR_SCREENSHOTS:-$T/screenshots}"

# ---- what the browser test needs --------------------------------------
need_root_install() {
        if [ "$(id -u)" != 0 ]; then
                echo "FAIL: $1 is missing and this user cannot apt-get install it (run as root, or install $2)" >&2
                exit 1
        fi
        apt-get update -qq >"$T/apt.log" 2>&1 || true
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $2 >>"$T/apt.log" 2>&1; then
                echo "FAIL: could not install $2 with apt-get:" >&2
                tail -n 20 "$T/apt.log" >&2
                exit 1
        fi
}
[ -x /usr/bin/chromium ] || need_root_install /usr/bin/chromium chromium
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium is still missing after apt-get install chromium" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || need_root_install node "nodejs npm"
command -v sqlite3 >/dev/null || need_root_install sqlite3 sqlite3
command -v curl >/dev/null || need_root_install curl curl
if [ ! -f "$UI_TESTS/node_modules/playwright-core/package.json" ]; then
        # playwright-core only: it downloads no browser; the test drives
        # /usr/bin/chromium. The version is pinned by package-lock.json.
        if ! (cd "$UI_TESTS" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
                echo "FAIL: npm ci in tests/ui could not install playwright-core:" >&2
                tail -n 20 "$T/npm.log" >&2
                exit 1
        fi
fi

# ---- the data: real sessions, a real dreaming pass, real principals -----
SAMPLES="$SRC/samples/sessions"
cur init >/dev/null
cur ingest --quiet --scope support "$SAMPLES/managed-agents"
cur ingest --quiet "$SAMPLES/claude-code"
# A lesson with non-ASCII text before a flagged public IP address (the
# finding's byte offsets are not character offsets), and one whose text is
# markup that must show as text, never as HTML.
cat >"$T/extra.jsonl" <<'JSONL'
{"type":"user","uuid":"d1d1d1d1-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"d1d1d1d1-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-21T09:00:00.000Z","message":{"role":"user","content":"Remember: the Zürich café mirror — “künftig” — is at 93.184.216.34 for wheel downloads."}}
{"type":"user","uuid":"d1d1d1d1-0000-4000-8000-000000000002","parentUuid":"d1d1d1d1-0000-4000-8000-000000000001","sessionId":"d1d1d1d1-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-21T09:01:00.000Z","message":{"role":"user","content":"Remember: the status page renders <img src=x onerror=\"window.__pwned=1\"><b>bold</b> badges from the README."}}
JSONL
cur ingest --quiet "$T/extra.jsonl"
cur principals add root --role admin >/dev/null
cur principals add priya --role owner >/dev/null
cur principals add sam --role owner --scopes support >/dev/null
cur principals add carol --role compliance >/dev/null
cur groups add shop-team priya >/dev/null
printf '* @admins\nmemories/shop/ @shop-team\nmemories/support/ sam\n' >"$T/OWNERS"
cur owners set "$T/OWNERS" --as root >/dev/null
cur dream >/dev/null
SHOP=$(sql "select id from diffs where scope='shop' and state='pending'")
SUPPORT=$(sql "select id from diffs where scope='support' and state='pending'")
expect_eq "${SHOP:+y}${SUPPORT:+y}" yy "a pending diff in each scope"
# The rules block hunks at dreaming time only for text that reached the
# dreamer unredacted; ingest already masked the samples' secrets, so one hunk
# is marked blocked here to show the page (and the server) refusing it.
BLOCKED_IDX=$(sql "select idx from hunks where diff_id=$SHOP and new_text like '%REDACTED:standing-exfiltration-order%'")
expect_eq "${BLOCKED_IDX:+y}" y "the injection hunk is there to block"
sql "update hunks set blocked=1 where diff_id=$SHOP and idx=$BLOCKED_IDX"
token() { cur tokens create --principal "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
TOK_PRIYA=$(token priya)
TOK_SAM=$(token sam)
TOK_CAROL=$(token carol)
TOK_ROOT=$(token root)

# ---- the server -------------------------------------------------------------
start_server() { # HOME_DIR OUTFILE: starts serve, sets PORT
        : >"$2"
        CURATOR_HOME="$1" "$CURATOR" serve --listen 127.0.0.1:0 --max-seconds 900 >"$2" 2>"$2.err" &
        BG_PIDS+=($!)
        PORT=""
        for _ in $(seq 1 100); do
                PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$2" || true)
                [ -n "$PORT" ] && break
                sleep 0.1
        done
        [ -n "$PORT" ] || { echo "FAIL: curator serve did not start: $(cat "$2.err")" >&2; exit 1; }
}
start_server "$CURATOR_HOME" "$T/serve.out"
BASE="http://127.0.0.1:$PORT"

# ---- static files: types, cache headers, nothing outside the UI folder ----
status_of() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
CHECKS=$((CHECKS + 1))
curl -s -D "$T/h" -o "$T/index" "$BASE/"
grep -qi '^content-type: text/html; charset=utf-8' "$T/h" || fail "/ is text/html: $(cat "$T/h")"
if ! cmp -s "$T/index" "$SRC/review-ui/index.html"; then
        fail "/ does not serve review-ui/index.html (is this curator built from $SRC?): $(head -c 300 "$T/index")"
        finish
        exit 1
fi
expect_grep '^Cache-Control: no-\(cache\|store\)' "$T/h" "/ is never used stale"
curl -s -D "$T/h" -o "$T/appjs" "$BASE/app.js"
expect_grep '^Content-Type: text/javascript; charset=utf-8' "$T/h" "app.js is JavaScript"
cmp -s "$T/appjs" "$SRC/review-ui/app.js" || fail "/app.js is review-ui/app.js"
expect_eq "$(status_of "$BASE/style.css")" 200 "style.css"
expect_eq "$(status_of "$BASE/../CMakeLists.txt")" 404 "no .. out of the UI folder"
expect_eq "$(status_of "$BASE/%2e%2e/CMakeLists.txt")" 404 "no encoded .. either"
expect_eq "$(status_of "$BASE/nope.js")" 404 "a missing file is 404"
expect_eq "$(status_of -X POST "$BASE/index.html")" 405 "files are read-only"
expect_eq "$(status_of "$BASE/v1/whoami")" 401 "the API is still the API"
expect_eq "$(status_of "$BASE/v1/nothing")" 404 "an unknown API path is not a file"

# [serve] ui_dir: a folder of one's own; a symlink out of it and hidden files are not served.
H2="$T/home2"
CURATOR_HOME="$H2" cur init >/dev/null
mkdir -p "$T/ui2/sub"
printf '<!doctype html><title>other ui</title>\n' >"$T/ui2/index.html"
printf 'body{}\n' >"$T/ui2/sub/a.css"
printf 'secret\n' >"$T/ui2/.hidden"
printf 'secret\n' >"$T/ui2/sub/.hidden"
printf 'outside\n' >"$T/outside.txt"
ln -s "$T/outside.txt" "$T/ui2/link.txt"
ln -s "$T/outside.txt" "$T/ui2/sub/link.txt"
printf '\n[serve]\nui_dir = %s\n' "$T/ui2" >>"$H2/curator.conf"
start_server "$H2" "$T/serve2.out"
B2="http://127.0.0.1:$PORT"
expect_grep 'other ui' <(curl -s "$B2/") "[serve] ui_dir is used"
# Files below the top (curator/http_static.c): revalidated by ETag, with the
# page's security headers.
curl -s -D "$T/h" -o "$T/acss" "$B2/sub/a.css"
expect_grep '^Content-Type: text/css; charset=utf-8' "$T/h" "a file in a subfolder, by type"
cmp -s "$T/acss" "$T/ui2/sub/a.css" || fail "/sub/a.css is ui2/sub/a.css"
expect_grep '^Cache-Control: no-cache' "$T/h" "revalidated each time"
expect_grep "^Content-Security-Policy: default-src 'none'; script-src 'self'" "$T/h" "a CSP that allows only the page's own scripts"
expect_grep '^X-Content-Type-Options: nosniff' "$T/h" "nosniff"
ETAG=$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$T/h")
expect_eq "$(status_of -H "If-None-Match: $ETAG" "$B2/sub/a.css")" 304 "a known ETag gets 304"
printf 'body{color:red}\n' >"$T/ui2/sub/a.css"
expect_eq "$(status_of -H "If-None-Match: $ETAG" "$B2/sub/a.css")" 200 "a changed file is sent again"
expect_eq "$(status_of -I "$B2/sub/a.css")" 200 "HEAD"
expect_eq "$(status_of -X DELETE "$B2/sub/a.css")" 405 "files are read-only"
expect_eq "$(status_of "$B2/link.txt")" 404 "a symlink out of the folder is not followed"
expect_eq "$(status_of "$B2/sub/link.txt")" 404 "nor one in a subfolder"
expect_eq "$(status_of "$B2/.hidden")" 404 "hidden files are not served"
expect_eq "$(status_of "$B2/sub/.hidden")" 404 "nor in a subfolder"
expect_eq "$(status_of "$B2/sub/%2e%2e/%2e%2e/outside.txt")" 404 "no encoded .. below the top"
expect_eq "$(status_of "$B2/sub")" 404 "a folder is not a file"
expect_eq "$(status_of "$B2/sub/../index.html")" 404 "no .. inside the folder either"

# ---- the page's text helpers, then the browser ------------------------------
# Untrusted text (memories, evidence) only ever becomes text nodes.
expect_eq "$(grep -l 'innerHTML\|outerHTML\|insertAdjacentHTML\|document\.write' "$SRC"/review-ui/*.js | wc -l)" 0 "no HTML sinks in review-ui"
CHECKS=$((CHECKS + 1))
if ! node --test "$UI_TESTS/text.test.mjs" >"$T/text.out" 2>&1; then
        fail "review-ui/text.js:"
        cat "$T/text.out" >&2
fi
mkdir -p "$SHOTS"
SHOT_NAMES="queue diff-blocked memory-history conflict audit retention"
for shot in $SHOT_NAMES; do rm -f "$SHOTS/$shot.png"; done
CHECKS=$((CHECKS + 1))
if ! BASE_URL="$BASE" TOK_PRIYA="$TOK_PRIYA" TOK_SAM="$TOK_SAM" TOK_CAROL="$TOK_CAROL" TOK_ROOT="$TOK_ROOT" \
        SHOP_DIFF="$SHOP" SUPPORT_DIFF="$SUPPORT" BLOCKED_IDX="$BLOCKED_IDX" \
        CURATOR="$CURATOR" CURATOR_HOME="$CURATOR_HOME" SCREENSHOTS="$SHOTS" WORK="$T" \
        timeout 480 node --test --test-concurrency=1 "$UI_TESTS/review.spec.mjs" >"$T/node.out" 2>&1; then
        fail "the browser test failed:"
        cat "$T/node.out" >&2
else
        grep -E '^# (tests|pass|fail)' "$T/node.out"
fi

# What the page did is what the store and the database hold.
expect_eq "$(sql "select state from hunks where diff_id=$SHOP and idx=1")" approved "hunk 1 approved through the page"
expect_eq "$(sql "select state || ':' || reason from hunks where diff_id=$SHOP and idx=3")" "rejected:not a durable lesson (UI test)" "hunk 3 rejected with the reason typed"
expect_eq "$(sql "select state from hunks where diff_id=$SHOP and idx=$BLOCKED_IDX")" pending "the blocked hunk was never approved"
expect_eq "$(git -C "$CURATOR_HOME/store.git" log --format=%an -n 6 main | tr '\n' ' ')" "sam priya priya priya priya root " "every commit the page made is authored by who pressed the button"
expect_eq "$(sql "select state from diffs where id=$SUPPORT")" approved "the support diff approved whole"
for _ in $(seq 1 20); do # the server writes audit rows in batches, at least every second
        [ "$(sql "select count(*) from audit_log where action='http.denied' and detail like '%blocked%'")" = 1 ] && break
        sleep 0.2
done
expect_eq "$(sql "select count(*) from audit_log where action='http.denied' and detail like '%blocked%'")" 1 "the forced approval of a blocked hunk was refused and audited"
# Both servers stop cleanly on SIGTERM, with nothing from the sanitizers
# (under CURATOR_SANITIZE builds) in their error output.
for i in 0 1; do
        kill -TERM "${BG_PIDS[$i]}"
        set +e
        wait "${BG_PIDS[$i]}"
        rc=$?
        set -e
        expect_eq "$rc" 0 "server $i exits 0 on SIGTERM"
done
BG_PIDS=()
expect_no_grep 'Sanitizer\|runtime error' "$T/serve.out.err" "the server ran clean"
expect_no_grep 'Sanitizer\|runtime error' "$T/serve2.out.err" "the ui_dir server ran clean"
for shot in $SHOT_NAMES; do
        CHECKS=$((CHECKS + 1))
        [ -s "$SHOTS/$shot.png" ] || fail "screenshot $shot.png was not taken"
done
finish
