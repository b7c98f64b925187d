#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests and benchmarks: its own data folder,
# a free loopback port, no system service. initdb refuses to run as root, so as
# root the server runs as the `postgres` user that Debian's package creates.
#
#   scripts/pg-server.sh start DIR   # initdb + start; prints the connection URL
#   scripts/pg-server.sh url DIR     # the URL of the server in DIR
#   scripts/pg-server.sh restart DIR # fast stop, then start on the same port
#   scripts/pg-server.sh kill DIR    # SIGKILL the postmaster (a crash); `start` recovers
#   scripts/pg-server.sh stop DIR    # fast stop (the folder stays; rm -rf it after)
#   scripts/pg-server.sh replica PRIMARY_DIR REPLICA_DIR
#                                    # a streaming hot standby of the running server in
#                                    # PRIMARY_DIR (pg_basebackup -R); prints its URL.
#                                    # url/restart/kill/stop then work on REPLICA_DIR too.
#
# Every primary started here allows streaming replication: wal_level = replica,
# max_wal_senders, and a pg_hba.conf line that lets `parley` (a superuser, so
# it has REPLICATION) connect for replication from 127.0.0.1.
# The database `parley` and the superuser `parley` (password `parley`) exist
# after start; the URL is postgres://parley:parley@127.0.0.1:PORT/parley.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
usage="usage: $0 start|url|restart|kill|stop DIR | replica PRIMARY_DIR REPLICA_DIR"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "$usage" >&2; exit 2; }
# Absolute: the server resolves its socket folder (-k) from its own working directory.
dir=$(realpath -m "$dir")

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "pg-server: PostgreSQL is not installed (scripts/deps.sh test)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

url() { echo "postgres://parley:parley@127.0.0.1:$(cat "$dir/port")/parley"; }

start_server() {
  # -w waits until it accepts connections; the log stays in the folder.
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
}

case "$cmd" in
  start)
    if [ -f "$dir/port" ]; then
      start_server
      url
      exit 0
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$dir"
      # The server's user must reach its folder (mktemp -d makes 0700 parents).
      chmod o+x "$(dirname "$(readlink -f "$dir")")"
    fi
    free_port >"$dir/port"
    printf 'parley\n' >"$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pwfile" "$dir/port"
    as_owner "$bindir/initdb" -D "$dir/data" -U parley --pwfile="$dir/pwfile" -A scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Settings for a test server: durable commits as in production
    # (synchronous_commit stays on), enough connections for several nodes.
    cat >>"$dir/data/postgresql.conf" <<'EOF'
max_connections = 300
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 8
fsync = on
EOF
    # Streaming replication from loopback (`replica`): initdb's default
    # pg_hba.conf has this line already; make sure of it.
    grep -qE '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$dir/data/pg_hba.conf" ||
      echo "host replication all 127.0.0.1/32 scram-sha-256" >>"$dir/data/pg_hba.conf"
    start_server
    PGPASSWORD=parley "$bindir/psql" -X -q -h 127.0.0.1 -p "$(cat "$dir/port")" \
      -U parley -d postgres -c "CREATE DATABASE parley" >/dev/null
    url
    ;;
  url) url ;;
  restart)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    start_server
    ;;
  kill)
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    ;;
  replica)
    # DIR is the running primary's folder; the standby goes to REPLICA_DIR.
    rdir=${3:-}
    [ -n "$rdir" ] || { echo "$usage" >&2; exit 2; }
    rdir=$(realpath -m "$rdir")
    [ -f "$dir/port" ] || { echo "pg-server: no server in $dir (start it first)" >&2; exit 1; }
    [ ! -e "$rdir/data" ] || { echo "pg-server: $rdir/data exists already" >&2; exit 1; }
    mkdir -p "$rdir"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$rdir"
      chmod o+x "$(dirname "$(readlink -f "$rdir")")"
    fi
    free_port >"$rdir/port"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$rdir/port"
    # -R writes standby.signal and primary_conninfo (password included) into
    # the copy; -X stream copies the WAL written meanwhile. The copy keeps the
    # primary's postgresql.conf; the port comes from the command line.
    # -C -S: a physical replication slot on the primary, so that it keeps the
    # WAL the replica has not received yet. Without one, a primary restart
    # (the outage suite restarts it) recycles segments the replica still needs
    # and the replica can never catch up ("requested WAL segment ... has
    # already been removed").
    as_owner env PGPASSWORD=parley "$bindir/pg_basebackup" -h 127.0.0.1 -p "$(cat "$dir/port")" -U parley \
      -D "$rdir/data" -R -X stream -C -S "replica_$(cat "$rdir/port")" -c fast >"$rdir/basebackup.log" 2>&1 ||
      { cat "$rdir/basebackup.log" >&2; exit 1; }
    dir=$rdir
    start_server
    url
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    exit 0
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
