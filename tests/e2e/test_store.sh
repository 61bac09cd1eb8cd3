# The memory store through the real binary: init, principals and groups,
# memories list/show/history/log, the rules at commit time, revert with
# ownership, verify and reindex (after a corrupted row, deleted rows, a lost
# curator.db, an outside commit), and two processes racing commits.
# Memories enter the store only through review, so commits are made with the
# test-only tool store_write (tests/tools/store_write.c) built beside curator.
source "$(dirname "$0")/lib.sh"
W="$(dirname "$CURATOR")/store_write"
[ -x "$W" ] || { echo "FAIL: $W not built" >&2; exit 1; }
H="$CURATOR_HOME"
G="git --git-dir=$H/store.git"

mkdir -p "$H"
cat >"$H/curator.conf" <<EOF
[rules]
dir = $CURATOR_FIXTURES/store/rules

[retention]
session = 30d
standard = 365d
pinned = never

[store]
default_retention = standard

[scope-retention]
ops = session
EOF
expect_status 0 cur init
expect_eq "$($G rev-parse --is-bare-repository)" "true" "store.git is bare"
expect_eq "$($G ls-tree --name-only main | tr '\n' ' ')" "OWNERS README.md " "initial tree"
expect_eq "$($G show main:OWNERS | grep -v '^#')" "*   @admins" "OWNERS gives all to @admins"

# principals and groups
expect_status 0 cur principals add root --role admin
expect_status 0 cur principals add alice --role owner --scopes app,web
expect_status 0 cur principals add bob --role owner
expect_status 2 cur principals add eve --role wizard
expect_grep "not one of owner, compliance, agent, admin" "$T/err" "bad role refused"
expect_status 0 cur groups add admins root
expect_status 0 cur groups add app-team alice
expect_status 2 cur groups add app-team nobody
expect_grep "'nobody' is not a principal" "$T/err" "unknown member refused"
cur principals list --json >"$T/p.json"
expect_eq "$(jq -r '[.[] | .name + ":" + .role] | join(",")' "$T/p.json")" \
        "alice:owner,bob:owner,root:admin" "principals list --json"
expect_eq "$(jq -r '.[] | select(.name=="alice") | .scopes' "$T/p.json")" "app,web" "scopes"
expect_eq "$(jq -r '.[] | select(.name=="bob") | .scopes' "$T/p.json")" "null" "all scopes"
expect_eq "$(cur groups list --json | jq -r '.[] | select(.name=="app-team") | .members | join(",")')" \
        "alice" "groups list --json"

printf '*  @admins\nmemories/app/  @app-team\n' >"$T/OWNERS"
expect_status 0 "$W" "$H" --as root owners "$T/OWNERS"

# commits through the store API
A=mem-00000000000000a1
B=mem-00000000000000b2
CURATOR_NOW=2026-08-01T10:00:00Z "$W" "$H" --as alice add app "Run the narrow test first." $A \
        add ops "The release branch is integration." $B >"$T/c1"
C1=$(cat "$T/c1")
expect_eq "${#C1}" "40" "commit id printed"
cur memories list --json >"$T/list.json"
expect_eq "$(jq -r '.memories | length' "$T/list.json")" "2" "two memories"
expect_eq "$(jq -r '.commit' "$T/list.json")" "$C1" "list names the commit"
expect_eq "$(jq -r ".memories[] | select(.id==\"$A\") | .owner" "$T/list.json")" "@app-team" \
        "owner from OWNERS"
expect_eq "$(jq -r ".memories[] | select(.id==\"$B\") | .retention + \" \" + .expires" "$T/list.json")" \
        "session 2026-08-31T10:00:00.000Z" "scope retention class and expiry"
expect_eq "$(cur memories list --scope app --json | jq -r '[.memories[].id] | join(",")')" "$A" \
        "list --scope"
cur memories show $A >"$T/show.md"
expect_eq "$(head -1 "$T/show.md")" "---" "show prints the file"
P=$(jq -r ".memories[] | select(.id==\"$A\") | .path" "$T/list.json")
expect_eq "$P" "memories/app/run-the-narrow-test-first-00000000000000a1.md" "path"
expect_eq "$(cur memories show $A | sha256sum)" "$($G cat-file -p main:$P | sha256sum)" \
        "show is byte for byte the blob"
