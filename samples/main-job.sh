#!/usr/bin/env bash
# The main job, end to end on the embedded default (SQLite + a local bare git
# store) with the bundled sample sessions: installs what is missing, builds,
# and shows each step curator takes from raw session logs onwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh

CURATOR="$PWD/build/bin/curator"
export CURATOR_HOME="${CURATOR_DEMO_HOME:-$PWD/curator-demo}"
rm -rf "$CURATOR_HOME"   # the demo home is the job's own; it starts clean every run
SAMPLES="$PWD/samples/sessions"
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Create the home (curator.db with its schema, config, git store)" \
        "$CURATOR" init
step "The rules engine on its own: secrets, PII and injection in the raw sample logs (exit 1: found some)" \
        "$CURATOR" scan "$SAMPLES" || true
step "Ingest a support agent's Managed Agents sessions (secrets and PII are redacted first)" \
        "$CURATOR" ingest --scope support "$SAMPLES/managed-agents"
step "Ingest a Claude Code projects tree (project folders, subagent transcripts)" \
        "$CURATOR" ingest "$SAMPLES/claude-code"
step "Ingest it all again: nothing is doubled" \
        "$CURATOR" ingest --json "$SAMPLES"
step "What was ingested" \
        "$CURATOR" sessions
step "No line was rejected" \
        "$CURATOR" rejected
step "Dream: propose memory diffs from the new events, one per scope (rules applied to every hunk)" \
        "$CURATOR" dream
step "Dream again: nothing new since the last pass, so nothing is proposed" \
        "$CURATOR" dream
step "Who may approve what: principals, a group, and OWNERS in the store" \
        sh -c "'$CURATOR' principals add root --role admin && '$CURATOR' principals add priya --role owner &&
               '$CURATOR' principals add sam --role owner --scopes support && '$CURATOR' groups add shop-team priya &&
               printf '* @admins\nmemories/shop/ @shop-team\nmemories/support/ sam\n' | '$CURATOR' owners set - --as root"
step "The review queue" \
        "$CURATOR" review list
SHOP=$(sqlite3 "$CURATOR_HOME/curator.db" "select id from diffs where scope='shop' and state='pending'")
SUPPORT=$(sqlite3 "$CURATOR_HOME/curator.db" "select id from diffs where scope='support' and state='pending'")
step "A knowledge owner reads the shop diff: each hunk against the store, with its evidence" \
        "$CURATOR" review show "$SHOP"
step "Ownership is enforced: sam may not approve shop's memories" \
        sh -c "'$CURATOR' review approve $SHOP --hunks 1 --as sam || true"
step "priya approves three hunks: one commit, authored by her" \
        "$CURATOR" review approve "$SHOP" --hunks 1,2,3 --as priya
step "...and rejects one with a reason: it never reaches the store" \
        "$CURATOR" review reject "$SHOP" --hunks 4 --as priya --reason "one-off branch name"
step "sam approves the whole support diff" \
        "$CURATOR" review approve "$SUPPORT" --as sam
step "The store's log: commits with Diff-Id, Dream-Run, Evidence and Approved-By trailers" \
        "$CURATOR" memories log --limit 3
step "Memories in the store" \
        "$CURATOR" memories list
FIRST=$("$CURATOR" memories list --scope shop --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["memories"][0]["id"])')
step "One memory file, exactly as stored in git (front matter: owner, retention, expiry, sources)" \
        "$CURATOR" memories show "$FIRST"
step "The git memory store and its index agree" \
        "$CURATOR" store verify
step "An agent's memories at session start, from the command line: ranked, cut to a token budget, ready for a system prompt" \
        "$CURATOR" memories fetch --scope shop --q "release branch" --budget-tokens 200 --format markdown
"$CURATOR" principals add shop-agent --role agent --scopes shop >/dev/null
# the token is shown once by `tokens create`; the demo keeps it in a header file rather than on screen
"$CURATOR" tokens create --principal shop-agent --json |
        python3 -c 'import json,sys; print("Authorization: Bearer " + json.load(sys.stdin)["token"])' >"$CURATOR_HOME/agent-token.header"
