#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers (and a 3-master Redis Cluster) for the
# adapter tests and benchmarks, a PgBouncer (transaction pooling) in front of
# that PostgreSQL when `pgbouncer` is installed, and a MariaDB server when
# `mariadbd` is installed.
#
#   scripts/services.sh start   # start them, write $DIR/services.env, print the URLs
#   scripts/services.sh stop    # stop them and delete their data
#   scripts/services.sh status
#
# Loopback only, no persistence, trust auth. Environment:
#   MFAKIT_SERVICES_DIR  state directory          (default .tmp/services)
#   MFAKIT_PG_PORT       PostgreSQL port          (default 54329)
#   MFAKIT_REDIS_PORT    Redis port               (default 63799)
#   MFAKIT_PGBOUNCER_PORT PgBouncer port          (default 64329)
#   MFAKIT_PG_BIN        PostgreSQL bin directory (default: newest /usr/lib/postgresql/*/bin)
#   MFAKIT_SERVICES_OWNER_PID  stop the servers when this process is gone
#   MFAKIT_REDIS_CLUSTER_PORTS      ports of the 3 Redis Cluster masters (default 63801,63802,63803)
#   MFAKIT_REDIS_CLUSTER_BUS_PORTS  their cluster bus ports (default: each port + 10000)
#   MFAKIT_MYSQL_PORT    MariaDB port             (default 33069)
# PostgreSQL refuses to run as root, so as root its cluster runs as the
# `postgres` user in a directory under /tmp that this script creates.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${MFAKIT_SERVICES_DIR:-$ROOT/.tmp/services}"
PG_PORT="${MFAKIT_PG_PORT:-54329}"
REDIS_PORT="${MFAKIT_REDIS_PORT:-63799}"
PGBOUNCER_PORT="${MFAKIT_PGBOUNCER_PORT:-64329}"
MYSQL_PORT="${MFAKIT_MYSQL_PORT:-33069}"

pg_bin() {
  if [[ -n "${MFAKIT_PG_BIN:-}" ]]; then echo "$MFAKIT_PG_BIN"; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" ]]; then echo "$d"; return; fi
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  echo ""
}

as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  bin="$(pg_bin)"
  [[ -x "$bin/pg_ctl" ]] || { echo "services.sh: PostgreSQL binaries not found (set MFAKIT_PG_BIN)" >&2; exit 3; }
  command -v redis-server >/dev/null 2>&1 || { echo "services.sh: redis-server not found (apt-get install -y redis-server)" >&2; exit 3; }
  mkdir -p "$DIR"
  if [[ -f "$DIR/pgdata.path" ]]; then echo "services.sh: already started from $DIR (run stop first)" >&2; exit 4; fi

  install_mariadb
  local pgroot
  pgroot="$(mktemp -d /tmp/mfakit-pg.XXXXXX)"
  echo "$pgroot" > "$DIR/pgdata.path"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$pgroot"; chmod 700 "$pgroot"; fi
  as_pg "$bin/initdb" -D "$pgroot/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 5; }
  # Durability is pointless for a throwaway cluster; turning it off keeps tests fast.
  as_pg "$bin/pg_ctl" -D "$pgroot/data" -l "$pgroot/postgres.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $pgroot -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >"$DIR/pg_ctl.log" 2>&1 || { cat "$DIR/pg_ctl.log" "$pgroot/postgres.log" >&2 || true; exit 5; }

  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR"
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then break; fi
    sleep 0.05
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG || { cat "$DIR/redis.log" >&2; exit 5; }

  # Safety net for a test run killed before its teardown: when the owner
  # process is gone, stop the servers. Detached, with no inherited output, so
  # whoever waits for this script's output is not kept waiting.
  if [[ -n "${MFAKIT_SERVICES_OWNER_PID:-}" ]]; then
    MFAKIT_SERVICES_DIR="$DIR" MFAKIT_PG_BIN="$bin" setsid bash -c \
      'while kill -0 "$1" 2>/dev/null; do sleep 2; done; "$2" stop' _ "$MFAKIT_SERVICES_OWNER_PID" "$ROOT/scripts/services.sh" \
      </dev/null >/dev/null 2>&1 &
  fi

  cat > "$DIR/services.env" <<ENV