expect_eq "$(cur memories show "$P" --json | jq -r '.text')" "Run the narrow test first." \
        "show by path --json"

CURATOR_NOW=2026-09-01T00:00:00Z "$W" "$H" --as alice update $A "Run the narrow test first, always." >"$T/c2"
C2=$(cat "$T/c2")
expect_eq "$(cur memories show $A --at "$C1" --json | jq -r '.text')" "Run the narrow test first." \
        "show --at an older commit"
expect_eq "$(cur memories show $A --json | jq -r '.updated + " " + .expires')" \
        "2026-09-01T00:00:00.000Z 2027-09-01T00:00:00.000Z" "update moves updated and expires"
cur memories history $A --json >"$T/h.json"
expect_eq "$(jq -r '[.commits[].commit] | join(" ")' "$T/h.json")" "$C2 $C1" "history newest first"
expect_eq "$(jq -r '.commits[1].author' "$T/h.json")" "alice" "history author"
expect_eq "$(jq -r '[.commits[0].trailers[] | .key + "=" + .value] | join(",")' "$T/h.json")" \
        "Diff-Id=diff-test,Evidence=sesn_test/sevt_1,Approved-By=alice" "history trailers"
expect_eq "$(cur memories list --at "$C1" --json | jq -r '.commit')" "$C1" "list --at"
expect_eq "$(cur memories log --json | jq -r '.commits | length')" "4" "log counts commits"
expect_eq "$(cur memories log --limit 1 --json | jq -r '.commits[0].paths[0].memory')" "$A" \
        "log paths name the memory"
expect_status 2 cur memories show mem-0000000000000fff
expect_grep "does not exist" "$T/err" "missing memory"
expect_status 2 cur memories list --at nosuchcommit
expect_grep "not a commit" "$T/err" "bad --at"

# the rules run at commit time; a secret never reaches a blob
expect_status 2 "$W" "$H" add app "use AKIAQWERTYUIOPASDFGH to deploy"
expect_grep "rule 'test-aws-access-key'" "$T/err" "block names the rule"
CHECKS=$((CHECKS + 1))
if grep -q AKIA "$T/err"; then fail "the refusal repeats the secret"; fi
CHECKS=$((CHECKS + 1))
if $G cat-file --batch-all-objects --batch | grep -a -q AKIAQWERTYUIOPASDFGH; then
        fail "the secret reached an object"
fi
expect_eq "$($G rev-parse main)" "$C2" "refused write left main alone"

# revert: only admins or the owners of every path the commit touched
expect_status 2 cur memories revert "$C2" --as bob
expect_grep "owned by @app-team" "$T/err" "revert refusal names the owners"
expect_status 2 cur memories revert "$C2"
expect_grep "\-\-as PRINCIPAL is required" "$T/err" "revert needs --as"
expect_status 0 cur memories revert "${C2:0:10}" --as alice --json
R=$(jq -r '.commit' "$T/out")
expect_eq "$(jq -r '.reverts' "$T/out")" "$C2" "revert --json names the reverted commit"
expect_eq "$(cur memories show $A --json | jq -r '.text')" "Run the narrow test first." \
        "revert restored the text"
expect_eq "$($G log -1 --format='%an|%(trailers:key=Reverts,valueonly)|%(trailers:key=Approved-By,valueonly)' main | tr -d '\n')" \
        "alice|$C2|alice" "revert commit author and trailers"
expect_eq "$($G rev-parse main)" "$R" "revert moved main"
expect_status 2 cur memories revert "$C2" --as root
expect_grep "conflict" "$T/err" "reverting twice conflicts"

