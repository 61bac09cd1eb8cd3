#!/usr/bin/env bash
# End to end: `curator ingest` on real fixture files of both formats, a
# directory tree, stdin, re-ingest, malformed and empty files, long lines,
# and redaction of secrets before they are stored.
. "$(dirname "$0")/lib.sh"
FX="$CURATOR_FIXTURES/ingest"

expect_status 0 cur init
expect_grep "created curator home" "$T/out" "init reports creation"

# A directory tree holding both formats, malformed lines and an empty file.
expect_status 1 cur ingest --json "$FX"
expect_eq "$(json_field "$T/out" events)" 30 "new events from the fixture tree"
expect_eq "$(json_field "$T/out" sessions)" 6 "sessions touched"
expect_eq "$(json_field "$T/out" duplicates)" 1 "the queued user.message seen twice"
expect_eq "$(json_field "$T/out" rejected)" 5 "malformed lines rejected"
expect_eq "$(json_field "$T/out" skipped)" 3 "Claude Code line types that carry no event"
expect_eq "$(json_field "$T/out" files)" 7 "files read (the empty one too)"
expect_grep "sesn_malformed.jsonl:2: rejected: invalid JSON" "$T/err" "file:line: reason for bad JSON"
expect_grep "sesn_malformed.jsonl:3: rejected: a line must be a JSON object" "$T/err" "non-object"
expect_grep "sesn_malformed.jsonl:4: rejected: missing \"type\"" "$T/err" "missing type"
expect_grep "sesn_malformed.jsonl:5: rejected: \"processed_at\" is not an RFC 3339 time" "$T/err" "bad time"
expect_grep "sesn_malformed.jsonl:8: rejected: invalid UTF-8 at byte" "$T/err" "invalid UTF-8"
expect_eq "$(sql 'select count(*) from events')" 30 "events in the database"
expect_eq "$(sql 'select count(*) from rejected_lines')" 5 "rejected lines kept"
expect_eq "$(sql "select count(*) from events where session_id='sesn_malformed'")" 2 \
        "the rest of a malformed file still ingests"

# Fields dreaming needs, exactly as parsed.
expect_eq "$(sql "select tool_name||'|'||tool_input from events where event_id='sevt_fx0003'")" \
        'bash|{"command":"make docs-deploy","timeout":120}' "tool name and input"
expect_eq "$(sql "select is_error||'|'||role||'|'||tool_use_id from events where event_id='sevt_fx0004'")" \
        '1|tool|sevt_fx0003' "tool error result linked to its call"
expect_eq "$(sql "select text from events where event_id='sevt_fx0002'")" \
        'Deploy the docs site. Straße, 東京, emoji 🚀 must survive.' "unicode text"
expect_eq "$(sql "select text from events where event_id='sevt_fx0006'")" \
        "$(printf 'published 48 pages\ncache purged')" "multi-block content joined"
expect_eq "$(sql "select type from events where event_id='sevt_fx0013'")" \
        'agent.future_event_kind' "unknown types kept as they came"
expect_eq "$(sql "select ts from events where event_id='sevt_q1'")" \
        '2026-10-02T10:00:00.000Z' "a queued event takes the processed copy's time"
expect_eq "$(sql "select outcome from sessions where id='sesn_fixture01'")" satisfied "outcome"
expect_eq "$(sql "select count(*) from sessions where id in ('sesn_fixture03','sesn_fixture04')")" 2 \
        "session_id fields name sessions"
S=0a1b2c3d-0000-4000-8000-000000000001
expect_eq "$(sql "select count(*)||'|'||sum(is_sidechain) from events where session_id='$S'")" '10|2' \
        "Claude Code session with its subagent transcript"
expect_eq "$(sql "select scope||'|'||cwd||'|'||git_branch from sessions where id='$S'")" 'api|/home/dev/api|main' \
        "scope from the working directory"
expect_eq "$(sql "select role from events where event_id='0a1b2c3d-cc00-4000-8000-000000000006'")" system \
        "isMeta lines are not the user speaking"
expect_eq "$(sql "select count(*) from events where raw is null or raw = ''")" 0 "every raw event kept"

# Re-ingest: nothing doubles.
expect_status 1 cur ingest --json "$FX"
expect_eq "$(json_field "$T/out" events)" 0 "re-ingest adds no event"
expect_eq "$(json_field "$T/out" duplicates)" 31 "re-ingest counts duplicates"
expect_eq "$(sql 'select count(*) from events')" 30 "still 30 events"
expect_eq "$(sql 'select count(*) from rejected_lines')" 5 "rejected lines not doubled"

