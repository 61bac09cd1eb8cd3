#!/usr/bin/env bash
# Erasure benchmark: a store of NCOMMITS commits and NMEM memories (built
# with git fast-import from bench/forget/gen.py, then indexed by `curator
# store reindex`); one subject appears in NSUBJ memories. On two copies of
# the same repository, in the same run:
#   curator forget --subject S   (find by content, rewrite, pack, delete old
#                                 objects, update and vacuum curator.db)
#   git filter-repo --replace-refs delete-no-add --invert-paths
#                   --paths-from-file <the NSUBJ paths>
#                   --replace-message <S ==> [erased]>, then git gc --prune=now
# Both end with no unreachable object; the script checks that and that the
# subject is gone from every object of both.
# Usage: bench/forget/run.sh [NCOMMITS] [NMEM] [NSUBJ] [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NCOMMITS=${1:-10000}
NMEM=${2:-2000}
NSUBJ=${3:-50}
RUNS=${4:-3}
SUBJECT="Quentin Zorblatt"
BUILD=${BUILD:-$ROOT/build-ret-bench}
WORK=$(mktemp -d /tmp/curator-bench-forget.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target curator >/dev/null
CUR="$BUILD/bin/curator"
command -v git-filter-repo >/dev/null || { echo "needs git-filter-repo (apt-get install git-filter-repo)" >&2; exit 2; }

# The seed: a curator home whose store.git is the generated history.
SEED="$WORK/seed"
"$CUR" --home "$SEED" init >/dev/null
"$CUR" --home "$SEED" principals add carol --role compliance >/dev/null
rm -rf "$SEED/store.git"
git init -q --bare -b main "$SEED/store.git"
python3 "$ROOT/bench/forget/gen.py" "$NCOMMITS" "$NMEM" "$NSUBJ" "$SUBJECT" "$WORK/paths" \
        | git --git-dir="$SEED/store.git" fast-import --quiet
git --git-dir="$SEED/store.git" gc -q --prune=now
"$CUR" --home "$SEED" store reindex >/dev/null
echo "store: $(git --git-dir="$SEED/store.git" rev-list --count main) commits," \
        "$(sqlite3 "$SEED/curator.db" 'select count(*) from store_memories') memories," \
        "$(wc -l <"$WORK/paths") mention the subject;" \
        "$(du -sk "$SEED/store.git" | cut -f1) KiB packed"
printf '%s==>[erased]\n' "$SUBJECT" >"$WORK/messages"

check_clean() { # GITDIR WHAT
        local n u
        n=$(git --git-dir="$1" cat-file --batch-all-objects --batch | grep -aci zorblatt || true)
        u=$(git --git-dir="$1" fsck --full --unreachable --no-reflogs 2>&1 | grep -c . || true)
        if [ "$n" != 0 ] || [ "$u" != 0 ]; then
                echo "$2: $n objects still mention the subject, fsck said $u lines" >&2
                exit 1
        fi
}

# Wall time is what the goal is about; CPU time (user + sys, children
# included) is printed too: on a shared machine it is the steadier figure.
TIME=/usr/bin/time
CUR_T=(); FR_T=(); CUR_C=(); FR_C=()
for r in $(seq 1 "$RUNS"); do
        rm -rf "$WORK/a" "$WORK/b.git"
        cp -a "$SEED" "$WORK/a"
        cp -a "$SEED/store.git" "$WORK/b.git"
        sync
        $TIME -f '%e %U %S' -o "$WORK/t.cur" \
                "$CUR" --home "$WORK/a" forget --subject "$SUBJECT" --as carol >"$WORK/forget.out"
        (cd "$WORK/b.git" && $TIME -f '%e %U %S' -o "$WORK/t.fr" sh -c \
                'git filter-repo --quiet --force --replace-refs delete-no-add --invert-paths \
                        --paths-from-file "$1" --replace-message "$2" >/dev/null &&
                 git gc -q --prune=now' sh "$WORK/paths" "$WORK/messages")
        read -r e u s <"$WORK/t.cur"; CUR_T+=("$e"); CUR_C+=("$(echo "$u + $s" | bc -l)")
        read -r e u s <"$WORK/t.fr"; FR_T+=("$e"); FR_C+=("$(echo "$u + $s" | bc -l)")
        check_clean "$WORK/a/store.git" curator
        check_clean "$WORK/b.git" filter-repo
        printf 'run %d: curator %.2f s (cpu %.2f s), filter-repo + gc %.2f s (cpu %.2f s)\n' "$r" \
                "${CUR_T[-1]}" "${CUR_C[-1]}" "${FR_T[-1]}" "${FR_C[-1]}"
done
tail -n 1 "$WORK/forget.out"
A=$(git --git-dir="$WORK/a/store.git" rev-list --count main)
B=$(git --git-dir="$WORK/b.git" rev-list --count main)
echo "commits left: curator $A, filter-repo $B"
echo "store.git after: curator $(du -sk "$WORK/a/store.git" | cut -f1) KiB," \
        "filter-repo + gc $(du -sk "$WORK/b.git" | cut -f1) KiB"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
MC=$(median "${CUR_T[@]}"); MF=$(median "${FR_T[@]}")
CC=$(median "${CUR_C[@]}"); CF=$(median "${FR_C[@]}")
printf 'median of %d: curator %.2f s, filter-repo + gc %.2f s, ratio %.2fx (wall)\n' "$RUNS" \
        "$MC" "$MF" "$(echo "$MC / $MF" | bc -l)"
printf 'median cpu: curator %.2f s, filter-repo + gc %.2f s, ratio %.2fx (user + sys)\n' \
        "$CC" "$CF" "$(echo "$CC / $CF" | bc -l)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
