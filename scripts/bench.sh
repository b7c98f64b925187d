#!/usr/bin/env bash
# `make bench` (after `scripts/deps.sh bench`): builds the release server and the load
# generator, runs every scenario against Parley and against the Node socket.io peer in
# the same run, stores one JSON result per scenario and target under bench/results/,
# profiles Parley's fan-out with perf, runs bench/history.sh, and rewrites
# docs/benchmarks.md from the results (bench/report.mjs).
#
# Every server is started fresh for each scenario, on loopback, on a free port, with a
# temporary data folder; every step has a timeout. A few minutes in all.
#
# Environment: BENCH_SCENARIOS="idle storm fanout-latency fanout-max persist" (subset),
# BENCH_TARGETS="parley peer", BENCH_DURATION=5 (seconds per measured window),
# BENCH_PROFILE=1 (0: no perf run), BENCH_HISTORY=1 (0: skip bench/history.sh),
# BENCH_UPLOADS=1 (0: skip bench/uploads.mjs), BENCH_BUILD=1 (0: use the binaries BENCH_PARLEY and BENCH_LOADGEN as they are),
# BENCH_PREVIEWS=1 (0: skip the image thumbnails through the preview sandbox),
# BENCH_COMPRESSION=1 (0: skip the WebSocket compression runs),
# BENCH_SEARCH=1 (0: skip the full-text search runs), SEARCH_MESSAGES=1000000 (messages in the
# search bench's store), SEARCH_PAIRS=5 (index on/off pairs of persisted sends).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
scenarios=${BENCH_SCENARIOS:-"idle storm fanout-latency fanout-latency-memdisk fanout-latency-room100 fanout-max fanout-rooms1000 persist persist-postgres persist-latency"}
targets=${BENCH_TARGETS:-"parley peer"}
duration=${BENCH_DURATION:-5}
results=bench/results
tmp=$results/tmp
mkdir -p "$tmp"

section() { printf '\n==== %s\n' "$*"; }

parley=${BENCH_PARLEY:-build/parley}
loadgen=${BENCH_LOADGEN:-build/release/bench/parley-loadgen}
if [ "${BENCH_BUILD:-1}" = 1 ]; then
  section "build (release): parley and parley-loadgen"
  cmake --preset release >/dev/null
  cmake --build build/release --target parley parley-loadgen parley-preview-bench parley-search-bench -j "$jobs"
  cp build/release/src/app/parley build/parley
  parley=build/parley
  loadgen=build/release/bench/parley-loadgen
fi

section "peer: Node socket.io $(node --version)"
(cd bench/peers/socketio-node && npm ci --no-audit --no-fund --loglevel=error)

server_pid=""
server_addr=""
server_flags=()  # extra flags for the next start_server (the compression runs)
server_log=""
pg_dir=""  # the throwaway PostgreSQL server of persist-postgres (scripts/pg-server.sh)
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then scripts/pg-server.sh stop "$pg_dir" || true; fi
}
trap cleanup EXIT

# Starts a fresh server of kind $1; sets server_pid and server_addr (HOST:PORT).
# $2 (optional): the folder to make Parley's data folder in (default: beside the results).
# $3 (optional): "postgres": Parley stores in a fresh PostgreSQL server (scripts/pg-server.sh)
# on the same machine, so the server, PostgreSQL and the generator share the two cores.
start_server() {
  local kind=$1 data store_args=()
  server_log=$(mktemp "$tmp/server.XXXXXX.log")
  case "$kind" in
    parley)
      data=$(mktemp -d "${2:-$tmp}/data.XXXXXX")
      if [ "${3:-}" = postgres ]; then
        pg_dir=$data/pg
        store_args=(--store "$(scripts/pg-server.sh start "$pg_dir")")
      fi
      "$parley" serve --listen 127.0.0.1:0 --data-dir "$data" "${store_args[@]}" --password-cost minimal \
        --rate-limit off --log-level warn "${server_flags[@]}" >"$server_log" 2>&1 &
      ;;
    peer)
      node bench/peers/socketio-node/server.js --port 0 "${server_flags[@]}" >"$server_log" 2>&1 &
      ;;
  esac
  server_pid=$!
  for _ in $(seq 200); do
    server_addr=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$server_log" | head -1 | sed 's|http://||') || true
    [ -n "$server_addr" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: $kind did not start:" >&2
  cat "$server_log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -n "$pg_dir" ]; then scripts/pg-server.sh stop "$pg_dir" || true; pg_dir=""; fi
}

