# Shared helpers for the end-to-end tests: each test sources this, gets its
# own temporary home in $T (removed on exit) and a `cur` function that runs
# the real binary against it.
set -euo pipefail
: "${CURATOR:?set CURATOR to the curator binary}"
: "${CURATOR_FIXTURES:?set CURATOR_FIXTURES to tests/fixtures}"
T=$(mktemp -d /tmp/curator-e2e.XXXXXX)
export CURATOR_HOME="$T/home"
BG_PIDS=()
# Servers a test starts in the background are stopped with it.
cleanup() {
        for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        rm -rf "$T"
}
trap cleanup EXIT
FAILS=0
CHECKS=0

cur() { "$CURATOR" "$@"; }

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
        CHECKS=$((CHECKS + 1))
        if [ "$1" != "$2" ]; then fail "$3: expected '$2', got '$1'"; fi
}

# expect_status EXPECTED CMD... : runs CMD, compares its exit status
expect_status() {
        local want=$1; shift
        CHECKS=$((CHECKS + 1))
        set +e
        "$@" >"$T/out" 2>"$T/err"
        local got=$?
        set -e
        if [ "$got" != "$want" ]; then
                fail "'$*' exited $got, expected $want; stderr: $(head -c 2000 "$T/err")"
        fi
}

# expect_grep PATTERN FILE WHAT
expect_grep() {
        CHECKS=$((CHECKS + 1))
        if ! grep -q -- "$1" "$2"; then fail "$3: '$1' not in $2: $(head -c 1500 "$2")"; fi
}

expect_no_grep() {
        CHECKS=$((CHECKS + 1))
        if grep -q -- "$1" "$2"; then fail "$3: '$1' unexpectedly in $2"; fi
}

# json_field FILE KEY: a top-level field of the last JSON line of FILE
json_field() {
        tail -n 1 "$1" | python3 -c 'import json,sys; v=json.loads(sys.stdin.read())[sys.argv[1]]; print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$2"
}

sql() { sqlite3 -batch -cmd ".timeout 10000" "$CURATOR_HOME/curator.db" "$@"; }

finish() {
        echo "$CHECKS checks, $FAILS failed"
        [ "$FAILS" -eq 0 ]
}