MFAKIT_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
MFAKIT_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
ENV
  start_redis_cluster >> "$DIR/services.env"
  start_pgbouncer
  start_mariadb
  cat "$DIR/services.env"
}

# A 3-master Redis Cluster on loopback, no replicas, no persistence; prints its
# env line. Each node keeps its nodes.conf in its own directory under $DIR.
start_redis_cluster() {
  local ports bus i p b nodes=() urls=()
  IFS=, read -r -a ports <<<"${MFAKIT_REDIS_CLUSTER_PORTS:-63801,63802,63803}"
  IFS=, read -r -a bus <<<"${MFAKIT_REDIS_CLUSTER_BUS_PORTS:-}"
  # --cluster-port (Redis 7+) frees the bus from port + 10000, which may be taken or above 65535.
  local major bus_opt=()
  major="$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')"
  for i in 0 1 2; do
    p="${ports[$i]}"
    b="${bus[$i]:-$((p + 10000))}"
    if [[ "${major:-0}" -ge 7 ]]; then bus_opt=(--cluster-port "$b"); fi
    mkdir -p "$DIR/redis-cluster/$p"
    redis-server --port "$p" "${bus_opt[@]}" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$DIR/redis-cluster/$p/nodes.conf" --dir "$DIR/redis-cluster/$p" --save '' --appendonly no \
      --daemonize yes --pidfile "$DIR/redis-cluster/$p/redis.pid" --logfile "$DIR/redis-cluster/$p/redis.log"
    nodes+=("127.0.0.1:$p")
    urls+=("redis://127.0.0.1:$p")
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 100); do
      if redis-cli -p "$p" ping 2>/dev/null | grep -q PONG; then break; fi
      sleep 0.05
    done
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/redis-cluster/create.log" 2>&1 \
    || { cat "$DIR/redis-cluster/create.log" >&2; exit 5; }
  # Every node must see the whole cluster before a client asks any of them for the slots.
  local ok
  for _ in $(seq 1 200); do
    ok=0
    for p in "${ports[@]}"; do
      redis-cli -p "$p" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok' && ok=$((ok + 1))
    done
    [[ "$ok" == 3 ]] && break
    sleep 0.05
  done
  [[ "$ok" == 3 ]] || { echo "services.sh: Redis Cluster did not reach cluster_state:ok" >&2; exit 5; }
  echo "MFAKIT_REDIS_CLUSTER_NODES=$(IFS=,; echo "${urls[*]}")"
}

