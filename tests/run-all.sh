#!/usr/bin/env bash
# Every test: installs what is missing, builds, runs the unit and end-to-end
# suites with ctest, runs each libFuzzer harness for a few seconds, then
# builds again with AddressSanitizer and UndefinedBehaviorSanitizer and runs
# the whole suite under them (its summary is the last line).
set -euo pipefail
cd "$(dirname "$0")/.."

# clang and its libFuzzer runtime for the fuzz smoke run
export CURATOR_EXTRA_PACKAGES="clang libclang-rt-14-dev"
bash .ci/setup.sh
echo "== tests (RelWithDebInfo build)"
ctest --test-dir build --output-on-failure -j2

echo "== fuzz smoke run (libFuzzer, ASan + UBSan, a few seconds per harness)"
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-5}"

echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
BUILD_DIR=build-asan CMAKE_EXTRA_ARGS="-DCURATOR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" bash .ci/setup.sh
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j2
