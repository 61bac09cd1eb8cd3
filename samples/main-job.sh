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
step "The git memory store and its index agree" \
        "$CURATOR" store verify
step "Memories in the store (reviewed memories land here)" \
        "$CURATOR" memories list
echo
echo "main job done: home at $CURATOR_HOME"
