#!/usr/bin/env bash
# End to end: `curator dream` on ingested sample sessions: diffs per scope,
# watermarks (a rerun creates nothing), superseding with carry-over, the
# lease, a pass that dies leaving nothing behind, and the llm dreamer against
# a fake model endpoint on 127.0.0.1 (good, malformed, unknown ids, 429, 5xx,
# slow, 401).
. "$(dirname "$0")/lib.sh"
SAMPLES="$CURATOR_SOURCE_DIR/samples/sessions"

cur init >/dev/null
cur ingest --quiet --scope support "$SAMPLES/managed-agents"
cur ingest --quiet "$SAMPLES/claude-code"

expect_status 0 cur dream --json
expect_eq "$(json_field "$T/out" diffs)" 2 "one diff per scope with new events"
expect_eq "$(json_field "$T/out" scopes)" 2 "two scopes read"
RUN1=$(json_field "$T/out" run)
HUNKS=$(json_field "$T/out" hunks)
expect_eq "$(sql "select count(*) from hunks")" "$HUNKS" "hunks stored as reported"
expect_eq "$(sql "select count(*) from diffs where state='pending'")" 2 "both pending"
expect_eq "$(sql "select count(*) from diffs where base_commit = (select base_commit from diffs limit 1) and length(base_commit)=40")" 2 \
        "each diff records the store commit it was proposed against"
expect_eq "$(sql "select count(*) from hunks where evidence = '[]' or rationale = '' or confidence <= 0")" 0 \
        "every hunk has evidence, a rationale and a confidence"
expect_eq "$(sql "select count(*) from hunks where new_text like '%The release branch is integration%'")" 1 \
        "a fact said in two sessions is one hunk"
expect_eq "$(sql "select count(*) from hunks where new_text like '%pip install -e .%'")" 1 "a lesson from a fixed tool call"
expect_eq "$(sql "select count(*) from hunks where new_text like '%REDACTED%' and new_text like '%postgres://%'")" 1 \
        "a secret in a remembered sentence stays redacted"
expect_eq "$(sql "select count(*) from hunks where lower(new_text) like '%hello%' or new_text like '%Tokyo%'")" 0 "no noise"
expect_eq "$(sql "select count(*) from hunks where blocked = 1 and findings like '%ignore-previous-instructions%' and new_text like '%vendor README%'")" 1 \
        "a remembered instruction that a block rule caught at ingest makes its hunk blocked"
expect_eq "$(sql "select count(*) from diff_transitions where to_state='pending'")" 2 "transitions recorded"

# Nothing new: the pass creates nothing.
expect_status 0 cur dream --json
expect_eq "$(json_field "$T/out" run)" 0 "a pass with nothing new records no run"
expect_eq "$(json_field "$T/out" diffs)" 0 "and creates no diff"
expect_status 0 cur dream
expect_grep "nothing new since the last pass" "$T/out" "said plainly"