# verify and reindex
expect_status 0 cur store verify
expect_grep "^ok: " "$T/out" "verify clean"
sqlite3 "$H/curator.db" "UPDATE store_memories SET owner = 'mallory' WHERE id = '$B'"
expect_status 1 cur store verify --json
expect_eq "$(jq -r '.ok' "$T/out")" "false" "verify --json ok=false"
expect_eq "$(jq -r '.problems[] | select(.kind=="index") | .detail' "$T/out" | grep -c "$B.*owner")" \
        "1" "verify names the corrupted row and column"
expect_status 1 cur store verify
expect_grep "index: memories/ops/" "$T/out" "verify text names the path"
expect_status 0 cur store reindex
expect_grep "indexed 2 memories" "$T/out" "reindex count"
expect_status 0 cur store verify

sqlite3 "$H/curator.db" "DELETE FROM store_memories"
expect_status 1 cur store verify
expect_grep "missing from the index" "$T/out" "verify sees deleted rows"
expect_status 0 cur store reindex
expect_status 0 cur store verify

rm -f "$H/curator.db" "$H/curator.db-wal" "$H/curator.db-shm"
expect_status 0 cur store reindex
expect_grep "indexed 2 memories" "$T/out" "reindex rebuilds a lost database"
expect_status 0 cur store verify
expect_eq "$(sqlite3 "$H/curator.db" "SELECT count(*) FROM store_memories_fts WHERE store_memories_fts MATCH 'integration'")" \
        "1" "FTS rebuilt too"
cur principals add root --role admin >/dev/null
cur principals add alice --role owner >/dev/null
cur groups add app-team alice >/dev/null

# a commit the index never saw (a writer killed after its ref update, or a
# push from outside): verify reports the drift; the next write heals it
tree=$($G ls-tree main | sed "s/$($G rev-parse main:README.md)/$(printf 'changed\n' | $G hash-object -w --stdin)/" | $G mktree)
outside=$($G commit-tree "$tree" -p main -m "outside write")
$G update-ref refs/heads/main "$outside"
expect_status 1 cur store verify
expect_grep "main is at ${outside:0:12}" "$T/out" "verify sees the index behind main"
"$W" "$H" --as root add web "We use pnpm." >/dev/null
expect_status 0 cur store verify

# two processes race: every commit lands, none is lost
N0=$($G rev-list --count main)
"$W" "$H" --as alice --repeat 20 add app "racer one note" >"$T/r1" 2>"$T/r1.err" &
p1=$!
"$W" "$H" --as root --repeat 20 add web "racer two note" >"$T/r2" 2>"$T/r2.err" &
p2=$!
wait $p1 && wait $p2 || fail "a racing writer failed: $(cat "$T/r1.err" "$T/r2.err")"
expect_eq "$(cat "$T/r1" "$T/r2" | sort -u | wc -l)" "40" "40 distinct commits reported"
expect_eq "$($G rev-list --count main)" "$((N0 + 40))" "all 40 on main"
expect_eq "$(cat "$T/r1" "$T/r2" | sort)" "$($G rev-list main -n 40 | sort)" \
        "the reported commits are the ones on main"
expect_eq "$(cur memories list --json | jq -r '.memories | length')" "43" "every memory there"

# racing updates of one memory from one base: each lands or gets a conflict
BASE=$($G rev-parse main)
for i in 1 2 3 4 5 6; do
        ( rc=0; "$W" "$H" --as alice --base "$BASE" update $A "edit $i" >"$T/u$i" 2>"$T/u$i.err" || rc=$?
          echo $rc >"$T/u$i.rc" ) &
done
wait
ok=0; conflicts=0
for i in 1 2 3 4 5 6; do
        case $(cat "$T/u$i.rc") in
        0) ok=$((ok + 1)); winner=$i ;;
        3) conflicts=$((conflicts + 1))
           expect_grep "conflict: memory $A" "$T/u$i.err" "conflict names the memory" ;;
        *) fail "update $i: $(cat "$T/u$i.err")" ;;
        esac
done
expect_eq "$ok" "1" "exactly one update from the shared base lands"
expect_eq "$conflicts" "5" "the others are conflicts"
expect_eq "$(cur memories show $A --json | jq -r '.text')" "edit $winner" "the winner's text"
expect_status 0 cur store verify

echo "test_store: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
