#!/usr/bin/env bash
# Installs what curator needs from Debian's packages (only what is missing)
# and builds it into build/. Sourced or run by samples/main-job.sh and
# tests/run-all.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config git python3 sqlite3 curl
          libsqlite3-dev libcjson-dev libpcre2-dev libgit2-dev
          libcurl4-openssl-dev libmicrohttpd-dev ${CURATOR_EXTRA_PACKAGES:-})
missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "setup: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
                exit 2
        fi
        echo "setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_EXTRA_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >&2
