#!/usr/bin/env bash
# History read benchmark (issue 3): GET /api/messages/:id pages of 50 under wrk
# with a keep-alive connection pool, against a release build.
# Usage: bench/history.sh [SECONDS] [CONNECTIONS] [WRK_THREADS]
# Two runs: the latest page, the one every member asks for when opening the
# conversation (answered from the page cache on the IO thread), then pages before
# random seqs (bench/history-random.lua: mostly cache misses, read from SQLite on
# a worker). Prints wrk's reports and two summary lines:
#   "history: N requests/s" and "history-uncached: M requests/s".
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-64}
wrk_threads=${3:-1}
bin=${PARLEY_BIN:-build/parley}
data=$(mktemp -d)
log=$(mktemp)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$log"' EXIT

"$bin" serve --listen 127.0.0.1:0 --data-dir "$data" --password-cost minimal --log-level warn \
  --rate-limit off >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "running at" "$log" && break; sleep 0.05; done
url=$(grep -oE 'http://[0-9.:]+' "$log" | head -1)

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf "$url/api/auth/register" -H 'content-type: application/json' \
  -d '{"username":"reader","email":"reader@example.com","password":"bench-password"}' | json "['token']")
other=$(curl -sf "$url/api/auth/register" -H 'content-type: application/json' \
  -d '{"username":"writer","email":"writer@example.com","password":"bench-password"}' | json "['user']['id']")
cid=$(curl -sf "$url/api/conversations" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"type\":\"direct\",\"memberIds\":[\"$other\"]}" | json "['conversation']['id']")
seq 200 | xargs -P 16 -I{} curl -sf -o /dev/null "$url/api/messages" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' \
  -d "{\"conversationId\":\"$cid\",\"clientMsgId\":\"h{}\",\"body\":\"history message number {}, about sixty-four bytes long....\"}"
echo "history: $(curl -sf "$url/api/messages/$cid?limit=50" -H "authorization: Bearer $token" | wc -c) bytes per page of 50"
echo "history: wrk -t$wrk_threads -c$connections -d${seconds}s $url/api/messages/$cid?limit=50"
wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" \
  "$url/api/messages/$cid?limit=50" | tee "$data/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
echo "history: wrk -t$wrk_threads -c$connections -d${seconds}s -s bench/history-random.lua $url/api/messages/$cid?limit=50"
wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --latency -s bench/history-random.lua \
  -H "Authorization: Bearer $token" "$url/api/messages/$cid?limit=50" | tee "$data/wrk-random.txt"
rps_random=$(awk '/Requests\/sec/ {print $2}' "$data/wrk-random.txt")
echo "history: $rps requests/s"
echo "history-uncached: $rps_random requests/s"
