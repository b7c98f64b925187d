#!/usr/bin/env bash
# A throwaway S3-compatible server for tests: the s3rver npm package, with a
# SigV4 signature check in front that s3rver lacks (tests/integration/lib/
# s3-server.mjs; the packages are pinned in tests/integration/package.json: run
# `npm ci` there first). Its own folder, a free loopback port, one bucket, no
# system service. Credentials S3RVER/S3RVER.
#
#   scripts/s3-server.sh start DIR   # start; prints the endpoint http://127.0.0.1:PORT
#   scripts/s3-server.sh url DIR     # the endpoint of the server in DIR
#   scripts/s3-server.sh stop DIR    # stop it (the folder stays; rm -rf it after)
# The bucket is `parley-test`.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|url|stop DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
server="$root/tests/integration/lib/s3-server.mjs"
bucket=parley-test

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port() { cat "$dir/port"; }
url() { echo "http://127.0.0.1:$(port)"; }
running() { [ -f "$dir/s3rver.pid" ] && kill -0 "$(cat "$dir/s3rver.pid")" 2>/dev/null; }

case "$cmd" in
  start)
    [ -d "$root/tests/integration/node_modules/s3rver" ] ||
      { echo "s3-server.sh: s3rver is not installed (cd tests/integration && npm ci)" >&2; exit 1; }
    mkdir -p "$dir/data"
    [ -f "$dir/port" ] || free_port >"$dir/port"
    if ! running; then
      # setsid: not in the caller's process group, so a Ctrl-C of a test run
      # does not kill it before `stop` runs.
      setsid node "$server" "$dir/data" "$(port)" "$bucket" </dev/null >"$dir/server.log" 2>&1 &
      echo $! >"$dir/s3rver.pid"
      ok=0
      for _ in $(seq 1 200); do
        # The bucket answers (200) once s3rver has created it.
        code=$(curl -s -o /dev/null -w '%{http_code}' "$(url)/$bucket" || true)
        [ "$code" = 200 ] && { ok=1; break; }
        running || break
        sleep 0.05
      done
      [ "$ok" = 1 ] || { echo "s3-server.sh: s3rver did not start; see $dir/server.log" >&2; exit 1; }
    fi
    url
    ;;
  url) url ;;
  stop)
    if running; then
      pid=$(cat "$dir/s3rver.pid")
      kill "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    fi
    rm -f "$dir/s3rver.pid"
    ;;
  *) echo "usage: $0 start|url|stop DIR" >&2; exit 2 ;;
esac
