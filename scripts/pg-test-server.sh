#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for tests, on 127.0.0.1 only, trust authentication.
#
#   scripts/pg-test-server.sh start PORT DIR   # initdb into DIR (if empty) and start
#   scripts/pg-test-server.sh stop DIR         # stop the server running from DIR
#
# initdb refuses to run as root, so when run as root the server runs as user `postgres`
# (DIR is chowned to it). Connect with postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

usage() {
  echo "usage: $0 start PORT DIR | stop DIR" >&2
  exit 2
}

as_owner() {
  # Run a command as the server's owner: `postgres` when we are root, else ourselves.
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
case "$cmd" in
  start)
    [ $# -eq 3 ] || usage
    port=$2
    dir=$(realpath -m "$3")
    [ -x "$PGBIN/initdb" ] || { echo "expected PostgreSQL binaries in $PGBIN, found none (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || { echo "expected a system user 'postgres' to run the server as (root may not run initdb)" >&2; exit 1; }
      chown postgres "$dir"
      chmod 700 "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { echo "initdb failed, see $dir/initdb.log:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
    fi
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null \
      || { echo "PostgreSQL did not start on 127.0.0.1:$port, see $dir/server.log:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
    echo "PostgreSQL running on 127.0.0.1:$port (data in $dir/data): postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    dir=$(realpath -m "$2")
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
      echo "PostgreSQL in $dir stopped"
    else
      echo "no PostgreSQL running from $dir"
    fi
    ;;
  *)
    usage
    ;;
esac
