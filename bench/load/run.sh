#!/usr/bin/env bash
# Load campaign (issue 10): curator serve under wrk (GET /v1/memories) for
# SECONDS while a second client ingests over HTTP, runs dreaming passes and
# approves hunks. Reports wrk's latency percentiles and error responses, the
# errors the writer saw, and the server's RSS sampled every 5 s (a leak shows
# as growth). Everything on 127.0.0.1; the server stops by itself.
#   bash bench/load/run.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-60}
CONNS=${2:-16}
CURATOR=${CURATOR:-build/bin/curator}
OUT=bench/out/load
rm -rf "$OUT" && mkdir -p "$OUT"
export CURATOR_HOME="$OUT/home"
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

"$CURATOR" init >/dev/null
"$CURATOR" ingest --quiet --scope support samples/sessions/managed-agents
"$CURATOR" ingest --quiet samples/sessions/claude-code
"$CURATOR" principals add root --role admin >/dev/null
"$CURATOR" principals add agent --role agent --scopes shop >/dev/null
"$CURATOR" dream >/dev/null
"$CURATOR" review approve "$(sqlite3 "$CURATOR_HOME/curator.db" "select id from diffs where scope='shop'")" --hunks 1,2,3 --as root >/dev/null
tok() { "$CURATOR" tokens create --principal "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
AGENT=$(tok agent)
ADMIN=$(tok root)

"$CURATOR" serve --listen 127.0.0.1:0 --max-seconds $((DUR + 60)) >"$OUT/serve.out" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$OUT/serve.out" && break; sleep 0.1; done
ADDR=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$OUT/serve.out" | head -1)

# RSS sampler
( while kill -0 "$SERVE" 2>/dev/null; do ps -o rss= -p "$SERVE" | tr -d ' ' >>"$OUT/rss"; sleep 5; done ) &
SAMPLER=$!

# the writer: ingest batches, a dreaming pass every few batches, approve what it proposes
python3 - "$ADDR" "$ADMIN" "$DUR" "$OUT/writer.json" <<'PY' &
import json, sys, time, urllib.request, urllib.error
addr, token, dur, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
def call(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(f"http://{addr}{path}", method=method, data=body,
                                 headers={"Authorization": f"Bearer {token}", "content-type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
stats = {"ingest": 0, "events": 0, "dream": 0, "approve": 0, "expected_4xx": 0, "errors": []}
end = time.time() + dur
i = 0
while time.time() < end:
    lines = "\n".join(json.dumps({"id": f"sevt_load{i:06d}_{k}", "type": "user.message",
                                  "processed_at": "2026-11-20T10:00:00Z",
                                  "content": [{"type": "text", "text": f"Remember: always run check-{i}-{k} before release {k}."}]})
                      for k in range(20))
    st, body = call("POST", f"/v1/events?session=sesn_load{i:05d}&scope=shop", lines.encode(), "application/x-ndjson")
    if st == 200:
        stats["ingest"] += 1
        stats["events"] += body.get("events", 0)
    else:
        stats["errors"].append(["ingest", st, body])
    if i % 5 == 4:
        st, body = call("POST", "/v1/dream", b"{}")
        if st == 200:
            stats["dream"] += 1
        elif st == 409:
            stats["expected_4xx"] += 1   # another pass holds the lease
        else:
            stats["errors"].append(["dream", st, body])
        st, diffs = call("GET", "/v1/diffs?scope=shop")
        for d in diffs.get("diffs", [])[:1]:
            st, body = call("POST", f"/v1/diffs/{d['id']}/approve", json.dumps({"hunks": [1]}).encode())
            if st == 200:
                stats["approve"] += 1
            elif st in (403, 409):
                stats["expected_4xx"] += 1   # blocked hunk, or decided/conflicted meanwhile
            else:
                stats["errors"].append(["approve", st, body])
    i += 1
json.dump(stats, open(out, "w"))
PY
WRITER=$!

wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -H "Authorization: Bearer $AGENT" \
        "http://$ADDR/v1/memories?scope=shop&q=test&budget_tokens=500&format=json" >"$OUT/wrk.txt"
wait "$WRITER"
kill "$SAMPLER" 2>/dev/null || true
"$CURATOR" store verify >/dev/null && VERIFY=ok || VERIFY=FAILED
"$CURATOR" audit verify >/dev/null && AUDIT=ok || AUDIT=FAILED
kill -TERM "$SERVE"; wait "$SERVE" || true

echo "== wrk GET /v1/memories, $CONNS connections, ${DUR}s"
grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors|requests in" "$OUT/wrk.txt"
echo "== writer (same ${DUR}s): $(cat "$OUT/writer.json")"
echo "== server RSS (KiB, every 5 s): $(tr '\n' ' ' <"$OUT/rss")"
echo "== after: store verify $VERIFY, audit verify $AUDIT"
