#!/usr/bin/env bash
# A throwaway nginx in front of Parley nodes, for tests and `make cluster`: its
# own folder, a free loopback port, no system service; runs as root or not.
# The config it writes has the shape of deploy/nginx-cluster.conf (read
# docs/deploy-cluster.md): Engine.IO requests that carry a sid go to the node
# named by the sid's route tag, everything else to the least busy live node.
#
#   scripts/nginx-server.sh start DIR NODE...   # start; prints http://127.0.0.1:PORT
#   scripts/nginx-server.sh url DIR             # the URL of the nginx in DIR
#   scripts/nginx-server.sh stop DIR            # stop (the folder stays; rm -rf it after)
#
# NODE is HOST:PORT (its route tag is PORT, what `parley serve` uses without
# --route) or ROUTE=HOST:PORT (a node started with --route ROUTE).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
usage() { echo "usage: $0 start DIR NODE... | url DIR | stop DIR   (NODE: HOST:PORT or ROUTE=HOST:PORT)" >&2; exit 2; }
[ -n "$cmd" ] && [ -n "$dir" ] || usage
nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$nginx_bin" ] || { echo "nginx-server.sh: nginx is not installed (scripts/deps.sh test)" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port() { cat "$dir/port"; }
url() { echo "http://127.0.0.1:$(port)"; }
running() { [ -f "$dir/nginx.pid" ] && kill -0 "$(cat "$dir/nginx.pid")" 2>/dev/null; }

# The http-level part, for the nodes given: ROUTE ADDRESS pairs on stdin.
write_config() {
  local routes=() addresses=() route address
  while read -r route address; do routes+=("$route"); addresses+=("$address"); done
  {
    echo "# Written by scripts/nginx-server.sh for: ${addresses[*]}"
    echo "worker_processes 1;"
    echo "pid $dir/nginx.pid;"
    echo "error_log $dir/error.log warn;"
    [ "$(id -u)" = 0 ] && echo "user nobody nogroup;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log $dir/access.log;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/tmp/$t;"; done
    cat <<'CONF'
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      "";
  }
  # The node that owns an Engine.IO session: the route tag before the '.' of
  # its sid. A whitelist: an unknown tag goes to any node (which answers
  # "Session ID unknown"), never to an address taken from the request.
  map $arg_sid $parley_node {
    default parley_any;
CONF
    for i in "${!routes[@]}"; do echo "    \"~^${routes[$i]}\\.\" parley_node_${routes[$i]//-/_};"; done
    echo "  }"
    echo "  upstream parley_any {"
    echo "    least_conn;"
    for a in "${addresses[@]}"; do echo "    server $a max_fails=1 fail_timeout=5s;"; done
    echo "    keepalive 32;"
    echo "  }"
    for i in "${!routes[@]}"; do
      echo "  upstream parley_node_${routes[$i]//-/_} { server ${addresses[$i]}; keepalive 16; }"
    done
    cat <<CONF
  server {
    listen 127.0.0.1:$(port);
CONF
    cat <<'CONF'
    client_max_body_size 2m;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # A dead node fails fast: refused at once on loopback, 2 s for a host that
    # does not answer. Requests without a sid (handshakes, the API, the page)
    # then go to the next node; a session's requests get the 502, and the
    # client makes a new handshake, which lands on a live node.
    proxy_connect_timeout 2s;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 3;
    proxy_next_upstream_timeout 5s;

    location /socket.io/ {
      proxy_pass http://$parley_node;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      # Long-polling GETs wait up to pingInterval (25 s); a websocket is quiet
      # for as long between pings.
      proxy_read_timeout 120s;
      proxy_send_timeout 120s;
      proxy_buffering off;
      proxy_request_buffering off;
    }
    # Uploads stream through to Parley, which checks and limits them itself
    # (deploy/nginx-cluster.conf); the limit here sits above --max-upload.
    location = /api/uploads {
      proxy_pass http://parley_any;
      proxy_set_header Connection "";
      client_max_body_size 200m;
      proxy_request_buffering off;
      proxy_read_timeout 120s;
      proxy_send_timeout 120s;
    }
    location /api/attachments/ {
      proxy_pass http://parley_any;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
    location / {
      proxy_pass http://parley_any;
      proxy_set_header Connection "";
    }
  }
}
CONF
  } >"$dir/nginx.conf"
}

case "$cmd" in
  start)
    shift 2
    [ $# -gt 0 ] || usage
    mkdir -p "$dir/tmp"
    [ -f "$dir/port" ] || free_port >"$dir/port"
    for node in "$@"; do
      if [[ $node == *=* ]]; then route=${node%%=*}; address=${node#*=}; else route=${node##*:}; address=$node; fi
      [[ $route =~ ^[A-Za-z0-9_-]{1,32}$ ]] || { echo "nginx-server.sh: bad route tag '$route' in '$node'" >&2; exit 2; }
      [[ $address =~ ^[A-Za-z0-9.:_-]+:[0-9]+$|^\[[0-9a-fA-F:]+\]:[0-9]+$ ]] || { echo "nginx-server.sh: bad address '$address'" >&2; exit 2; }
      echo "$route $address"
    done | write_config
    if [ "$(id -u)" = 0 ]; then chown -R nobody:nogroup "$dir/tmp"; fi
    if running; then
      "$nginx_bin" -q -t -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
      kill -HUP "$(cat "$dir/nginx.pid")"  # reload with the new node list
    else
      "$nginx_bin" -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || {
        echo "nginx-server.sh: nginx did not start; see $dir/error.log" >&2; exit 1; }
      for _ in $(seq 1 100); do
        running && python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$(port)),1)" 2>/dev/null && break
        sleep 0.05
      done
      running || { echo "nginx-server.sh: nginx did not start; see $dir/error.log" >&2; exit 1; }
    fi
    url
    ;;
  url) url ;;
  stop)
    if running; then
      pid=$(cat "$dir/nginx.pid")
      kill -QUIT "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    fi
    ;;
  *) usage ;;
esac