stop_redis_cluster() {
  local f pid pids=()
  for f in "$DIR"/redis-cluster/*/redis.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  done
  rm -rf "$DIR/redis-cluster"
}

pgbouncer_bin() {
  command -v pgbouncer 2>/dev/null || { [[ -x /usr/sbin/pgbouncer ]] && echo /usr/sbin/pgbouncer; } || true
}

# PgBouncer in transaction pooling mode in front of the throwaway PostgreSQL,
# as the `postgres` user when run as root (it refuses root too), from a private
# directory under /tmp. Trust auth; server connections as `postgres`.
start_pgbouncer() {
  local bin pgbroot
  bin="$(pgbouncer_bin)"
  [[ -n "$bin" ]] || { echo "services.sh: pgbouncer not found, starting without it (apt-get install -y pgbouncer)" >&2; return 0; }
  pgbroot="$(mktemp -d /tmp/mfakit-pgbouncer.XXXXXX)"
  echo "$pgbroot" > "$DIR/pgbouncer.path"
  cat > "$pgbroot/pgbouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $pgbroot/userlist.txt
pool_mode = transaction
admin_users = postgres
default_pool_size = 8
max_client_conn = 400
ignore_startup_parameters = extra_float_digits
logfile = $pgbroot/pgbouncer.log
pidfile = $pgbroot/pgbouncer.pid
INI
  echo '"postgres" ""' > "$pgbroot/userlist.txt"
  if [[ "$(id -u)" == 0 ]]; then chown -R postgres: "$pgbroot"; chmod 700 "$pgbroot"; fi
  as_pg "$bin" -d "$pgbroot/pgbouncer.ini" >"$DIR/pgbouncer.out" 2>&1 || { cat "$DIR/pgbouncer.out" "$pgbroot/pgbouncer.log" >&2 || true; exit 5; }
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PGBOUNCER_PORT") 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "MFAKIT_PGBOUNCER_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/postgres" >> "$DIR/services.env"
}

stop_pgbouncer() {
  [[ -f "$DIR/pgbouncer.path" ]] || return 0
  local pgbroot
  pgbroot="$(cat "$DIR/pgbouncer.path")"
  if [[ -f "$pgbroot/pgbouncer.pid" ]]; then
    kill "$(cat "$pgbroot/pgbouncer.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [[ -f "$pgbroot/pgbouncer.pid" ]] || break; sleep 0.05; done
  fi
  rm -rf "$pgbroot"
  rm -f "$DIR/pgbouncer.path"
}

# The server, when both it and the `mariadb` client (to wait for it and create the database) are installed.
mariadbd_bin() {
  command -v mariadb >/dev/null 2>&1 || return 0
  command -v mariadbd 2>/dev/null || { [[ -x /usr/sbin/mariadbd ]] && echo /usr/sbin/mariadbd; } || true
}

# MariaDB on 127.0.0.1 with its data directory under $DIR: a fresh system
# database (root without a password), no binary log, no durability, and an
# empty `mfakit` database. mariadbd refuses to run as root unless told to.
# The system database is created in the background while the other servers start.
mariadb_user() {
  if [[ "$(id -u)" == 0 ]]; then echo --user=root; fi
}

install_mariadb() {
  [[ -n "$(mariadbd_bin)" ]] || return 0
  mkdir -p "$DIR/mariadb"
  # shellcheck disable=SC2046
  mariadb-install-db --no-defaults $(mariadb_user) --datadir="$DIR/mariadb/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$DIR/mariadb-install.log" 2>&1 &
  echo $! > "$DIR/mariadb-install.pid"
}

start_mariadb() {
  local bin root user=()
  bin="$(mariadbd_bin)"
  [[ -n "$bin" ]] || { echo "services.sh: mariadbd or mariadb not found, starting without MariaDB (apt-get install -y mariadb-server)" >&2; return 0; }
  root="$DIR/mariadb"
  read -r -a user <<<"$(mariadb_user)"
  wait "$(cat "$DIR/mariadb-install.pid")" || { cat "$DIR/mariadb-install.log" >&2; exit 5; }
  rm -f "$DIR/mariadb-install.pid"
  "$bin" --no-defaults "${user[@]}" --datadir="$root/data" --socket="$root/mariadb.sock" --pid-file="$root/mariadb.pid" \
    --port="$MYSQL_PORT" --bind-address=127.0.0.1 --skip-name-resolve --log-error="$root/mariadb.log" --skip-log-bin \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-buffer-pool-size=128M --max-connections=400 \
    </dev/null >/dev/null 2>&1 &
  echo $! > "$DIR/mariadb.pid"
  for _ in $(seq 1 200); do
    if mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u root -e 'CREATE DATABASE IF NOT EXISTS mfakit' 2>/dev/null; then
      echo "MFAKIT_MYSQL_URL=mysql://root@127.0.0.1:$MYSQL_PORT/mfakit" >> "$DIR/services.env"
      return 0
    fi
    sleep 0.05
  done
  cat "$root/mariadb.log" >&2 || true
  exit 5
}

stop_mariadb() {
  [[ -f "$DIR/mariadb.pid" ]] || return 0
  local pid
  pid="$(cat "$DIR/mariadb.pid")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  rm -rf "$DIR/mariadb" "$DIR/mariadb.pid"
}

stop() {
  local bin
  bin="$(pg_bin)"
  stop_mariadb
  stop_pgbouncer
  if [[ -f "$DIR/pgdata.path" ]]; then
    local pgroot
    pgroot="$(cat "$DIR/pgdata.path")"
    if [[ -d "$pgroot/data" ]]; then as_pg "$bin/pg_ctl" -D "$pgroot/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$pgroot"
    rm -f "$DIR/pgdata.path"
  fi
  if [[ -f "$DIR/redis.pid" ]]; then
    kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [[ -f "$DIR/redis.pid" ]] || break; sleep 0.05; done
    rm -f "$DIR/redis.pid"
  fi
  stop_redis_cluster
  rm -f "$DIR/services.env"
}

status() {
  [[ -f "$DIR/services.env" ]] && cat "$DIR/services.env" || { echo "not running"; exit 1; }
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
