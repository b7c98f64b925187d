#!/usr/bin/env bash
# Cross-node fan-out (issue 14): three nodes on one Redis, senders on the first node and
# every other member spread over the other two (parley-loadgen --recv-targets), at a few
# offered rates and at saturation; and the same load with every socket on one node of
# the same stack, for the cost of the hop. Targets:
#
#   peer    three `node bench/peers/socketio-redis/server.js` processes (socket.io 4.8 +
#           the official @socket.io/redis-adapter): the seed's multi-server stack
#   parley  three `parley serve --store postgres://... --bus redis://...` nodes on one
#           throwaway PostgreSQL (scripts/pg-server.sh); run only when `parley serve
#           --help` offers --bus, that is once cluster mode exists, and skipped (saying so)
#           before that
#
# Everything is on loopback, on free ports, in a temporary folder removed at exit; every
# server is stopped at exit; every wait is bounded and every run has a timeout. One
# JSON result per run goes to $CLUSTER_RESULTS (cluster-<run>-<target>.json, with the
# command that made it), and a table of the figures to stdout.
#
# Environment:
#   CLUSTER_TARGETS="peer parley"    which stacks
#   CLUSTER_RATES="100000 200000 300000 max"
#                                    offered deliveries/s; "max" offers 4,000,000/s (the
#                                    shape of bench.sh's fanout-max): what comes out is
#                                    the stack's saturation
#   CLUSTER_ONE_NODE=1               also each rate with every socket on one node (0: not)
#   BENCH_DURATION=5                 seconds per measured window
#   BENCH_BUILD=1                    build parley and parley-loadgen (release) first; 0: use
#                                    BENCH_PARLEY and BENCH_LOADGEN as they are
#   BENCH_PARLEY=build/parley  BENCH_LOADGEN=build/release/bench/parley-loadgen
#   CLUSTER_RESULTS=bench/results
set -euo pipefail
cd "$(dirname "$0")/.."

targets=${CLUSTER_TARGETS:-"peer parley"}
rates=${CLUSTER_RATES:-"100000 200000 300000 max"}
one_node=${CLUSTER_ONE_NODE:-1}
duration=${BENCH_DURATION:-5}
results=${CLUSTER_RESULTS:-bench/results}
parley=${BENCH_PARLEY:-build/parley}
loadgen=${BENCH_LOADGEN:-build/release/bench/parley-loadgen}
mkdir -p "$results"

section() { printf '\n==== %s\n' "$*"; }

if [ "${BENCH_BUILD:-1}" = 1 ]; then
  section "build (release): parley and parley-loadgen"
  cmake --preset release >/dev/null
  timeout 3600 cmake --build build/release --target parley parley-loadgen -j "$(nproc)"
  cp build/release/src/app/parley build/parley
  parley=build/parley
  loadgen=build/release/bench/parley-loadgen
fi
[ -x "$loadgen" ] || { echo "cluster: $loadgen not found (BENCH_BUILD=1 builds it)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster.XXXXXX")
redis_pid="" redis_url="" pg_root="" pg_dir=""
node_pids=() node_addrs=() node_logs=()

stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops the nodes; their logs stay listed in node_logs (for what they print at exit).
stop_nodes_keep_logs() {
  local pid
  for pid in "${node_pids[@]}"; do stop_pid "$pid"; done
  node_pids=() node_addrs=()
}

stop_nodes() {
  stop_nodes_keep_logs
  node_logs=()
}

stop_redis() {
  [ -n "$redis_pid" ] && stop_pid "$redis_pid"
  redis_pid="" redis_url=""
  return 0
}

stop_pg() {
  [ -n "$pg_dir" ] && { timeout 60 scripts/pg-server.sh stop "$pg_dir" >/dev/null 2>&1 || true; }
  [ -n "$pg_root" ] && rm -rf "$pg_root"
  pg_root="" pg_dir=""
}