# The load generator's arguments for each scenario (the same for both targets).
scenario_args() {
  case "$1" in
    idle) echo "idle --connections 10000 --members 100" ;;
    storm) echo "storm --connections 19900" ;;
    # 10 rooms of 100 members, 5 senders per room: 100 msgs/s per sender offers
    # 5,000 messages/s, that is 500,000 deliveries/s.
    fanout-latency) echo "fanout --rooms 10 --members 100 --senders 5 --rate 100 --duration $duration" ;;
    # The same with Parley's data folder on tmpfs, where fsync costs nothing: the
    # latency of the fan-out path itself, without the disk's commit time (Parley only).
    fanout-latency-memdisk) scenario_args fanout-latency ;;
    # The same 500,000 deliveries/s into one room of 100: 100 sockets receive 5,000
    # frames/s each instead of 1,000 sockets 500/s. The kernel's cost is per write
    # call, so the latency at a given delivery rate depends on how many sockets
    # share it (bench/analysis.md).
    fanout-latency-room100) echo "fanout --rooms 1 --members 100 --senders 10 --rate 500 --duration $duration" ;;
    # The same rooms offered 4,000,000 deliveries/s: what comes out is the server's maximum.
    fanout-max) echo "fanout --rooms 10 --members 100 --senders 5 --rate 800 --duration $duration" ;;
    # Rooms of 1,000: the same deliveries from a tenth of the messages, so the fan-out
    # itself, not the commit path, is what is measured. 4,000,000 deliveries/s offered.
    fanout-rooms1000) echo "fanout --rooms 2 --members 1000 --senders 5 --rate 400 --duration $duration" ;;
    persist) echo "persist --rooms 64 --window 64 --duration $duration" ;;
    # The same senders with Parley on a PostgreSQL server on the same machine (Parley only).
    persist-postgres) scenario_args persist ;;
    # Issue 5's latency target: half the persisted target offered open loop, 781
    # sends/s from each of the 64 senders (50,000/s), spread over the interval.
    persist-latency) echo "persist --rooms 64 --window 64 --rate 781 --duration $duration" ;;
    *) echo "bench: unknown scenario $1" >&2; exit 2 ;;
  esac
}

# run_scenario NAME TARGET: one fresh server, one generator run, one JSON file.
run_scenario() {
  local name=$1 target=$2 args out cmd
  args=$(scenario_args "$name")
  out=$results/$name-$target.json
  rm -f "$out"
  case "$name" in
    fanout-latency-memdisk) start_server "$target" "$memdisk" ;;
    persist-postgres) start_server "$target" "$tmp" postgres ;;
    *) start_server "$target" ;;
  esac
  cmd="$loadgen $args --target $target --server $server_addr --server-pid $server_pid"
  echo "\$ $cmd"
  # shellcheck disable=SC2086
  if ! timeout 300 $cmd --out "$out.tmp" >/dev/null; then
    echo "bench: $name against $target failed (server log below)" >&2
    tail -20 "$server_log" >&2
    rm -f "$out.tmp"
  else
    # Keep the command beside the figures it made (with placeholders for the port/pid).
    node -e '
      const fs = require("fs"); const [file, out, cmd] = process.argv.slice(1);
      const r = JSON.parse(fs.readFileSync(file, "utf8")); r.command = cmd;
      fs.writeFileSync(out, JSON.stringify(r, null, 1) + "\n"); fs.unlinkSync(file);' \
      "$out.tmp" "$out" "parley-loadgen $args --target $target --server HOST:PORT --server-pid PID"
  fi
  stop_server
}

# tmpfs for fanout-latency-memdisk (shared memory is tmpfs on Linux).
memdisk=$(mktemp -d /dev/shm/parley-bench.XXXXXX)
trap 'cleanup; rm -rf "$memdisk"' EXIT

