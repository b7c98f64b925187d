#!/usr/bin/env bash
# Redis's own CPU per PUBLISH, by the number of subscribed connections: what one
# more cluster node costs the bus (every node subscribes to every channel;
# docs/scaling.md). A throwaway redis-server on a free loopback port, redis-cli
# subscribers, redis-benchmark publishing messages of the size Parley's bus sends
# (about 620 bytes for a new_message in a room of 100, bench/cluster.sh); Redis's
# CPU time is read from /proc before and after each run.
#
#   bench/redis-pubsub.sh [SUBSCRIBER_COUNTS] [MESSAGE_BYTES]
#   e.g. bench/redis-pubsub.sh "0 1 3 10 30" 620
set -euo pipefail
counts=${1:-"0 1 3 10 30"}
bytes=${2:-620}
publishes=100000
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-redis-pubsub.XXXXXX")
pid="" subs=()
cleanup() {
  for s in "${subs[@]}"; do kill "$s" 2>/dev/null || true; done
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work"
for _ in $(seq 50); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
pid=$(cat "$work/redis.pid")
# Slow subscribers (redis-cli) must not be cut off: what is measured is Redis's side.
redis-cli -p "$port" config set client-output-buffer-limit "pubsub 0 0 0" >/dev/null
payload=$(head -c "$bytes" /dev/zero | tr '\0' x)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)
echo "redis-pubsub: $(redis-server --version | grep -o 'v=[0-9.]*'), $publishes PUBLISH of $bytes bytes per run (redis-benchmark -P 16 -c 4)"
for n in $counts; do
  subs=()
  for _ in $(seq 1 "$n"); do redis-cli -p "$port" subscribe parley:d:1 >/dev/null & subs+=($!); done
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" pubsub numsub parley:d:1 | tail -1)" = "$n" ] && break
    sleep 0.05
  done
  before=$(cpu_ticks)
  rps=$(redis-benchmark -p "$port" -P 16 -c 4 -n "$publishes" -q publish parley:d:1 "$payload" 2>/dev/null |
    grep -o '[0-9.]* requests per second' | cut -d' ' -f1)
  after=$(cpu_ticks)
  for s in "${subs[@]}"; do kill "$s" 2>/dev/null || true; done
  wait 2>/dev/null || true
  subs=()
  awk -v n="$n" -v a="$before" -v b="$after" -v t="$ticks_per_s" -v p="$publishes" -v r="$rps" \
    'BEGIN { printf "redis-pubsub: subscribers %d: %.2f us of Redis CPU per publish (%d publishes/s)\n", n, (b - a) / t * 1e6 / p, r }'
done
