#!/usr/bin/env bash
# Starts a throw-away PostgreSQL and Redis on loopback for the second test run (and for trying
# several instances by hand). Installs them from Debian packages when missing (needs root).
# Prints the environment to use:   eval "$(scripts/test-backends.sh start)"
#                                   scripts/test-backends.sh stop
# Or around one command:            scripts/test-backends.sh run npm run test:suite
set -euo pipefail
DIR="${GATEHOUSE_BACKENDS_DIR:-/tmp/gatehouse-backends}"
PG_PORT="${PG_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && echo "$bin"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [ -z "$(pg_bin)" ] || ! command -v redis-server >/dev/null; then
    echo "installing postgresql and redis-server…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql redis-server >&2
  fi
}

start() {
  install
  stop >/dev/null 2>&1 || true
  rm -rf "$DIR" && mkdir -p "$DIR"
  local bin; bin=$(pg_bin)
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_postgres "$bin/initdb" -D "$DIR/pg" -U gatehouse --auth=trust -E UTF8 --locale=C.UTF-8 >&2
  # Throw-away data: durability off makes the suite's many CREATE DATABASEs cheap.
  as_postgres "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w start -o \
    "-h 127.0.0.1 -p $PG_PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >&2
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" >&2
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "export TEST_DATABASE_URL=postgres://gatehouse@127.0.0.1:$PG_PORT/postgres"
  echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

stop() {
  local bin; bin=$(pg_bin || true)
  [ -n "$bin" ] && [ -d "$DIR/pg" ] && as_postgres "$bin/pg_ctl" -D "$DIR/pg" -m immediate stop >&2 || true
  [ -f "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
}

run() {
  eval "$(start)"
  trap stop EXIT
  "$@"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 start|stop|run <command…>" >&2; exit 2 ;;
esac