for name in $scenarios; do
  for target in $targets; do
    if [ "$target" != parley ] && { [ "$name" = fanout-latency-memdisk ] || [ "$name" = persist-postgres ]; }; then
      continue
    fi
    section "$name: $target"
    run_scenario "$name" "$target"
  done
done

# WebSocket compression on and off with the official client (bench/compression): bytes on
# the wire and server CPU per delivered message, and idle memory per connection with it on.
# About 1.5 minutes (BENCH_COMPRESSION=0 skips it).
if [ "${BENCH_COMPRESSION:-1}" = 1 ]; then
  section "compression: permessage-deflate on and off (bench/compression)"
  (cd bench/compression && npm ci --no-audit --no-fund --loglevel=error)
  for target in $targets; do
    for run in "traffic off" "traffic on" "idle on"; do
      read -r mode on <<<"$run"
      server_flags=()
      if [ "$on" = on ]; then
        if [ "$target" = parley ]; then server_flags=(--ws-compression); else server_flags=(--compression); fi
      fi
      start_server "$target"
      out=$results/compression-$mode-$target-$on.json
      if ! timeout 300 node bench/compression/compression.mjs "$mode" --target "$target" --server "$server_addr" \
          --server-pid "$server_pid" --compression "$on" --out "$out"; then
        echo "bench: compression $mode $on against $target failed (server log below)" >&2
        tail -20 "$server_log" >&2
      fi
      stop_server
      server_flags=()
    done
  done
fi

# Where Parley's CPU goes at fan-out saturation: a separate run under perf, so that the
# sampling does not touch the measured figures above.
if [ "${BENCH_PROFILE:-1}" = 1 ] && [[ " $targets " == *" parley "* ]] && command -v perf >/dev/null; then
  section "profile: Parley fan-out at saturation under perf record"
  start_server parley
  # shellcheck disable=SC2046
  timeout 300 $loadgen $(scenario_args fanout-max) --target parley --server "$server_addr" \
    --server-pid "$server_pid" >"$tmp/profile-run.json" 2>"$tmp/profile-run.err" &
  loadgen_pid=$!
  # Sample the measured window only: from the end of the warm-up, for its duration.
  for _ in $(seq 1200); do grep -q "sending for" "$tmp/profile-run.err" && break; sleep 0.05; done
  sleep 1.3
  # The release build keeps no frame pointers: DWARF unwinding gives the call chains.
  perf record -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$tmp/perf.data" \
    -- sleep "$duration" >"$tmp/perf.log" 2>&1 || true
  wait "$loadgen_pid" || true
  # Inclusive time of Parley's own functions and of the calls that matter (SQLite,
  # socket writes, thread hand-offs), then self time by binary.
  perf report -i "$tmp/perf.data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null |
    grep -E 'parley::|sqlite3_step|sendmsg|recvfrom|futex|epoll_wait|fdatasync' | grep -v '(inlined)' |
    cut -c1-170 | head -40 >"$results/profile-fanout-parley.txt" || true
  perf report -i "$tmp/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -12 >"$results/profile-fanout-parley-dso.txt" || true
  stop_server
fi

if [ "${BENCH_HISTORY:-1}" = 1 ]; then
  section "history reads (bench/history.sh)"
  PARLEY_BIN=$parley bench/history.sh "$duration" 64 1 | tee "$results/history.txt" | tail -2
fi

# Uploads (issue 15): 20 clients streaming 50 MB each; throughput and server memory.
if [ "${BENCH_UPLOADS:-1}" = 1 ]; then
  section "uploads (bench/uploads.mjs)"
  PARLEY_BIN=$parley node bench/uploads.mjs "${UPLOAD_CLIENTS:-20}" "${UPLOAD_MB:-50}" | tee "$results/uploads.txt"
fi

# Image thumbnails (320 and 1280 px WebP) from 12-megapixel JPEGs, each in its own
# `parley preview-child` process with its limits, one child per core (docs/media.md, "Images").
if [ "${BENCH_PREVIEWS:-1}" = 1 ]; then
  section "image previews through the sandbox (parley-preview-bench)"
  timeout 600 "${BENCH_PREVIEW_BENCH:-build/release/bench/parley-preview-bench}" --images 24 --child "$parley" |
    tee "$results/previews.txt"
