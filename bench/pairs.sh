#!/usr/bin/env bash
# Two builds of Parley side by side, in alternating pairs, on the scenarios of
# `make bench`: is a change better, worse, or noise? The machine drifts by ±20%
# within minutes, so each round runs both binaries back to back (the order
# alternates every round) against fresh servers, and the table shows every round.
#
#   bench/pairs.sh OLD_PARLEY NEW_PARLEY [ROUNDS] [SCENARIOS]
#   e.g. bench/pairs.sh /tmp/parley-main build/parley 3 "fanout-max idle persist"
#
# Scenarios (the same generator arguments as scripts/bench.sh): fanout-max, idle,
# persist, persist-latency, storm, fanout-latency. Needs parley-loadgen
# (build/release/bench/parley-loadgen, or BENCH_LOADGEN). Every run has a timeout;
# only loopback addresses are used.
set -euo pipefail
cd "$(dirname "$0")/.."

old=${1:?usage: bench/pairs.sh OLD NEW [ROUNDS] [SCENARIOS]}
new=${2:?usage: bench/pairs.sh OLD NEW [ROUNDS] [SCENARIOS]}
rounds=${3:-3}
scenarios=${4:-"fanout-max idle persist"}
duration=${BENCH_DURATION:-5}
loadgen=${BENCH_LOADGEN:-build/release/bench/parley-loadgen}
[ -x "$loadgen" ] || { echo "pairs: $loadgen is missing (cmake --build build/release --target parley-loadgen)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/parley-pairs.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT

args_for() {
  case "$1" in
    fanout-max) echo "fanout --rooms 10 --members 100 --senders 5 --rate 800 --duration $duration" ;;
    fanout-latency) echo "fanout --rooms 10 --members 100 --senders 5 --rate 100 --duration $duration" ;;
    idle) echo "idle --connections 10000 --members 100" ;;
    storm) echo "storm --connections 19900" ;;
    persist) echo "persist --rooms 64 --window 64 --duration $duration" ;;
    persist-latency) echo "persist --rooms 64 --window 64 --rate 781 --duration $duration" ;;
    *) echo "pairs: unknown scenario $1" >&2; exit 2 ;;
  esac
}

# The figure that decides each scenario, from the generator's JSON.
figure_of() {
  node -e '
    const [file, scenario] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const t = r.traffic || {}, s = r.server || {}, l = t.latency_ms || {};
    const out = {
      "fanout-max": `${t.deliveries_per_s} deliveries/s, lost ${t.lost}`,
      "fanout-latency": `p99 ${l.p99_ms} ms, lost ${t.lost}`,
      "idle": `${s.rss_per_connection_bytes} B/connection`,
      "storm": `${(r.connect || {}).handshakes_per_s} handshakes/s`,
      "persist": `${t.acked_per_s} acked/s, p99 ${l.p99_ms} ms`,
      "persist-latency": `p99 ${l.p99_ms} ms at ${t.acked_per_s}/s`,
    }[scenario];
    console.log(out);' "$1" "$2"
}

run_one() {
  local bin=$1 scenario=$2 log data addr
  log="$tmp/server.log"
  data=$(mktemp -d "$tmp/data.XXXXXX")
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$data" --password-cost minimal --rate-limit off \
    --log-level warn >"$log" 2>&1 &
  server_pid=$!
  addr=""
  for _ in $(seq 200); do
    addr=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 | sed 's|http://||') || true
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "pairs: $bin did not start" >&2; cat "$log" >&2; exit 1; }
  # shellcheck disable=SC2046
  if timeout 300 "$loadgen" $(args_for "$scenario") --target parley --server "$addr" --server-pid "$server_pid" \
      --out "$tmp/out.json" >/dev/null 2>"$tmp/loadgen.err"; then
    figure_of "$tmp/out.json" "$scenario"
  else
    echo "failed ($(tail -1 "$tmp/loadgen.err"))"
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -rf "$data"
}

echo "old: $old"
echo "new: $new"
for scenario in $scenarios; do
  echo
  echo "== $scenario: parley-loadgen $(args_for "$scenario")"
  for round in $(seq "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
    for which in $order; do
      bin=$old
      [ "$which" = new ] && bin=$new
      printf 'round %d %-3s %s\n' "$round" "$which" "$(run_one "$bin" "$scenario")"
    done
  done
done
