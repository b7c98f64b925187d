#!/usr/bin/env bash
# The cost of the full-text index on sends (issue 16's target: with the index on,
# persisted sends/s within 15% of the index off). The persist scenario of
# `make bench` (64 senders, 64 unacknowledged sends each, closed loop, through
# SQLite with synchronous=FULL) against `parley serve --search-index on` and
# `--search-index off` in pairs: each round starts a fresh server of each, back to
# back, the order alternating every round (the machine drifts by ±20% within
# minutes: compare within a pair, not across rounds). Bodies are 100 bytes of
# chat-like words (`--body-text words`), so the index does the work real text makes.
# Prints every pair and the median of the per-pair ratios on/off, and for the
# index on the lag: seconds from the end of the load until the index (SQLite:
# <db>-search.db, kept by a background thread) holds every message, i.e. until
# a search finds the last one sent.
#
#   bench/search-index.sh [ROUNDS]      # default 5; BENCH_DURATION=5 seconds per run
#   bench/search-index.sh profile on|off  # one run under perf record: where the server's time goes
#   BENCH_LAG=0 bench/search-index.sh [ROUNDS]   # without waiting for the index after each run
#   BENCH_SEARCH_STORE=postgres bench/search-index.sh [ROUNDS]
#       # the same pairs on PostgreSQL: a throwaway server (scripts/pg-server.sh),
#       # a fresh database for every run; the lag is that of its index
#
# Needs build/parley (or BENCH_PARLEY) and build/release/bench/parley-loadgen (or
# BENCH_LOADGEN). Loopback only; every run has a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-5}
duration=${BENCH_DURATION:-5}
parley=${BENCH_PARLEY:-build/parley}
loadgen=${BENCH_LOADGEN:-build/release/bench/parley-loadgen}
args="persist --rooms 64 --window 64 --body-bytes 100 --body-text words --duration $duration"
for bin in "$parley" "$loadgen"; do
  [ -x "$bin" ] || { echo "search-index: $bin is missing (make build; cmake --build build/release --target parley-loadgen)" >&2; exit 1; }
done

store=${BENCH_SEARCH_STORE:-sqlite}
case "$store" in sqlite | postgres) ;; *) echo "search-index: BENCH_SEARCH_STORE is sqlite or postgres" >&2; exit 2 ;; esac

tmp=$(mktemp -d /tmp/parley-search-index.XXXXXX)
server_pid=""
pg_dir=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then timeout 60 scripts/pg-server.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "${pg_dir%/*}"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

pg_url=""
run_count=0
if [ "$store" = postgres ]; then
  # Its own mktemp -d folder: the server runs as the postgres user, and pg-server.sh
  # opens only the folder right above its own to it.
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/parley-search-pg.XXXXXX")/server
  pg_url=$(timeout 120 scripts/pg-server.sh start "$pg_dir")
fi