# Standard input, with --session for managed-agents lines that name none.
printf '%s\n' '{"id":"sevt_in1","type":"user.message","processed_at":"2026-10-06T09:00:00Z","content":[{"type":"text","text":"from stdin"}]}' \
        '{"id":"sevt_in2","type":"agent.message","processed_at":"2026-10-06T09:00:01Z","content":[{"type":"text","text":"ok"}]}' >"$T/in.jsonl"
expect_status 1 cur ingest --json - <"$T/in.jsonl"
expect_grep "no session id" "$T/err" "stdin without a session is rejected with the reason"
expect_status 0 cur ingest --json --session sesn_stdin --scope Support-Desk - <"$T/in.jsonl"
expect_eq "$(json_field "$T/out" events)" 2 "stdin events"
expect_eq "$(sql "select scope from sessions where id='sesn_stdin'")" support-desk "--scope, as a slug"

# A very long line (3 MB of text) is stored whole; one over the limit is rejected.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
with open(t + "/sesn_long.jsonl", "w") as f:
    f.write(json.dumps({"id": "sevt_long", "type": "agent.message", "processed_at": "2026-10-07T00:00:00Z",
                        "content": [{"type": "text", "text": "x" * 3_000_000}]}) + "\n")
with open(t + "/sesn_huge.jsonl", "w") as f:
    f.write('{"id":"sevt_huge","type":"agent.message","text":"' + "y" * (65 * 1024 * 1024) + '"}\n')
    f.write(json.dumps({"id": "sevt_after", "type": "agent.message", "processed_at": "2026-10-07T00:00:01Z"}) + "\n")
PY
expect_status 0 cur ingest "$T/sesn_long.jsonl"
expect_eq "$(sql "select length(text) from events where event_id='sevt_long'")" 3000000 "long line whole"
expect_status 1 cur ingest --json "$T/sesn_huge.jsonl"
expect_grep "sesn_huge.jsonl:1: rejected: line is 681574[0-9]* bytes, over the 67108864-byte limit" "$T/err" \
        "over-long line rejected with its size"
expect_eq "$(sql "select count(*) from events where event_id='sevt_after'")" 1 "the line after it still ingests"
rm -f "$T/sesn_huge.jsonl"

# An unreadable path is an error (exit 2) naming it; other paths still ingest.
expect_status 2 cur ingest "$T/missing.jsonl" "$T/in.jsonl" --session sesn_other
expect_grep "cannot read $T/missing.jsonl" "$T/err" "names the missing file"
expect_eq "$(sql "select count(*) from events where session_id='sesn_other'")" 2 "the readable file ingested"

# Secrets and PII are redacted before anything is stored.
# A format-valid token (ghp_ + 36 base62), random-looking but made here from a fixed seed.
TOKEN=$(python3 -c 'import random,string; r=random.Random(7); print("ghp_"+"".join(r.choice(string.ascii_letters+string.digits) for _ in range(36)))')
printf '{"id":"sevt_sec","type":"agent.tool_result","processed_at":"2026-10-08T00:00:00Z","content":[{"type":"text","text":"export GITHUB_TOKEN=%s and mail ops.lead@example.org"}]}\n' "$TOKEN" >"$T/sesn_secret.jsonl"
expect_status 0 cur ingest --json "$T/sesn_secret.jsonl"
CHECKS=$((CHECKS + 1))
if [ "$(json_field "$T/out" findings)" -lt 1 ]; then fail "findings were not counted"; fi
expect_eq "$(sql "select count(*) from events where raw like '%$TOKEN%' or text like '%$TOKEN%'")" 0 \
        "the token never reaches curator.db"
expect_grep "REDACTED" <(sql "select text from events where event_id='sevt_sec'") "redaction marker in text"
CHECKS=$((CHECKS + 1))
if grep -q "$TOKEN" "$CURATOR_HOME"/curator.db*; then fail "token bytes found in the database files"; fi
expect_eq "$(sql "select findings > 0 from sessions where id='sesn_secret'")" 1 "findings counted per session"
python3 -c 'import json,sys; [json.loads(r) for r in sys.stdin]' < <(sql "select raw from events where event_id='sevt_sec'") \
        || fail "redacted raw event is no longer JSON"

# sessions / rejected listings
expect_status 0 cur sessions --json
expect_eq "$(grep -c '"id"' "$T/out")" "$(sql 'select count(*) from sessions')" "sessions --json lists every session"
expect_status 0 cur rejected
expect_grep "sesn_malformed.jsonl:4: missing \"type\"" "$T/out" "rejected lists file:line: reason"

# Bad invocations
expect_status 2 cur ingest --format nonsense "$FX"
expect_status 2 cur ingest
expect_status 0 cur ingest --help
expect_grep "usage: curator" "$T/out" "ingest --help"
expect_status 2 cur --home "$T/nohome" ingest "$FX"
expect_grep "no curator home" "$T/err" "a missing home says so"
finish
