#!/usr/bin/env bash
# The cost of the full-text index on sends (issue 16's target: with the index on,
# persisted sends/s within 15% of the index off). The persist scenario of
# `make bench` (64 senders, 64 unacknowledged sends each, closed loop, through
# SQLite with synchronous=FULL) against `parley serve --search-index on` and
# `--search-index off` in pairs: each round starts a fresh server of each, back to
# back, the order alternating every round (the machine drifts by ±20% within
# minutes: compare within a pair, not across rounds). Bodies are 100 bytes of
# chat-like words (`--body-text words`), so the index does the work real text makes.
# Prints every pair and the median of the per-pair ratios on/off.
#
#   bench/search-index.sh [ROUNDS]      # default 5; BENCH_DURATION=5 seconds per run
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

tmp=$(mktemp -d /tmp/parley-search-index.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# run_one on|off: one fresh server, one generator run; prints "ACKED_PER_S P99_MS".
run_one() {
  local index=$1 log=$tmp/server.log data addr
  data=$(mktemp -d "$tmp/data.XXXXXX")
  "$parley" serve --listen 127.0.0.1:0 --data-dir "$data" --password-cost minimal --rate-limit off \
    --log-level warn --search-index "$index" >"$log" 2>&1 &
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
  if ! timeout 300 "$loadgen" $args --target parley --server "$addr" --server-pid "$server_pid" \
      --out "$tmp/out.json" >/dev/null 2>"$tmp/loadgen.err"; then
    echo "search-index: the generator failed (--search-index $index):" >&2
    tail -5 "$tmp/loadgen.err" "$log" >&2
    exit 1
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -rf "$data"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const t = r.traffic || {}, s = r.server || {};
    const l = t.ack_latency_ms || t.latency_ms || {};
    console.log(`${Math.round(t.acked_per_s)} ${l.p99_ms} ${s.cpu_cores}`);' "$tmp/out.json"
}

echo "search-index: $rounds pairs of: parley serve --search-index on|off; parley-loadgen $args"
ratios=()
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  declare -A acked=() p99=() cpu=()
  for index in $order; do
    read -r a p c < <(run_one "$index")
    acked[$index]=$a
    p99[$index]=$p
    cpu[$index]=$c
  done
  ratio=$(node -p "(${acked[on]} / ${acked[off]}).toFixed(3)")
  ratios+=("$ratio")
  printf 'search-index: pair %d (%s first): on %s acked/s (ack p99 %s ms, server %s cores), off %s acked/s (ack p99 %s ms, server %s cores), on/off %s\n' \
    "$round" "${order%% *}" "${acked[on]}" "${p99[on]}" "${cpu[on]}" "${acked[off]}" "${p99[off]}" "${cpu[off]}" "$ratio"
  unset acked p99 cpu
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
printf 'search-index: median on/off %s over %d pairs (target: at least 0.85)\n' "$median" "$rounds"