chmod 600 "$CURATOR_HOME/agent-token.header"
"$CURATOR" serve --listen 127.0.0.1:0 --max-seconds 60 >"$CURATOR_HOME/serve.out" 2>&1 &
SERVE=$!
for _ in $(seq 100); do grep -q "listening on" "$CURATOR_HOME/serve.out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$CURATOR_HOME/serve.out" | head -1)
step "The same over HTTP: curator serve on $ADDR, an agent's bearer token (stored hashed), GET /v1/memories" \
        curl -sS -H @"$CURATOR_HOME/agent-token.header" "http://$ADDR/v1/memories?scope=shop&q=test&budget_tokens=300&format=json"
echo
step "Out of its scope, the agent gets 403 (and the denial is audited)" \
        curl -sS -w ' HTTP %{http_code}\n' -H @"$CURATOR_HOME/agent-token.header" "http://$ADDR/v1/memories?scope=support"
step "Health and Prometheus metrics" \
        sh -c "curl -sS http://$ADDR/healthz; echo"
kill -TERM "$SERVE"; wait "$SERVE" || true
step "Export the scope as a /memories directory for a sandbox mount (swapped in atomically)" \
        sh -c "'$CURATOR' export --scope shop --to '$CURATOR_HOME/export/shop' && ls '$CURATOR_HOME/export/shop'"
step "MCP over stdio: an agent searches its memories with memory_search" \
        sh -c "printf '%s\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"demo\",\"version\":\"1\"}}}' '{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"memory_search\",\"arguments\":{\"scope\":\"shop\",\"query\":\"lint\",\"budget_tokens\":100}}}' | '$CURATOR' mcp --principal shop-agent"
# --- compliance: holds, purges, erasure from history
"$CURATOR" principals add carol --role compliance >/dev/null
HELD=$("$CURATOR" memories list --scope shop --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["memories"][0]["id"])')
step "Compliance puts a legal hold on one memory (recorded in its front matter)" \
        "$CURATOR" hold add --memory "$HELD" --reason "litigation LIT-2207" --as carol
step "A purge as it would run in 2028, after the standard class (365 days) has expired: dry run; the held memory is skipped" \
        env CURATOR_NOW=2028-01-01T00:00:00Z "$CURATOR" purge --dry-run --as carol
step "Erasure of a data subject (a customer's order number): the dry run lists what goes" \
        "$CURATOR" forget --subject 00001234 --dry-run --as carol
step "...and the erasure: memories and events removed, the store's history rewritten, nothing unreachable left" \
        "$CURATOR" forget --subject 00001234 --as carol
step "git agrees: no unreachable object, and no byte of the subject anywhere in the repository" \
        sh -c "git -C '$CURATOR_HOME/store.git' fsck --unreachable --no-reflogs && ! grep -rqa 00001234 '$CURATOR_HOME/store.git' && echo 'subject not found in store.git'"
step "Past purges and erasures (counts and hashes, never the content)" \
        "$CURATOR" purge report

# --- the platform: a Managed Agents test double on loopback stands in for the API
PLAT_KEY="sk-ant-demo-$$"
export CURATOR_DEMO_PLATFORM_KEY="$PLAT_KEY"
python3 tests/tools/fake_platform.py --seed tests/fixtures/platform/seed.json --log "$CURATOR_HOME/platform.log" \
        --key "$PLAT_KEY" --lifetime 120 >"$CURATOR_HOME/platform.port" &
PLATFORM=$!
for _ in $(seq 100); do [ -s "$CURATOR_HOME/platform.port" ] && break; sleep 0.05; done
printf '\n[platform]\nbase_url = http://127.0.0.1:%s\napi_key_env = CURATOR_DEMO_PLATFORM_KEY\n' \
        "$(cat "$CURATOR_HOME/platform.port")" >>"$CURATOR_HOME/curator.conf"
step "Pull finished sessions from the Managed Agents API (a cursor per session; the API key never printed)" \
        "$CURATOR" pull --scope support
step "Publish the support scope's approved memories into a platform memory store" \
        "$CURATOR" publish --scope support --memory-store memstore_01support
step "Publish again: nothing changed, so no API call is made" \
        "$CURATOR" publish --scope support --memory-store memstore_01support --json
kill "$PLATFORM" 2>/dev/null; wait "$PLATFORM" 2>/dev/null || true

step "The audit log, hash-chained (every ingest, pass, decision, fetch, denial, purge and erasure)" \
        "$CURATOR" audit list
step "...and verified" \
        "$CURATOR" audit verify
echo
echo "main job done: home at $CURATOR_HOME"
