#!/usr/bin/env bash
# Serving benchmark: wrk against GET /v1/memories on a 10,000-memory store
# over loopback (a query, a 2,000-token budget, an agent's bearer token), and
# in the same run nginx serving the very same bundle bytes as a static file.
# Each concurrency level (open connections) is measured for curator, then nginx.
# Usage: bench/serve/run.sh [NMEM] [SECONDS] ["CONNECTIONS..."]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NMEM=${1:-10000}
SECS=${2:-20}
LEVELS=${3:-"8 32"}
BUILD=${BUILD:-$ROOT/build-bench-serve}
WORK=$(mktemp -d /tmp/curator-bench-serve.XXXXXX)
PIDS=()
cleanup() {
        for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
        [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
        sleep 0.3
        rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null && command -v nginx >/dev/null ||
        { echo "needs wrk and nginx (apt-get install -y wrk nginx)" >&2; exit 2; }
NGINX=$(command -v nginx)

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target curator curator_core >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/curator" "$ROOT/bench/serve/seed.c" "$BUILD/libcurator_core.a" \
        $(pkg-config --libs sqlite3 libcjson libpcre2-8 libgit2 libcurl libmicrohttpd) -lm -lpthread \
        -o "$WORK/seed"
CUR="$BUILD/bin/curator"
H="$WORK/home"
export CURATOR_HOME="$H"
"$CUR" init >/dev/null
"$CUR" principals add agent1 --role agent --scopes app >/dev/null
"$WORK/seed" "$H" app "$NMEM" >/dev/null
TOKEN=$("$CUR" tokens create --principal agent1 2>/dev/null)
QUERY="scope=app&q=deploy&budget_tokens=2000"

"$CUR" serve --listen 127.0.0.1:0 --max-seconds $((SECS * 8 + 120)) >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^listening on' "$WORK/serve.out" && break; sleep 0.05; done
PORT=$(sed -n 's/^listening on 127\.0\.0\.1://p' "$WORK/serve.out")
URL="http://127.0.0.1:$PORT/v1/memories?$QUERY"
curl -sf -H "Authorization: Bearer $TOKEN" "$URL" >"$WORK/bundle.json"
BYTES=$(wc -c <"$WORK/bundle.json")
RETURNED=$(jq .returned "$WORK/bundle.json")

# nginx: the same bytes as a static file, 2 workers, on loopback
mkdir -p "$WORK/www" "$WORK/nginx"
cp "$WORK/bundle.json" "$WORK/www/bundle.json"
chmod -R a+rX "$WORK"
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<NGX
worker_processes $(nproc);
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    default_type application/json;
    server {
        listen 127.0.0.1:$NPORT;
        root $WORK/www;
    }
}
NGX
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK/nginx" 2>"$WORK/nginx.err"
sleep 0.5
cmp -s <(curl -sf "http://127.0.0.1:$NPORT/bundle.json") "$WORK/bundle.json" ||
        { echo "nginx does not serve the same bytes" >&2; exit 1; }

run_wrk() { # CONNS URL [HEADER]
        if [ $# -ge 3 ]; then wrk -t2 -c"$1" -d"${SECS}s" --latency -H "$3" "$2"
        else wrk -t2 -c"$1" -d"${SECS}s" --latency "$2"; fi
}
# wrk prints latencies with units; normalise to milliseconds
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000} printf "%.3f", v}'; }
parse() { # FILE -> "rps p50 p99"
        local rps p50 p99
        rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
        p50=$(awk '$1 == "50%" {print $2}' "$1" | to_ms)
        p99=$(awk '$1 == "99%" {print $2}' "$1" | to_ms)
        echo "$rps $p50 $p99"
}
ratio() { echo "$1 / $2" | bc -l | xargs printf %.2f; }
# warm both, then measure each level
wrk -t2 -c8 -d2s -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null
wrk -t2 -c8 -d2s "http://127.0.0.1:$NPORT/bundle.json" >/dev/null
: >"$WORK/results"
for c in $LEVELS; do
        run_wrk "$c" "$URL" "Authorization: Bearer $TOKEN" >"$WORK/wrk.curator.$c"
        run_wrk "$c" "http://127.0.0.1:$NPORT/bundle.json" >"$WORK/wrk.nginx.$c"
        read -r C_RPS C_P50 C_P99 < <(parse "$WORK/wrk.curator.$c")
        read -r N_RPS N_P50 N_P99 < <(parse "$WORK/wrk.nginx.$c")
        NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.curator.$c")
        {
        echo "connections $c:"
        echo "  curator: ${C_RPS} req/s, p50 ${C_P50} ms, p99 ${C_P99} ms, non-2xx ${NON2XX:-0}"
        echo "  nginx:   ${N_RPS} req/s, p50 ${N_P50} ms, p99 ${N_P99} ms"
        echo "  curator/nginx: req/s $(ratio "$C_RPS" "$N_RPS"), p50 $(ratio "$C_P50" "$N_P50"), p99 $(ratio "$C_P99" "$N_P99")"
        } >>"$WORK/results"
done
# paced: 16 connections, each pausing 1 ms between requests (about 10-13k
# req/s in all), to read the latency at the issue's target rate rather than
# at saturation
printf 'function delay()\n  return 1\nend\n' >"$WORK/pace.lua"
wrk -t2 -c16 -d"${SECS}s" --latency -s "$WORK/pace.lua" -H "Authorization: Bearer $TOKEN" "$URL" >"$WORK/wrk.curator.paced"
wrk -t2 -c16 -d"${SECS}s" --latency -s "$WORK/pace.lua" "http://127.0.0.1:$NPORT/bundle.json" >"$WORK/wrk.nginx.paced"
read -r C_RPS C_P50 C_P99 < <(parse "$WORK/wrk.curator.paced")
read -r N_RPS N_P50 N_P99 < <(parse "$WORK/wrk.nginx.paced")
{
echo "paced, 16 connections, 1 ms pause per connection (wrk -s pace.lua):"
echo "  curator: ${C_RPS} req/s, p50 ${C_P50} ms, p99 ${C_P99} ms"
echo "  nginx:   ${N_RPS} req/s, p50 ${N_P50} ms, p99 ${N_P99} ms"
echo "  curator/nginx: req/s $(ratio "$C_RPS" "$N_RPS"), p50 $(ratio "$C_P50" "$N_P50"), p99 $(ratio "$C_P99" "$N_P99")"
} >>"$WORK/results"
# audit rows written for the fetches (batched)
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" || true
PIDS=()
FETCHES=$(sqlite3 "$H/curator.db" "select count(*) from audit_log where action='memories.fetch'")

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk, curator and nginx share them"
echo "store: $NMEM memories in scope app; bundle: $RETURNED memories, $BYTES bytes"
echo "command: wrk -t2 -c<N> -d${SECS}s --latency -H 'Authorization: Bearer <token>' 'http://127.0.0.1:<port>/v1/memories?$QUERY'"
cat "$WORK/results"
echo "audit rows for fetches: $FETCHES"
for c in $LEVELS paced; do echo "--- wrk curator, $c"; cat "$WORK/wrk.curator.$c"; done