# index_lag DATA_DIR [DB_URL]: seconds until the index holds every message the store
# holds (the bench deletes none), polled every 0.1 s (at most 300 s). SQLite:
# search.db against parley.db; PostgreSQL: until no conversation's search_progress is short of its last_change_seq.
index_lag() {
  local db=$1/parley.db url=${2:-} start now n m
  start=$(date +%s.%N)
  for _ in $(seq 3000); do
    if [ -n "$url" ]; then
      n=$(psql "$url" -Atc "SELECT count(*) FROM conversations c LEFT JOIN search_progress p ON p.conversation_id = c.id
        WHERE c.last_change_seq > coalesce(p.change_seq, 0)" 2>/dev/null) || n=x
      m=0
    else
      n=$(sqlite3 "$db" "PRAGMA busy_timeout = 2000; SELECT count(*) FROM messages" 2>/dev/null | tail -1) || n=x
      m=$(sqlite3 "$db-search.db" "PRAGMA busy_timeout = 2000; SELECT count(*) FROM message_search" 2>/dev/null | tail -1) || m=y
    fi
    [ "$n" = "$m" ] && break
    sleep 0.1
  done
  now=$(date +%s.%N)
  node -p "($now - $start).toFixed(1)"
}

# run_one on|off [profile]: one fresh server, one generator run; prints
# "ACKED_PER_S P99_MS SERVER_CORES LAG_S" (LAG_S: index_lag, "-" for off). With "profile", the measured window is sampled
# by perf (DWARF call chains: the release build keeps no frame pointers) into $tmp/perf.data.
run_one() {
  local index=$1 profile=${2:-} log=$tmp/server.log data addr gen db_url="" store_args=()
  data=$(mktemp -d "$tmp/data.XXXXXX")
  if [ -n "$pg_url" ]; then
    run_count=$((run_count + 1))
    psql "$pg_url" -qc "CREATE DATABASE search_bench_$run_count" >/dev/null
    db_url="${pg_url%/*}/search_bench_$run_count"
    store_args=(--store "$db_url")
  fi
  "$parley" serve --listen 127.0.0.1:0 --data-dir "$data" --password-cost minimal --rate-limit off \
    --log-level warn --search-index "$index" "${store_args[@]}" >"$log" 2>&1 &
  server_pid=$!
  addr=""
  for _ in $(seq 200); do
    addr=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 | sed 's|http://||') || true
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "search-index: the server did not start:" >&2; cat "$log" >&2; exit 1; }
  # shellcheck disable=SC2086
  timeout 300 "$loadgen" $args --target parley --server "$addr" --server-pid "$server_pid" \
    --out "$tmp/out.json" >/dev/null 2>"$tmp/loadgen.err" &
  gen=$!
  if [ -n "$profile" ]; then
    # Sample the measured window only: from the end of the warm-up, for its duration.
    for _ in $(seq 1200); do grep -q "sending for" "$tmp/loadgen.err" && break; sleep 0.05; done
    sleep 1.3
    perf record -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$tmp/perf.data" -- sleep "$duration" \
      >"$tmp/perf.log" 2>&1 || true
  fi
  if ! wait "$gen"; then
    echo "search-index: the generator failed (--search-index $index):" >&2
    tail -5 "$tmp/loadgen.err" "$log" >&2
    exit 1
  fi
  local lag=-
  if [ "$index" = on ] && [ -z "$profile" ] && [ "${BENCH_LAG:-1}" = 1 ]; then lag=$(index_lag "$data" "$db_url"); fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -rf "$data"
  if [ -n "$db_url" ]; then psql "$pg_url" -qc "DROP DATABASE search_bench_$run_count" >/dev/null; fi
  # shellcheck disable=SC2016  # JavaScript template literals, not shell expansions
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const t = r.traffic || {}, s = r.server || {};
    const l = t.ack_latency_ms || t.latency_ms || {};
    console.log(`${Math.round(t.acked_per_s)} ${l.p99_ms} ${s.cpu_cores} ${process.argv[2]}`);' "$tmp/out.json" "$lag"
}

if [ "$rounds" = profile ]; then
  index=${2:-on}
  command -v perf >/dev/null || { echo "search-index: perf is missing" >&2; exit 1; }
  echo "search-index: profile of parley serve --search-index $index; parley-loadgen $args"
  read -r a p c _ < <(run_one "$index" profile)
  echo "search-index: $a acked/s (ack p99 $p ms, server $c cores) while sampled"
  # Inclusive time (children) of the calls that matter, then self time by symbol and by thread.
  perf report -i "$tmp/perf.data" --stdio --children --sort symbol -g none --percent-limit 2 2>/dev/null |
    grep -v '^#' | grep -v '^$' | grep -v '(inlined)' | cut -c1-150 | head -45 || true  # head closes the pipe early
  echo "-- self time by symbol"
  perf report -i "$tmp/perf.data" --stdio --no-children --sort symbol -g none --percent-limit 1 2>/dev/null |
    grep -v '^#' | grep -v '^$' | cut -c1-150 | head -30 || true
  echo "-- by thread"
  perf report -i "$tmp/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -10 || true
  exit 0
fi

echo "search-index: $rounds pairs of: parley serve --search-index on|off (store: $store); parley-loadgen $args"
ratios=()
lags=()
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  declare -A acked=() p99=() cpu=()
  for index in $order; do
    read -r a p c g < <(run_one "$index")
    [ "$index" = on ] && lags+=("$g")
    acked[$index]=$a
    p99[$index]=$p
    cpu[$index]=$c
  done
  ratio=$(node -p "(${acked[on]} / ${acked[off]}).toFixed(3)")
  ratios+=("$ratio")
  printf 'search-index: pair %d (%s first): on %s acked/s (ack p99 %s ms, server %s cores, index lag %s s), off %s acked/s (ack p99 %s ms, server %s cores), on/off %s\n' \
    "$round" "${order%% *}" "${acked[on]}" "${p99[on]}" "${cpu[on]}" "${lags[-1]}" "${acked[off]}" "${p99[off]}" "${cpu[off]}" "$ratio"
  unset acked p99 cpu
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
lag=$(printf '%s\n' "${lags[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
printf 'search-index: median on/off %s over %d pairs (target: at least 0.85); median index lag after the load %s s\n' "$median" "$rounds" "$lag"
