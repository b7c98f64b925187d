#!/usr/bin/env bash
# `make test`: every suite, in order of cost. Unit tests (optimized build), the
# same unit tests under ASan+UBSan and under ThreadSanitizer (the store
# conformance suite runs on SQLite and on a throwaway PostgreSQL server, the
# media store suite on the local disk and on a throwaway S3 server), a short
# run of every fuzz target, integration tests against live servers (the
# optimized one on SQLite, the same on PostgreSQL with the outage suite, the cluster
# suites on three nodes with Redis and nginx, then a ThreadSanitizer build), and the browser end-to-end tests (on SQLite, then on PostgreSQL).
# Needs the packages of `scripts/deps.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
export NEXT_TELEMETRY_DISABLED=1
export PARLEY_TEST_TMP=${PARLEY_TEST_TMP:-$(mktemp -d /tmp/parley-test.XXXXXX)}
# Compiler cache hits across clones in other folders (CI builds a fresh clone).
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true

# A throwaway PostgreSQL server for the whole run and a streaming replica of it
# (scripts/pg-server.sh), stopped at exit.
pg_dir="$PARLEY_TEST_TMP/pg"
pg_replica_dir="$PARLEY_TEST_TMP/pg-replica"
s3_dir="$PARLEY_TEST_TMP/s3"
stop_all() {
  scripts/s3-server.sh stop "$s3_dir" >/dev/null 2>&1 || true
  scripts/pg-server.sh stop "$pg_replica_dir" >/dev/null 2>&1 || true
  scripts/pg-server.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$PARLEY_TEST_TMP"
}
trap stop_all EXIT

section() { printf '\n==== %s (at %ds)\n' "$*" "$SECONDS"; }

section "build (release) and web client"
scripts/build-web.sh
cmake --preset release >/dev/null
cmake --build build/release --target parley unit_tests -j "$jobs"
cp build/release/src/app/parley build/parley

section "a throwaway PostgreSQL server and a streaming replica of it"
PARLEY_TEST_POSTGRES_URL=$(scripts/pg-server.sh start "$pg_dir")
PARLEY_TEST_POSTGRES_REPLICA_URL=$(scripts/pg-server.sh replica "$pg_dir" "$pg_replica_dir")
export PARLEY_TEST_POSTGRES_URL PARLEY_TEST_POSTGRES_REPLICA_URL
echo "PostgreSQL at $PARLEY_TEST_POSTGRES_URL, its replica at $PARLEY_TEST_POSTGRES_REPLICA_URL"

section "a throwaway S3-compatible server (s3rver, from tests/integration's packages)"
(cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
PARLEY_TEST_S3_ENDPOINT=$(scripts/s3-server.sh start "$s3_dir")
export PARLEY_TEST_S3_ENDPOINT PARLEY_TEST_S3_BUCKET=parley-test
export PARLEY_TEST_S3_ACCESS_KEY_ID=S3RVER PARLEY_TEST_S3_SECRET_ACCESS_KEY=S3RVER
echo "S3 at $PARLEY_TEST_S3_ENDPOINT, bucket $PARLEY_TEST_S3_BUCKET"

section "unit tests"
ctest --test-dir build/release --output-on-failure -j "$jobs"

section "unit tests under ASan+UBSan"
cmake --preset asan >/dev/null
cmake --build build/asan --target unit_tests -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs"

section "unit tests under ThreadSanitizer"
cmake --preset tsan >/dev/null
cmake --build build/tsan --target parley unit_tests -j "$jobs"
# A report fails the test that caused it (exit code 66); the report is in its output.
TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 \
  ctest --test-dir build/tsan --output-on-failure -j "$jobs"

section "fuzz targets (a short run each)"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

section "integration tests"
# (tests/integration's packages were installed above, for the S3 server.)
(cd tests/integration && PARLEY_BIN="$root/build/parley" node --test --test-concurrency=1 ./*.test.mjs)

section "integration tests on PostgreSQL"
# Every server gets a fresh database on the test server (tests/integration/lib/store.mjs);
# the outage suite restarts and stops that server. realtime-client and realtime-protocol
# start `parley conformance`, which has no store: the SQLite run covers them.
(cd tests/integration && PARLEY_BIN="$root/build/parley" PARLEY_TEST_STORE=postgres PARLEY_TEST_PG_DIR="$pg_dir" \
  node --test --test-concurrency=1 $(ls ./*.test.mjs | grep -v -e realtime-client -e realtime-protocol))

section "cluster tests: PostgreSQL, Redis, nginx and three nodes"
# tests/integration/cluster/: every suite starts its own Redis (scripts/redis-server.sh),
# nginx (scripts/nginx-server.sh) and nodes, on a fresh database of the test PostgreSQL
# server (read through its replica where a suite says so), and kills nodes and Redis on
# purpose (lib/cluster.mjs).
(cd tests/integration && PARLEY_BIN="$root/build/parley" node --test --test-concurrency=1 ./cluster/*.test.mjs)

section "integration tests against a ThreadSanitizer server"
# Every server the suites start is the TSan build, the cluster suites' nodes included. Its reports go to files, not stderr (the
# suites read stderr), and one stops the server (exit code 66, which fails the test that
# needed it). A report file fails the stage even when no test noticed.
tsan_logs="$PARLEY_TEST_TMP/tsan-reports"
mkdir -p "$tsan_logs"
tsan_status=0
(cd tests/integration && PARLEY_BIN="$root/build/tsan/src/app/parley" \
  TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:log_path=$tsan_logs/report" \
  node --test --test-concurrency=1 ./*.test.mjs ./cluster/*.test.mjs) || tsan_status=$?
if compgen -G "$tsan_logs/report*" >/dev/null; then
  cat "$tsan_logs"/report*
  echo "ThreadSanitizer reported a data race in the server (reports above)"
  exit 1
fi
[ "$tsan_status" -eq 0 ] || exit "$tsan_status"

if [ -f tests/e2e/package.json ] && [ -d web/out ]; then
  section "end-to-end tests in Chromium"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  (cd tests/e2e && PARLEY_BIN="$root/build/parley" PARLEY_WEB_DIR="$root/web/out" \
    E2E_ARTIFACTS="$root/build/e2e-artifacts" node --test --test-concurrency=1 ./*.test.mjs)

  section "end-to-end tests in Chromium on PostgreSQL"
  # The same browser suite against a server on the test PostgreSQL (PARLEY_STORE is the
  # --store flag's variable): a newcomer's chat in the web client, restart included.
  psql "$PARLEY_TEST_POSTGRES_URL" -qc "CREATE DATABASE parley_e2e"
  (cd tests/e2e && PARLEY_STORE="${PARLEY_TEST_POSTGRES_URL%/*}/parley_e2e" PARLEY_BIN="$root/build/parley" \
    PARLEY_WEB_DIR="$root/web/out" E2E_ARTIFACTS="$root/build/e2e-artifacts-postgres" \
    node --test --test-concurrency=1 ./*.test.mjs)
fi
echo
echo "all test suites passed in ${SECONDS}s"