cleanup() {
  stop_nodes
  stop_redis
  stop_pg
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# "IN OUT": Redis's network bytes so far (INFO stats), for the bytes of the hop per message.
redis_bytes() {
  timeout 5 redis-cli -u "$redis_url" INFO stats 2>/dev/null | tr -d '\r' |
    awk -F: '/^total_net_input_bytes:/ { i = $2 } /^total_net_output_bytes:/ { o = $2 } END { print i + 0, o + 0 }'
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# A throwaway Redis: no persistence, its files in the work folder, loopback only.
start_redis() {
  local port dir
  port=$(free_port)
  dir=$(mktemp -d "$work/redis.XXXXXX")
  (cd "$dir" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --loglevel warning >"$dir/redis.log" 2>&1) &
  redis_pid=$!
  redis_url="redis://127.0.0.1:$port"
  for _ in $(seq 100); do
    [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "cluster: redis-server did not start:" >&2
  cat "$dir/redis.log" >&2
  return 1
}

# Waits for the node logging to $1 (pid $2) to print its URL; appends HOST:PORT to
# node_addrs. Both Parley and the peers print http://127.0.0.1:PORT once they listen.
await_node() {
  local log=$1 pid=$2 addr
  for _ in $(seq 400); do
    addr=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 | sed 's|http://||') || true
    if [ -n "$addr" ]; then node_addrs+=("$addr"); return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "cluster: a node did not start ($log):" >&2
  tail -20 "$log" >&2
  return 1
}

start_peer_nodes() {
  local i log
  for i in 1 2 3; do
    log=$(mktemp "$work/peer$i.XXXXXX.log")
    node bench/peers/socketio-redis/server.js --port 0 --redis "$redis_url" --name "peer$i" >"$log" 2>&1 &
    node_pids+=("$!") node_logs+=("$log")
    await_node "$log" "$!" || return 1
  done
}

# Parley's cluster: PostgreSQL for the whole target (started once, in prepare_parley),
# three nodes per run with identical flags, each with its own data folder: they lease
# their node ids and share the JWT secret through the store (a token issued by one node
# is presented to another).
parley_has_bus() { timeout 10 "$parley" serve --help 2>/dev/null | grep -q -- '--bus'; }

prepare_parley() {
  if [ ! -x "$parley" ]; then
    echo "cluster: $parley not found: Parley's cluster skipped (BENCH_BUILD=1 builds it)"
    return 1
  fi
  if ! parley_has_bus; then
    echo "cluster: \`$parley serve --help\` has no --bus: Parley's cluster mode is not built yet, its runs are skipped"
    return 1
  fi
  # Its own mktemp -d folder, not one inside $work: the server runs as the postgres user
  # (as root), and pg-server.sh opens only the folder right above its own to it.
  pg_root=$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster-pg.XXXXXX")
  pg_dir=$pg_root/server
  pg_url=$(timeout 120 scripts/pg-server.sh start "$pg_dir")
}

start_parley_nodes() {
  local i log data
  for i in 1 2 3; do
    log=$(mktemp "$work/parley$i.XXXXXX.log")
    data=$(mktemp -d "$work/parley-data.XXXXXX")
    "$parley" serve --listen 127.0.0.1:0 --data-dir "$data" --store "$pg_url" --bus "$redis_url" \
      --password-cost minimal --rate-limit off \
      --log-level warn >"$log" 2>&1 &
    node_pids+=("$!") node_logs+=("$log")
    await_node "$log" "$!" || return 1
  done
}

# The generator's shape: bench.sh's fanout-latency (10 rooms of 100, 5 senders each),
# so a rate of D deliveries/s is D / 5,000 messages/s per sender.
loadgen_args() {
  local rate=$1 per_sender
  if [ "$rate" = max ]; then per_sender=800; else per_sender=$(awk -v d="$rate" 'BEGIN { printf "%g", d / 5000 }'); fi
  echo "fanout --rooms 10 --members 100 --senders 5 --rate $per_sender --duration $duration --drain 20"
}

# run_one TARGET RATE LAYOUT (cross | one): fresh nodes, one generator run, one JSON file.
run_one() {
  local target=$1 rate=$2 layout=$3 args spread="" shown="" out cmd bytes_before
  "start_${target}_nodes" || { stop_nodes; return 1; }
  args=$(loadgen_args "$rate")
  if [ "$layout" = cross ]; then
    spread="--recv-targets ${node_addrs[1]},${node_addrs[2]}"
    shown="--recv-targets NODE2,NODE3"
  fi
  out=$results/cluster-$layout-$rate-$target.json
  rm -f "$out"
  # The sending node is the server; the others and Redis are sampled beside it.
  cmd="$loadgen $args --target $target --server ${node_addrs[0]}${spread:+ $spread} --server-pid ${node_pids[0]}"
  cmd+=" --sample-pids ${node_pids[1]},${node_pids[2]},$redis_pid"
  echo "\$ $cmd"
  bytes_before=$(redis_bytes)
  # shellcheck disable=SC2086
  if ! timeout 300 $cmd --out "$out.tmp" >/dev/null 2>"$work/loadgen.err"; then
    echo "cluster: $target $layout $rate failed:" >&2
    tail -5 "$work/loadgen.err" >&2
    rm -f "$out.tmp"
  fi
  # A node that died under the load is part of the result, not a detail to lose.
  local i exited=""
  for i in 0 1 2; do
    kill -0 "${node_pids[$i]}" 2>/dev/null && continue
    exited+="${exited:+,}$((i + 1))"
    echo "cluster: node $((i + 1)) exited during the run; the end of its log:"
    grep -v "^ *at " "${node_logs[$i]}" | tail -8 | sed 's/^/  /'
  done
  local bytes_after peer_rejections=0 log n
  bytes_after=$(redis_bytes)
  stop_nodes_keep_logs
  # The peer logs how many Redis commands it lost to unhandled rejections when it stops.
  for log in "${node_logs[@]}"; do
    n=$(grep -oE '[0-9]+ unhandled rejections in all' "$log" | grep -oE '^[0-9]+') || n=0
    peer_rejections=$((peer_rejections + n))
  done
  node_logs=()
  [ "$peer_rejections" -gt 0 ] && echo "cluster: the peer nodes logged $peer_rejections unhandled rejections (Redis commands given up)"
  if [ -f "$out.tmp" ]; then
    grep -E 'deliveries/s' "$work/loadgen.err" | sed 's/^/  /' || true
    # Redis's bytes over the whole run (warm-up and drain too) per message sent: what one
    # message costs on the bus, whatever the rate.
    node -e '
      const fs = require("fs");
      const [file, out, cmd, load, before, after, exited, rejections] = process.argv.slice(1);
      const r = JSON.parse(fs.readFileSync(file, "utf8")); r.command = cmd; r.loadavg_after_run = load;
      r.nodes_exited = exited ? exited.split(",").map(Number) : [];
      r.peer_unhandled_rejections = Number(rejections);
      const [i0, o0] = before.split(" ").map(Number), [i1, o1] = after.split(" ").map(Number);
      const sent = r.traffic.sent;
      r.redis = { in_bytes: i1 - i0, out_bytes: o1 - o0,
                  in_bytes_per_message: sent ? Math.round((i1 - i0) / sent) : null,
                  out_bytes_per_message: sent ? Math.round((o1 - o0) / sent) : null };
      fs.writeFileSync(out, JSON.stringify(r, null, 1) + "\n"); fs.unlinkSync(file);' \
      "$out.tmp" "$out" \
      "parley-loadgen $args --target $target --server NODE1${shown:+ $shown} --server-pid PID1 --sample-pids PID2,PID3,REDIS" \
      "$(cut -d' ' -f1-3 /proc/loadavg)" "$bytes_before" "$bytes_after" "$exited" "$peer_rejections"
  fi
}

for target in $targets; do
  section "cluster: $target"
  case "$target" in
    peer)
      echo "peer: Node $(node --version), three socket.io processes with @socket.io/redis-adapter"
      (cd bench/peers/socketio-redis && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
      ;;
    parley) prepare_parley || continue ;;
    *) echo "cluster: unknown target $target" >&2; exit 2 ;;
  esac
  rm -f "$results"/cluster-*-"$target".json
  start_redis
  for rate in $rates; do
    run_one "$target" "$rate" cross || true
    [ "$one_node" = 1 ] && { run_one "$target" "$rate" one || true; }
  done
  stop_redis
  stop_pg
