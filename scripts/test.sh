#!/usr/bin/env bash
# `make test`: every suite, in order of cost. Unit tests (optimized build), the
# same unit tests under ASan+UBSan, a short run of every fuzz target,
# integration tests against live servers, and the browser end-to-end tests.
# Needs the packages of `scripts/deps.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
export NEXT_TELEMETRY_DISABLED=1
export PARLEY_TEST_TMP=${PARLEY_TEST_TMP:-$(mktemp -d /tmp/parley-test.XXXXXX)}
trap 'rm -rf "$PARLEY_TEST_TMP"' EXIT

section() { printf '\n==== %s (at %ds)\n' "$*" "$SECONDS"; }

section "build (release) and web client"
scripts/build-web.sh
cmake --preset release >/dev/null
cmake --build build/release --target parley unit_tests -j "$jobs"
cp build/release/src/app/parley build/parley

section "unit tests"
ctest --test-dir build/release --output-on-failure -j "$jobs"

section "unit tests under ASan+UBSan"
cmake --preset asan >/dev/null
cmake --build build/asan --target unit_tests -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs"

section "fuzz targets (a short run each)"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

section "integration tests"
(cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/integration && PARLEY_BIN="$root/build/parley" node --test --test-concurrency=1 ./*.test.mjs)

if [ -f tests/e2e/package.json ] && [ -d web/out ]; then
  section "end-to-end tests in Chromium"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  (cd tests/e2e && PARLEY_BIN="$root/build/parley" PARLEY_WEB_DIR="$root/web/out" \
    E2E_ARTIFACTS="$root/build/e2e-artifacts" node --test --test-concurrency=1 ./*.test.mjs)
fi
echo
echo "all test suites passed in ${SECONDS}s"
