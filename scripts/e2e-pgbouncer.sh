#!/usr/bin/env bash
# Runs the end-to-end suite (go test ./internal/server/...) through PgBouncer in
# transaction pooling mode, the way operators run Shopfloor behind it:
#   1. starts a private PostgreSQL cluster in a temp dir (as the postgres user when
#      run as root, since PostgreSQL refuses root), fsync off;
#   2. starts pgbouncer in front of it: pool_mode = transaction, auth_type = trust,
#      a "*" entry passing any database name through, and the startup parameters pgx
#      sends that PgBouncer does not know ignored;
#   3. runs the suite with TEST_DATABASE_URL on pgbouncer, TEST_ADMIN_DATABASE_URL
#      straight on PostgreSQL (CREATE DATABASE ... TEMPLATE and the migrations' session
#      advisory lock cannot go through a transaction pooler), and DB_QUERY_EXEC_MODE=exec
#      (no named prepared statements, which transaction pooling would break).
# Extra arguments go to go test (e.g. -run TestOrders). Everything is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pgbouncer >/dev/null 2>&1 || {
  echo "pgbouncer is not installed; install it (Debian/Ubuntu: apt-get install pgbouncer)" >&2
  exit 1
}
./scripts/ensure-postgres.sh
BIN=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  BIN="$(dirname "$(command -v initdb)")"
else
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr) /usr/pgsql-*/bin /usr/local/pgsql/bin /opt/homebrew/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then BIN="$d"; break; fi
  done
fi
[ -n "$BIN" ] || { echo "initdb and pg_ctl not found" >&2; exit 1; }

# PostgreSQL and PgBouncer both refuse to run as root.
as_server() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( (RANDOM % 20000) + 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2
  return 1
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-pgbouncer-XXXXXX")"
chmod 755 "$WORK"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$WORK"; fi
PGDATA_DIR="$WORK/pg"

cleanup() {
  set +e
  if [ -f "$WORK/pgbouncer.pid" ]; then kill "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null; fi
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then as_server "$BIN/pg_ctl" stop -D "$PGDATA_DIR" -m immediate -s >/dev/null 2>&1; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PG_PORT="$(free_port)"
as_server "$BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; exit 1; }
as_server "$BIN/pg_ctl" start -D "$PGDATA_DIR" -w -s -l "$WORK/postgres.log" -o \
  "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories='$PGDATA_DIR' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  || { cat "$WORK/postgres.log" >&2; exit 1; }

BOUNCER_PORT="$(free_port)"
echo '"postgres" ""' >"$WORK/userlist.txt"
cat >"$WORK/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 5
max_client_conn = 2000
ignore_startup_parameters = extra_float_digits,statement_timeout,jit
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
INI
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$WORK/userlist.txt" "$WORK/pgbouncer.ini"; fi
as_server pgbouncer -d "$WORK/pgbouncer.ini" || { cat "$WORK/pgbouncer.log" >&2; exit 1; }
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$BOUNCER_PORT") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$BOUNCER_PORT") 2>/dev/null || { echo "pgbouncer did not start" >&2; cat "$WORK/pgbouncer.log" >&2; exit 1; }
echo "PostgreSQL on 127.0.0.1:$PG_PORT, PgBouncer (transaction pooling) on 127.0.0.1:$BOUNCER_PORT" >&2

status=0
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$BOUNCER_PORT/postgres?sslmode=disable" \
TEST_ADMIN_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable" \
DB_QUERY_EXEC_MODE=exec \
  go test -race -count=1 ./internal/server/... "$@" || status=$?
# PgBouncer's own totals show the suite's traffic went through it.
if command -v psql >/dev/null 2>&1; then
  psql -X -h 127.0.0.1 -p "$BOUNCER_PORT" -U postgres -d pgbouncer -c 'SHOW TOTALS' 2>/dev/null \
    | grep -E 'total_(xact|query)_count' >&2 || true
fi
if [ "$status" -ne 0 ]; then
  echo "--- pgbouncer log (tail) ---" >&2
  tail -n 50 "$WORK/pgbouncer.log" >&2 || true
fi
exit "$status"