done

section "figures (p50/p99: the receiving nodes' sockets across nodes, all sockets on one node)"
echo "machine: $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086 # one argument per target
node - "$results" $targets <<'JS'
const fs = require('fs');
const [dir, ...targets] = process.argv.slice(2);
const rows = [];
for (const f of fs.readdirSync(dir).filter((f) => /^cluster-(cross|one)-.*\.json$/.test(f)).sort()) {
  const r = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
  if (!targets.includes(r.target)) continue;
  const t = r.traffic, x = t.cross_node || t;
  rows.push([r.target, f.startsWith('cluster-cross') ? 'cross' : 'one',
    Math.round(t.offered_deliveries_per_s), t.deliveries_per_s, t.cross_node ? x.deliveries_per_s : '-',
    // No latency sample: nothing sent inside the window was delivered (a backlog longer
    // than the warm-up), which a 0 would hide.
    x.latency_ms.count ? x.latency_ms.p50_ms : 'none', x.latency_ms.count ? x.latency_ms.p99_ms : 'none',
    t.lost, t.duplicated, t.seq_backwards + t.seq_skipped + t.reordered_per_sender, t.unacked,
    t.skipped_window_full, Object.values(t.sockets_dropped).reduce((a, b) => a + b, 0),
    r.server.sampled_cpu_cores ?? '-', r.server.cpu_us_per_delivery ?? '-',
    r.redis ? `${r.redis.in_bytes_per_message}/${r.redis.out_bytes_per_message}` : '-', r.machine_busy_cores,
    r.loadavg_after_run, r.peer_unhandled_rejections ?? 0, r.nodes_exited && r.nodes_exited.length ? r.nodes_exited.join(',') : '-']);
}
// lost: acknowledged messages owed to a member that never arrived; order: seq steps back
// or over and per-sender reorderings; unacked: sends with no ack by the drain's end;
// skipped: sends not made because the sender's window was full; dropped: sockets the
// server closed during the run; cpu: cores of the three nodes and Redis together;
// redis B/msg: bytes into and out of Redis per message sent; busy: the machine's busy
// cores in the window; loadavg: at the end of the run; rejected: Redis commands the peer
// gave up (unhandled rejections); exited: nodes that died.
const head = ['target', 'layout', 'offered/s', 'delivered/s', 'cross/s', 'p50 ms', 'p99 ms', 'lost', 'dup',
  'order', 'unacked', 'skipped', 'dropped', 'cpu', 'us/deliv', 'redis B/msg', 'busy', 'loadavg', 'rejected', 'exited'];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => String(c).padStart(width[i])).join('  '));
JS
