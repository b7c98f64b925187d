#!/usr/bin/env bash
# `make cluster`: a three-node Parley cluster on loopback to try cluster mode:
# a throwaway PostgreSQL (the store), Redis (the bus), an S3-compatible server
# (the media store every node must share: scripts/s3-server.sh), three `parley
# serve` nodes with identical flags (each leases its own node id) and nginx in
# front, serving the web client. Data lives in a temp folder, removed on exit.
# Ctrl-C (or SIGTERM) stops everything. docs/deploy-cluster.md explains the parts.
#
#   scripts/cluster.sh            # after `make build`
#   NODES=5 scripts/cluster.sh    # more nodes
#
# PARLEY_BIN (default build/parley) and WEB_DIR (default web/out) may be set.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PARLEY_BIN:-$root/build/parley}
web=${WEB_DIR:-$root/web/out}
nodes=${NODES:-3}
[ -x "$bin" ] || { echo "cluster.sh: $bin not built (make build)" >&2; exit 1; }
[[ $nodes =~ ^[1-9][0-9]?$ ]] || { echo "cluster.sh: NODES must be 1 to 99" >&2; exit 2; }
web_args=()
if [ -f "$web/index.html" ]; then web_args=(--web-dir "$web"); else echo "cluster.sh: no web client in $web: API only" >&2; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster.XXXXXX")
chmod 755 "$work"  # as root, PostgreSQL runs as the postgres user and must reach its folder
pids=()

cleanup() {
  trap - EXIT INT TERM
  echo
  echo "stopping the cluster..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$root/scripts/nginx-server.sh" stop "$work/nginx" 2>/dev/null || true
  "$root/scripts/redis-server.sh" stop "$work/redis" 2>/dev/null || true
  "$root/scripts/s3-server.sh" stop "$work/s3" >/dev/null 2>&1 || true
  "$root/scripts/pg-server.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
  echo "stopped; $work removed"
}
trap cleanup EXIT
trap 'exit 0' INT  # a stop asked for is a success (make says nothing)
trap 'exit 0' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

echo "starting PostgreSQL, Redis and an S3-compatible media store in $work ..."
pg_url=$("$root/scripts/pg-server.sh" start "$work/pg")
redis_url=$("$root/scripts/redis-server.sh" start "$work/redis")
# The test S3 server (s3rver) comes from tests/integration's npm packages.
[ -d "$root/tests/integration/node_modules/s3rver" ] ||
  (cd "$root/tests/integration" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
s3_url=$("$root/scripts/s3-server.sh" start "$work/s3")
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
media_store="s3://parley-test?endpoint=$s3_url&region=us-east-1"

addresses=()
for i in $(seq 1 "$nodes"); do
  address=127.0.0.1:$(free_port)
  "$bin" serve --store "$pg_url" --bus "$redis_url" --media-store "$media_store" --listen "$address" --data-dir "$work/node$i" \
    "${web_args[@]}" >"$work/node$i.log" 2>&1 &
  pids+=($!)
  addresses+=("$address")
  # One at a time: each node's start-up (migrations, node id lease) is visible in its log.
  for _ in $(seq 1 200); do
    grep -q "parley is running" "$work/node$i.log" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "cluster.sh: node $i did not start:" >&2; tail -n 20 "$work/node$i.log" >&2; exit 1; }
    sleep 0.05
  done
  grep -q "parley is running" "$work/node$i.log" || { echo "cluster.sh: node $i did not start in 10 s" >&2; exit 1; }
  echo "node $i on http://$address ($(grep -o 'node id [0-9]* leased' "$work/node$i.log" | head -n 1))"
done

url=$("$root/scripts/nginx-server.sh" start "$work/nginx" "${addresses[@]}")
echo
echo "Parley cluster ($nodes nodes behind nginx) at $url/"
echo "logs: $work/node*.log, $work/nginx/error.log; Ctrl-C stops everything"

reported=()
while true; do
  for i in "${!pids[@]}"; do
    if [ -z "${reported[$i]:-}" ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
      reported[$i]=1
      echo "node $((i + 1)) exited; see its log: tail $work/node$((i + 1)).log" >&2
    fi
  done
  sleep 1
done