fi

# Full-text search (issue 16): latency over a store of 1,000,000 messages (SQLite, FTS5),
# then persisted sends with the index on and off in alternating pairs (the index's cost).
# About 3 minutes for the fill and the searches, 1 minute per pair.
if [ "${BENCH_SEARCH:-1}" = 1 ]; then
  section "search latency over ${SEARCH_MESSAGES:-1000000} messages (parley-search-bench)"
  echo "search-run: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    >"$results/search.txt"
  echo "search-command: build/release/bench/parley-search-bench --messages ${SEARCH_MESSAGES:-1000000}" >>"$results/search.txt"
  timeout 1800 "${BENCH_SEARCH_BENCH:-build/release/bench/parley-search-bench}" --messages "${SEARCH_MESSAGES:-1000000}" |
    tee -a "$results/search.txt" || echo "bench: the search bench failed"
  section "persisted sends, search index on and off in pairs (bench/search-index.sh)"
  echo "search-index: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    >"$results/search-index.txt"
  BENCH_PARLEY=$parley BENCH_LOADGEN=$loadgen BENCH_DURATION=$duration bench/search-index.sh "${SEARCH_PAIRS:-5}" |
    tee -a "$results/search-index.txt" || echo "bench: the search index pairs failed"
  section "persisted sends on PostgreSQL, search index on and off in pairs (BENCH_SEARCH_STORE=postgres bench/search-index.sh)"
  echo "search-index: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    >"$results/search-index-postgres.txt"
  BENCH_SEARCH_STORE=postgres BENCH_PARLEY=$parley BENCH_LOADGEN=$loadgen BENCH_DURATION=$duration \
    bench/search-index.sh "${SEARCH_PAIRS:-5}" |
    tee -a "$results/search-index-postgres.txt" || echo "bench: the PostgreSQL search index pairs failed"
  # What an FTS5 index costs per row by how rows reach it (sqlite3 shell): the reading's evidence.
  python3 bench/store/fts5_savepoint.py | tee "$results/fts5-savepoint.txt" || echo "bench: the FTS5 experiment failed"
fi

# Cross-node fan-out: three Parley nodes on one PostgreSQL and one Redis beside three
# socket.io processes on one Redis (the seed's multi-server stack), same generator.
if [ "${BENCH_CLUSTER:-1}" = 1 ]; then
  section "cluster: three nodes (bench/cluster.sh)"
  CLUSTER_RESULTS=$results BENCH_BUILD=0 BENCH_PARLEY=$parley BENCH_LOADGEN=$loadgen \
    CLUSTER_RATES=${CLUSTER_RATES:-"200000 max"} BENCH_DURATION=$duration bench/cluster.sh || echo "bench: the cluster runs failed"
  section "Redis CPU per publish by subscribed nodes (bench/redis-pubsub.sh)"
  bench/redis-pubsub.sh | tee "$results/redis-pubsub.txt"
fi

section "docs/benchmarks.md"
{
  echo "nproc=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory=$(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "kernel=$(uname -r)"
  # The floor under every persisted message's latency: one fsync of the disk that
  # holds the data folder (synchronous=FULL syncs the WAL at every commit).
  python3 - "$tmp" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
times = []
for _ in range(200):
    os.write(fd, b"x" * 4096)
    t = time.perf_counter(); os.fsync(fd); times.append((time.perf_counter() - t) * 1e3)
os.close(fd); os.unlink(path)
times.sort()
print(f"fsync_ms=p50 {times[100]:.2f}, p99 {times[197]:.2f} (200 fsyncs of 4 KiB writes)")
PY
  echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "node=$(node --version)"
  echo "socketio=$(node -p 'require("./bench/peers/socketio-node/node_modules/socket.io/package.json").version')"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
} >"$results/machine.txt"
node bench/report.mjs "$results" docs/benchmarks.md
rm -rf "$tmp"
echo "bench: results in $results/, report in docs/benchmarks.md"