# New events in one scope: its diff is superseded by one carrying the old hunks.
OLD=$(sql "select id from diffs where scope='shop'")
OLDN=$(sql "select count(*) from hunks where diff_id=$OLD")
cat >"$T/new.jsonl" <<'JSONL'
{"type":"user","uuid":"9e0f0000-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"9e0f0000-0000-4000-8000-00000000000a","cwd":"/srv/shop","gitBranch":"integration","timestamp":"2026-11-12T09:00:00.000Z","message":{"role":"user","content":"Remember: the payment sandbox resets every Monday at 06:00 UTC."}}
{"type":"assistant","uuid":"9e0f0000-0000-4000-8000-000000000002","parentUuid":"9e0f0000-0000-4000-8000-000000000001","sessionId":"9e0f0000-0000-4000-8000-00000000000a","cwd":"/srv/shop","gitBranch":"integration","timestamp":"2026-11-12T09:00:05.000Z","message":{"role":"assistant","content":[{"type":"text","text":"Noted."}]}}
JSONL
cur ingest --quiet "$T/new.jsonl"
expect_status 0 cur dream --json --scope shop
NEW=$(json_field "$T/out" diff_ids | tr -d '[] ')
expect_eq "$(sql "select state||'|'||superseded_by from diffs where id=$OLD")" "superseded|$NEW" "old diff superseded"
expect_eq "$(sql "select count(*) from hunks where diff_id=$NEW")" "$((OLDN + 1))" "undecided hunks carried over, plus the new one"
expect_eq "$(sql "select count(*) from diffs where state='pending' and scope='shop'")" 1 "at most one pending diff per scope"

# The lease: a live pass elsewhere refuses this one; an expired one is taken over.
cur ingest --quiet --scope support "$T/new.jsonl" --session sesn_lease_probe --format managed-agents || true
sql "insert into leases(name, holder, expires_ms) values ('dream', 'otherhost:4242', 99999999999999)"
expect_status 2 cur dream
expect_grep "another dreaming pass is running (otherhost:4242 holds the lease" "$T/err" "names the holder"
sql "update leases set expires_ms = 1 where name='dream'"
sql "insert into dream_runs(dreamer, started_at, status) values ('heuristic', '2026-01-01T00:00:00.000Z', 'running')"
expect_status 0 cur dream --json
expect_eq "$(sql "select count(*) from dream_runs where status='running'")" 0 "a dead holder's run is closed"
expect_eq "$(sql "select count(*) from leases")" 0 "the lease is released after a pass"

# The llm dreamer against a fake endpoint.
python3 "$CURATOR_SOURCE_DIR/tests/tools/fake_llm.py" --log "$T/llm.log" --lifetime 120 >"$T/port" &
BG_PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
export FAKE_KEY="sk-ant-api03-$(printf 'Zx8%.0s' $(seq 30))AA"
llm_conf() {
        cat >>"$CURATOR_HOME/curator.conf" <<CONF

[dream.llm]
provider = $2
url = http://127.0.0.1:$PORT/$1
model = test-model
api_key_env = FAKE_KEY
timeout_ms = 2000
max_tries = 3
retry_base_ms = 50
CONF
}
add_events() {
        printf '{"id":"sevt_llm%s","type":"user.message","processed_at":"2026-11-13T10:00:0%sZ","content":[{"type":"text","text":"Deploys go through make ship."}]}\n' "$1" "$1" >"$T/llm$1.jsonl"
        cur ingest --quiet --scope llmscope --session "sesn_llm$1" "$T/llm$1.jsonl"
}
WM() { sql "select coalesce((select last_seq from dream_watermarks where scope='llmscope'), 0)"; }

add_events 1
for bad in malformed unknown-id bad-evidence denied slow; do
        llm_conf "$bad/v1/messages" anthropic
        before=$(WM)
        expect_status 2 cur dream --dreamer llm --scope llmscope --json
        expect_eq "$(WM)" "$before" "$bad: the watermark does not move"
        expect_eq "$(sql "select count(*) from diffs where scope='llmscope'")" 0 "$bad: no half diff"
done
llm_conf "malformed/v1/messages" anthropic
expect_status 2 cur dream --dreamer llm --scope llmscope
expect_grep "the model's answer holds no JSON object" "$T/err" "a malformed answer is an error for the scope"
llm_conf "unknown-id/v1/messages" anthropic
expect_status 2 cur dream --dreamer llm --scope llmscope
expect_grep "unknown memory id 'mem-ffffffffffffffff'" "$T/err" "unknown ids are refused"
llm_conf "denied/v1/messages" anthropic
expect_status 2 cur dream --dreamer llm --scope llmscope
expect_grep "HTTP 401 authentication_error" "$T/err" "401 is not retried and is named"
expect_eq "$(grep -c '"/denied/' "$T/llm.log")" 2 "401: one call per pass, no retries"
llm_conf "slow/v1/messages" anthropic
expect_status 2 cur dream --dreamer llm --scope llmscope
expect_grep "Timeout was reached" "$T/err" "a slow endpoint times out"

llm_conf "rate-limited/v1/messages" anthropic
expect_status 0 cur dream --dreamer llm --scope llmscope --json
expect_eq "$(json_field "$T/out" diffs)" 1 "429 then success: a diff"
expect_eq "$(json_field "$T/out" input_tokens)" 1234 "token usage recorded"
expect_eq "$(sql "select input_tokens||'/'||output_tokens from dream_runs where dreamer='llm' and status='done'")" "1234/56" "usage in the run row"
expect_eq "$(grep -c '"/rate-limited/' "$T/llm.log")" 2 "retried once after 429"
expect_eq "$(sql "select count(*) from hunks h join diffs d on d.id=h.diff_id where d.scope='llmscope' and h.new_text like 'Deploys go through%'")" 1 "the model's memory is a hunk"

add_events 2
llm_conf "flaky/chat/completions" openai
expect_status 0 cur dream --dreamer llm --scope llmscope --json
expect_eq "$(grep -c '"/flaky/' "$T/llm.log")" 3 "500 and 529 retried"
expect_eq "$(json_field "$T/out" input_tokens)" 321 "OpenAI-style usage"

# The key is sent to the endpoint and never shown or stored by curator.
expect_grep "x-api-key" "$T/llm.log" "the key header is sent"
CHECKS=$((CHECKS + 1))
if grep -rq "$FAKE_KEY" "$T/out" "$T/err" "$CURATOR_HOME"; then fail "the API key leaked into output or the home"; fi
finish
