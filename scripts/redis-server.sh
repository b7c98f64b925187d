#!/usr/bin/env bash
# A throwaway redis-server for tests and benchmarks: its own folder, a free
# loopback port, no persistence, no system service.
#
#   scripts/redis-server.sh start DIR   # start; prints the bus URL redis://127.0.0.1:PORT
#   scripts/redis-server.sh url DIR     # the URL of the server in DIR
#   scripts/redis-server.sh restart DIR # stop, then start on the same port
#   scripts/redis-server.sh kill DIR    # SIGKILL (a crash); `start` starts it again
#   scripts/redis-server.sh stop DIR    # SHUTDOWN NOSAVE (the folder stays; rm -rf it after)
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|url|restart|kill|stop DIR" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server.sh: redis-server is not installed (scripts/deps.sh test)" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port() { cat "$dir/port"; }
url() { echo "redis://127.0.0.1:$(port)"; }

running() { [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; }

start_server() {
  running && return 0
  rm -f "$dir/redis.pid"
  redis-server --port "$(port)" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/server.log" >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$(port)" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  echo "redis-server.sh: redis-server did not start; see $dir/server.log" >&2
  exit 1
}

wait_gone() {
  local pid=$1
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ -f "$dir/port" ] || free_port >"$dir/port"
    start_server
    url
    ;;
  url) url ;;
  restart)
    "$0" stop "$dir"
    start_server
    ;;
  kill)
    if running; then
      pid=$(cat "$dir/redis.pid")
      kill -9 "$pid"
      wait_gone "$pid"
    fi
    ;;
  stop)
    if running; then
      pid=$(cat "$dir/redis.pid")
      redis-cli -h 127.0.0.1 -p "$(port)" shutdown nosave >/dev/null 2>&1 || kill "$pid"
      wait_gone "$pid"
    fi
    ;;
  *) echo "usage: $0 start|url|restart|kill|stop DIR" >&2; exit 2 ;;
esac
