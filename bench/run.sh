#!/usr/bin/env bash
# bench/run.sh — Shopfloor's load benchmark (`make bench`); BENCHMARKS.md explains the
# method and holds the figures.
#
# On a fresh clone it: installs wrk with apt when missing; builds bin/shopfloor and the
# bench programs; starts a private PostgreSQL cluster under bench/.data (or uses
# DATABASE_URL's server); then, for each scale of SCALES: creates a fresh database,
# migrates and seeds it (the default sizes times the scale); writes the fixtures (ids,
# tokens, pgbench scripts); serves Shopfloor in production mode; runs every scenario
# with wrk at each connection count RUNS times after a warm-up; drives the same SQL at
# PostgreSQL with pgbench for the ceiling; runs the bare net/http + pgx reference; and
# checks the plans of the list, dashboard and summary requests. It then runs the Go
# hot-path benchmarks and prints Markdown tables of medians, with the growth table
# (every read request at each scale) when there is more than one scale.
# Raw output goes to bench/results/<UTC timestamp>/<scale>x/.
#
# Settings (environment):
#   SCALE=1 or SCALES="1 10"  data sizes: SEED_ARGS' --users, --products and --orders
#                          times each scale, one after the other (10: 100 000 users,
#                          500 000 products, 2 000 000 orders)
#   RUNS=3 DURATION=15s WARMUP=3s THREADS=2 CONNECTIONS="64 1000" WRK_TIMEOUT=5s
#   SCENARIOS="growth product-get product-search dashboard-users order-get order-create login reads-during-login replica plans"
#                          growth: the growth table's serial latencies (bench/growth) and
#                          req/s of GROWTH_SCENARIOS at GROWTH_CONNECTIONS;
#                          order-create: orders spread over 500 products, each run followed
#                          by a run whose orders all name one product (HOT=0: not);
#                          replica: product-get and dashboard-users on a server that reads
#                          from a streaming replica on the same machine (bench/.data/standby,
#                          made once with pg_basebackup -R), each run paired with the same
#                          run on a server with the primary alone; the table counts each
#                          statements each PostgreSQL server ran (pg_stat_statements, loaded
#                          for the scenario) and the server's own routing counters (private
#                          cluster only);
#                          plans: no Seq Scan of orders, order_items, users or products in
#                          the plans (auto_explain) of the list, dashboard and summary
#                          requests; a failure makes the run exit 1 at the end
#   GROWTH_SCENARIOS="product-search dashboard-users product-list order-list summary"
#   GROWTH_CONNECTIONS=64
#   SERIAL_REQUESTS=30 SERIAL_WARMUP=3 SERIAL_BUDGET=15s  growth's serial requests per row
#                          (timed, at most), warm-up requests, and time after which a row
#                          is not repeated (after at least 5; slow summaries at 10x)
#   HOT=1                  pair every order-create run with a one-product (flash sale) run
#   PLAN_MIN_SCALE=10      the plan check runs at the scales of at least this much data: on
#                          small tables a sequential scan is often the cheapest plan, and
#                          no sign of a plan that grows with the table
#   PLAN_STATEMENT_TIMEOUT=120s  the plan check's server's DB_STATEMENT_TIMEOUT (a plan is
#                          logged only when its statement completes)
#   PLAN_LOG=…             the PostgreSQL log auto_explain writes to (default: the private
#                          cluster's; with DATABASE_URL, pg_current_logfile() when set)
#   DB_MAX_CONNS=20        the server's (and the bare reference's) pool size
#   SEED_ARGS="--users 10000 --products 50000 --orders 200000 --seed 1"  the 1x data
#   DATABASE_URL=…         use this server (postgres://… URL; its user must create databases,
#                          and be a superuser for the plan check's auto_explain)
#   BENCH_DB=shopfloor_bench  the database created (dropped first) for scale 1; other
#                          scales get BENCH_DB_<scale>x (shopfloor_bench_10x)
#   REUSE_DB=1             keep an already seeded database instead of reseeding (quicker reruns)
#   CEILING=1 BARE=1 GOBENCH=1  set to 0 to skip the pgbench ceiling, the bare reference
#                          (run paired with product-get, so only when SCENARIOS has it:
#                          each Shopfloor run, then a bare run), or the Go benchmarks
#   PROFILE=0              1: also take a 15s CPU profile of the server under product-get
#   KEEP_CLUSTER=0         1: leave the private cluster running afterwards
#   SERVER_ENV="K=V …"     extra settings for the server (e.g. BCRYPT_MAX_CONCURRENT=1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${RUNS:-3}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64 1000}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}
SCENARIOS=${SCENARIOS:-growth product-get product-search dashboard-users order-get order-create login reads-during-login replica plans}
SCALES=${SCALES:-${SCALE:-1}}
GROWTH_SCENARIOS=${GROWTH_SCENARIOS:-product-search dashboard-users product-list order-list summary}
GROWTH_CONNECTIONS=${GROWTH_CONNECTIONS:-64}
SERIAL_REQUESTS=${SERIAL_REQUESTS:-30}
SERIAL_WARMUP=${SERIAL_WARMUP:-3}
SERIAL_BUDGET=${SERIAL_BUDGET:-15s}
HOT=${HOT:-1}
PLAN_STATEMENT_TIMEOUT=${PLAN_STATEMENT_TIMEOUT:-120s}
PLAN_MIN_SCALE=${PLAN_MIN_SCALE:-10}
PLAN_LOG=${PLAN_LOG:-}
DB_MAX_CONNS=${DB_MAX_CONNS:-20}
SEED_ARGS=${SEED_ARGS:---users 10000 --products 50000 --orders 200000 --seed 1}
SEED_PASSWORD=${SEED_PASSWORD:-Seed-Password-1}
BENCH_DB=${BENCH_DB:-shopfloor_bench}
REUSE_DB=${REUSE_DB:-0}
CEILING=${CEILING:-1}
BARE=${BARE:-1}
GOBENCH=${GOBENCH:-1}
PROFILE=${PROFILE:-0}
KEEP_CLUSTER=${KEEP_CLUSTER:-0}
PORT=${PORT:-18080}
REPLICA_PORT=${REPLICA_PORT:-18082}
BARE_PORT=${BARE_PORT:-18090}
PPROF_PORT=${PPROF_PORT:-16060}
GO=${GO:-go}

[[ $DURATION =~ ^[0-9]+s$ ]] || { echo "DURATION must be whole seconds such as 15s, got $DURATION" >&2; exit 2; }
for scale in $SCALES; do
    [[ $scale =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "SCALES must be numbers such as \"1 10\", got $SCALES" >&2; exit 2; }
done
READ_SCENARIOS="product-get product-search dashboard-users order-get"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN_OUT=$ROOT/bench/results/$STAMP
mkdir -p "$RUN_OUT"
LOG=$RUN_OUT/run.log

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------- tools and limits
if ! command -v wrk >/dev/null; then
    say "wrk is missing: installing it with apt"
    command -v apt-get >/dev/null || die "install wrk (https://github.com/wg/wrk) and rerun"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y wrk >>"$LOG" 2>&1 || { $SUDO apt-get update >>"$LOG" 2>&1 && $SUDO apt-get install -y wrk >>"$LOG" 2>&1; } ||
        die "apt-get install wrk failed (see $LOG)"
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
PGBENCH=$(command -v pgbench || true)
[ -n "$PGBENCH" ] || PGBENCH=$PGBIN/pgbench
PSQL=$(command -v psql || true)
[ -n "$PSQL" ] || PSQL=$PGBIN/psql
[ -x "$PGBENCH" ] && [ -x "$PSQL" ] || die "pgbench and psql are needed (Debian: apt-get install postgresql postgresql-contrib)"
# wrk at 1000 connections and the server each need a descriptor per connection.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
    ulimit -n "$(ulimit -Hn | sed 's/unlimited/65536/')" 2>/dev/null || true
    [ "$(ulimit -n)" -ge 2100 ] || die "ulimit -n is $(ulimit -n); 1000 connections need more (raise the hard limit)"
fi

# ---------------------------------------------------------------- cleanup
PIDS=()
STARTED_CLUSTER=0
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$STARTED_CLUSTER" = 1 ] && [ "$KEEP_CLUSTER" != 1 ]; then
        "$ROOT/bin/bench-cluster" stop >>"$LOG" 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- machine
{
    echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "nproc: $(nproc)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "kernel: $(uname -sr)"
    echo "go: $($GO version)"
    echo "postgres: $("$PGBIN/postgres" --version 2>/dev/null || echo unknown)"
    echo "wrk: $(wrk --version 2>&1 | head -1 | cut -c1-40)"
    echo "load_before: $(uptime)"
    echo "server_env: ${SERVER_ENV:-none}"
    echo "settings: RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNECTIONS='$CONNECTIONS' WRK_TIMEOUT=$WRK_TIMEOUT DB_MAX_CONNS=$DB_MAX_CONNS SCALES='$SCALES'"
    echo "scenarios: $SCENARIOS"
    echo "growth: GROWTH_SCENARIOS='$GROWTH_SCENARIOS' GROWTH_CONNECTIONS=$GROWTH_CONNECTIONS SERIAL_REQUESTS=$SERIAL_REQUESTS SERIAL_WARMUP=$SERIAL_WARMUP SERIAL_BUDGET=$SERIAL_BUDGET"
} >"$RUN_OUT/machine.txt"
cat "$RUN_OUT/machine.txt" >&2
printf 'scale\tphase\tseconds\n' >"$RUN_OUT/phases.tsv"

# ---------------------------------------------------------------- build
say "building bin/shopfloor and the bench programs"
$GO build -o bin/shopfloor ./cmd/shopfloor
$GO build -o bin/bench-cluster ./bench/cluster
$GO build -o bin/bench-prepare ./bench/prepare
$GO build -o bin/bench-bare ./bench/bare
$GO build -o bin/bench-profile ./bench/profile
$GO build -o bin/bench-growth ./bench/growth
grep -q 'shopfloor seed' <(bin/shopfloor help 2>&1) || die "bin/shopfloor has no seed command yet"

# ---------------------------------------------------------------- database
if [ -n "${DATABASE_URL:-}" ]; then
    ADMIN_URL=$DATABASE_URL
    say "using the PostgreSQL server of DATABASE_URL"
else
    [ -e bench/.data/postgres/postmaster.pid ] || STARTED_CLUSTER=1
    say "starting the private cluster under bench/.data/postgres"
    ADMIN_URL=$(bin/bench-cluster 2>>"$LOG") || die "could not start the cluster (see $LOG)"
fi
psql_admin() { "$PSQL" "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
psql_db() { "$PSQL" "$DB_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
# at_plan_scale scale: whether the plan check runs at this scale.
at_plan_scale() { awk -v s="$1" -v m="$PLAN_MIN_SCALE" 'BEGIN { exit !(s + 0 >= m + 0) }'; }
PLAN_CHECK=0
if [[ " $SCENARIOS " == *" plans "* ]]; then
    for scale in $SCALES; do at_plan_scale "$scale" && PLAN_CHECK=1; done
fi
if [ "$PLAN_CHECK" = 1 ] && [ -z "$PLAN_LOG" ]; then
    if [ -n "${DATABASE_URL:-}" ]; then
        # Only a server whose logging collector runs names its log file.
        PLAN_LOG=$(psql_admin -c "SELECT CASE WHEN f LIKE '/%' THEN f ELSE current_setting('data_directory') || '/' || f END
            FROM pg_current_logfile() AS f" 2>>"$LOG" || true)
    else
        PLAN_LOG=$ROOT/bench/.data/postgres/shopfloor-postgres.log
    fi
    [ -r "$PLAN_LOG" ] || die "the plan check reads the PostgreSQL log, and ${PLAN_LOG:-the log of this server} cannot be read here: set PLAN_LOG to the server's log file, use the private cluster (unset DATABASE_URL), or leave plans out of SCENARIOS"
fi
JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export JWT_SECRET

# ---------------------------------------------------------------- servers
# Production settings; only what a benchmark from one IP needs is changed. The request
# log is still written (JSON, level info) and discarded by the shell.
server_env=(
    env -i PATH="$PATH" HOME="${HOME:-/tmp}"
    APP_ENV=production JWT_SECRET="$JWT_SECRET" DB_MAX_CONNS="$DB_MAX_CONNS"
    RATE_LIMIT_GLOBAL=off RATE_LIMIT_LOGIN=1000000/1m RATE_LIMIT_REGISTER=1000000/1m RATE_LIMIT_REFRESH=1000000/1m
    LOG_LEVEL=info LOG_FORMAT=json
)
# shellcheck disable=SC2206 # SERVER_ENV is a list of K=V words
server_env+=(${SERVER_ENV:-})

# port_free port: dies when something already listens there, since the run would then
# measure that server (another benchmark's, say) instead of its own.
port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        die "port $1 is in use by another program: stop it, or set PORT, BARE_PORT, REPLICA_PORT or PPROF_PORT"
    fi
}

wait_ready() { # url pid
    local i
    for i in $(seq 1 100); do
        kill -0 "$2" 2>/dev/null || die "the server exited at start (see $OUT/*.stderr)"
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "no answer from $1 within 10s"
}

SERVER_PID=
start_server() { # [K=V …] binary [args]: the K=V override the settings above
    port_free "$PORT"
    "${server_env[@]}" DATABASE_URL="$DB_URL" HTTP_ADDR="127.0.0.1:$PORT" "$@" >/dev/null 2>>"$OUT/server.stderr" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_ready "http://127.0.0.1:$PORT/readyz" "$SERVER_PID"
}
stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------- one scale's database
# scaled_seed_args scale: SEED_ARGS with --users, --products and --orders times scale.
scaled_seed_args() {
    awk -v s="$1" '{ for (i = 1; i <= NF; i++) { if (i > 1 && $(i-1) ~ /^--(users|products|orders)$/) $i = int($i * s + 0.5) } print }' <<<"$SEED_ARGS"
}

# prepare_db: a migrated, seeded database for this scale (or the kept one with
# REUSE_DB=1), then its fixtures.
prepare_db() {
    local seed_args seeded=0 start
    seed_args=$(scaled_seed_args "$SCALE_NOW")
    echo "seed: $seed_args" >>"$OUT/machine.txt"
    if [ "$REUSE_DB" = 1 ] && psql_db -c 'SELECT count(*) FROM orders' >/dev/null 2>&1; then
        seeded=1
        say "REUSE_DB=1: keeping database $BENCH_DB_NOW as it is"
    fi
    if [ "$seeded" = 0 ]; then
        say "creating database $BENCH_DB_NOW (dropping any old one)"
        psql_admin -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS \"$BENCH_DB_NOW\" WITH (FORCE)" -c "CREATE DATABASE \"$BENCH_DB_NOW\""
        say "migrating"
        bin/shopfloor migrate --database-url "$DB_URL" up >>"$LOG" 2>&1 || die "migrate failed (see $LOG)"
        say "seeding: shopfloor seed $seed_args"
        start=$(date +%s)
        # shellcheck disable=SC2086 # seed_args is a list of flags
        bin/shopfloor seed $seed_args --password "$SEED_PASSWORD" --database-url "$DB_URL" >>"$LOG" 2>&1 ||
            die "seed failed (see $LOG)"
        say "seeded in $(( $(date +%s) - start ))s"
    fi
    psql_db -F ' ' -c "SELECT 'rows: users', (SELECT count(*) FROM users), 'products', (SELECT count(*) FROM products),
        'orders', (SELECT count(*) FROM orders), 'order_items', (SELECT count(*) FROM order_items)" | tee -a "$OUT/machine.txt" >&2
    say "writing fixtures (ids, tokens, pgbench scripts) to $FIX"
    bin/bench-prepare --out "$FIX" --database-url "$DB_URL" >>"$LOG" 2>&1 || die "bench/prepare failed (see $LOG)"
}

# ---------------------------------------------------------------- measuring
export BENCH_LUA=$ROOT/bench/lua BENCH_THREADS=$THREADS BENCH_PASSWORD=$SEED_PASSWORD

# reset_peak starts a new peak-RSS window for pid (Linux: writing 5 to clear_refs
# resets VmHWM to the current RSS); peak_kib reads it.
reset_peak() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

wrk_run() { # out-file connections duration script base-url
    wrk -t"$THREADS" -c"$2" -d"$3" --timeout "$WRK_TIMEOUT" --latency -s "$ROOT/bench/lua/$4.lua" "$5" >"$1" 2>&1 ||
        say "wrk exited with $? (see $1)"
}

# record target scenario conns run file pid: appends one row of results.tsv.
record() {
    local line
    line=$(grep -m1 '^BENCH ' "$5" || true)
    [ -n "$line" ] || { say "no BENCH line in $5"; line="BENCH requests=0 rps=0 p50_ms=0 p99_ms=0 p999_ms=0 non2xx=0 connect=0 read=0 write=0 timeout=0 unanswered=0 statuses=none"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(peak_kib "$6")" "${line#BENCH }" >>"$OUT/results.tsv"
    say "  $1 $2 c=$3 run $4: $(sed -E 's/.*rps=([0-9.]+).* p50_ms=([0-9.]+) p99_ms=([0-9.]+) p999_ms=([0-9.]+).* non2xx=([0-9]+) connect=([0-9]+) read=([0-9]+) write=([0-9]+) timeout=([0-9]+).*/\1 req\/s, p50 \2 ms, p99 \3 ms, p99.9 \4 ms, non-2xx \5, socket errors \6\/\7\/\8\/\9/' <<<"$line")"
}

# scenario_script name: the wrk script of a scenario, with the settings it reads
# (exported into the caller's locals by the caller's `local -x`).
scenario_script() {
    case $1 in
        reads-during-login) script=product-get ;;
        order-create-hot) script=order-create BENCH_CREATE=create-hot.txt ;;
        product-list) script=get BENCH_PATH='/api/v1/products?limit=20' BENCH_AS= ;;
        order-list) script=get BENCH_PATH='/api/v1/orders?limit=20' BENCH_AS=staff ;;
        summary) script=get BENCH_PATH='/api/v1/dashboard/summary' BENCH_AS=staff ;;
        *) script=$1 ;;
    esac
    [ -f "$ROOT/bench/lua/$script.lua" ] || die "unknown scenario $1 (no bench/lua/$script.lua)"
}

# one_run target name conns run: one measured run of a scenario, recorded.
one_run() {
    local target=$1 name=$2 c=$3 run=$4 base=http://127.0.0.1:$PORT pid=$SERVER_PID f bg script
    local -x BENCH_CREATE=create.txt BENCH_PATH= BENCH_AS=
    scenario_script "$name"
    [ "$target" = bare ] && base=http://127.0.0.1:$BARE_PORT pid=$BARE_PID
    [ "$target" = replica ] && base=http://127.0.0.1:$REPLICA_PORT pid=$REPLICA_PID
    f=$RAW/$target-$name-c$c-run$run.txt
    reset_peak "$pid"
    if [ "$name" = reads-during-login ]; then
        # A login flood (64 connections) for the whole run, reads measured meanwhile.
        wrk_run "$RAW/$target-$name-c$c-run$run-logins.txt" 64 "$(( ${DURATION%s} + 2 ))s" login "$base" &
        bg=$!
        sleep 1
        wrk_run "$f" "$c" "$DURATION" "$script" "$base"
        wait "$bg" || true
        record "$target" login-flood "$c" "$run" "$RAW/$target-$name-c$c-run$run-logins.txt" "$pid"
    else
        wrk_run "$f" "$c" "$DURATION" "$script" "$base"
    fi
    record "$target" "$name" "$c" "$run" "$f" "$pid"
}

# warm_up target name conns: an unrecorded run of WARMUP.
warm_up() {
    local base=http://127.0.0.1:$PORT script
    local -x BENCH_CREATE=create.txt BENCH_PATH= BENCH_AS=
    scenario_script "$2"
    [ "$1" = bare ] && base=http://127.0.0.1:$BARE_PORT
    [ "$1" = replica ] && base=http://127.0.0.1:$REPLICA_PORT
    wrk_run "$RAW/$1-$2-c$3-warmup.txt" "$3" "$WARMUP" "$script" "$base"
}

# scenario target name: every connection count, a warm-up, then RUNS runs. Some
# scenarios are paired: each of their runs is followed at once by a run of the
# partner, so that both meet the same machine (a shared machine's speed drifts by tens
# of percent over minutes): product-get with the bare reference, order-create (500
# products) with order-create-hot (one product).
scenario() {
    local target=$1 name=$2 c run partner=
    [ "$target" = shopfloor ] && [ "$name" = product-get ] && [ -n "$BARE_PID" ] && partner="bare product-get"
    [ "$name" = order-create ] && [ "$HOT" = 1 ] && partner="$target order-create-hot"
    for c in $CONNECTIONS; do
        warm_up "$target" "$name" "$c"
        # shellcheck disable=SC2086 # partner is "target name"
        [ -z "$partner" ] || warm_up $partner "$c"
        for run in $(seq 1 "$RUNS"); do
            one_run "$target" "$name" "$c" "$run"
            # shellcheck disable=SC2086
            [ -z "$partner" ] || one_run $partner "$c" "$run"
        done
    done
}

# Stock taken must equal the quantity ordered, whatever the concurrency: no oversell,
# no lost update.
stock_snapshot() { psql_db -F ' ' -c 'SELECT (SELECT sum(stock) FROM products), (SELECT coalesce(sum(quantity), 0) FROM order_items), (SELECT count(*) FROM products WHERE stock < 0)'; }

# phase name start: how long a phase of this scale took, for the summary.
phase() { printf '%s\t%s\t%s\n' "$SCALE_LABEL" "$1" "$(( $(date +%s) - $2 ))" >>"$RUN_OUT/phases.tsv"; }

# growth: the growth table's serial latencies, then req/s of its read scenarios.
growth() {
    say "growth: serial requests (bench/growth latency), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    bin/bench-growth latency --base-url "http://127.0.0.1:$PORT" --fixtures "$FIX" --out "$OUT/growth.tsv" \
        --requests "$SERIAL_REQUESTS" --warmup "$SERIAL_WARMUP" --budget "$SERIAL_BUDGET" 2>&1 | tee -a "$LOG" >&2 ||
        die "bench/growth latency failed (see $LOG)"
    local CONNECTIONS=$GROWTH_CONNECTIONS s
    for s in $GROWTH_SCENARIOS; do
        say "growth: $s at $CONNECTIONS connections (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        scenario growth "$s"
    done
}

# read_calls url: how many times the server at url ran the statements of product-get
# and dashboard-users (pg_stat_statements keeps sqlc's "-- name:" line), in the bench
# database.
read_calls() {
    "$PSQL" "$1" -X -q -At -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query ~ '^-- name: (ProductGet|DashboardUsers|DashboardRecentOrders) '"
}

# routing_counter name: a series of the replica server's /metrics, summed.
routing_counter() {
    curl -fsS "http://127.0.0.1:$REPLICA_PORT/metrics" | awk -v n="$1" '$1 ~ "^" n "({|$)" { s += $2 } END { printf "%d", s }'
}

# replica_scenario: product-get and dashboard-users through a server whose marked
# reads go to a streaming replica on this machine (REPLICA_PORT), each run right after
# the same run on the server with the primary alone (PORT). The primary is restarted
# with pg_stat_statements for the scenario (and without it afterwards), the standby
# runs with it, and around each run the scenario reads both servers' counts of those
# statements and the replica server's routing counters. The server on PORT loses its
# connections at the restarts; the warm-ups absorb that.
REPLICA_PID=
replica_scenario() {
    if [ -n "${DATABASE_URL:-}" ]; then
        say "replica: skipped, it needs the private cluster (DATABASE_URL is set)"
        return
    fi
    local standby replica_url lsn c run s target before_p before_r after_p after_r r0 f0 r1 f1
    local stats=--settings=shared_preload_libraries=pg_stat_statements
    say "replica: restarting the primary with pg_stat_statements; starting the streaming replica under bench/.data/standby (pg_basebackup -R the first time)"
    bin/bench-cluster stop >>"$LOG" 2>&1 || die "could not stop the cluster (see $LOG)"
    bin/bench-cluster "$stats" start >>"$LOG" 2>&1 || die "could not restart the cluster (see $LOG)"
    standby=$(bin/bench-cluster "$stats" standby 2>>"$LOG") || die "could not start the standby (see $LOG)"
    psql_db -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' 
    replica_url=$(printf '%s' "$standby" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$BENCH_DB_NOW#")
    lsn=$(psql_db -c 'SELECT pg_current_wal_lsn()')
    for _ in $(seq 1 600); do
        [ "$("$PSQL" "$replica_url" -X -q -At -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'" 2>/dev/null)" = t ] && break
        sleep 0.5
    done
    port_free "$REPLICA_PORT"
    "${server_env[@]}" DATABASE_URL="$DB_URL" DATABASE_REPLICA_URLS="$replica_url" HTTP_ADDR="127.0.0.1:$REPLICA_PORT" \
        bin/shopfloor serve >/dev/null 2>>"$OUT/replica-server.stderr" &
    REPLICA_PID=$!
    PIDS+=("$REPLICA_PID")
    wait_ready "http://127.0.0.1:$REPLICA_PORT/readyz" "$REPLICA_PID"
    printf 'scenario\tconnections\trun\ttarget\tprimary_calls\treplica_calls\treplica_reads\tprimary_fallbacks\n' >"$OUT/replica.tsv"
    for s in product-get dashboard-users; do
        for c in $CONNECTIONS; do
            warm_up primary "$s" "$c"
            warm_up replica "$s" "$c"
            for run in $(seq 1 "$RUNS"); do
                for target in primary replica; do
                    before_p=$(read_calls "$DB_URL"); before_r=$(read_calls "$replica_url")
                    r0=$(routing_counter shopfloor_db_replica_reads_total); f0=$(routing_counter shopfloor_db_primary_marked_reads_total)
                    one_run "$target" "$s" "$c" "$run"
                    r1=$(routing_counter shopfloor_db_replica_reads_total); f1=$(routing_counter shopfloor_db_primary_marked_reads_total)
                    after_p=$(read_calls "$DB_URL"); after_r=$(read_calls "$replica_url")
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$c" "$run" "$target" $((after_p - before_p)) $((after_r - before_r)) \
                        $((r1 - r0)) $((f1 - f0)) >>"$OUT/replica.tsv"
                    say "  $target $s c=$c run $run: its statements run by the primary $((after_p - before_p)), by the replica $((after_r - before_r)); routed to the replica $((r1 - r0)), marked reads on the primary $((f1 - f0))"
                done
            done
        done
    done
    stop_pid "$REPLICA_PID"
    say "replica: restarting the primary without pg_stat_statements"
    bin/bench-cluster stop >>"$LOG" 2>&1 && bin/bench-cluster start >>"$LOG" 2>&1 || die "could not restart the cluster (see $LOG)"
    replica_table >"$OUT/replica.md"
    cat "$OUT/replica.md" >&2
}

# replica_table: the replica scenario's Markdown table: the first run's req/s and latency,
# the ratio of every pair of runs, and the statements each server ran, summed over the runs.
replica_table() {
    echo "| scenario | connections | server | req/s | p50 | p99 | replica / primary alone (req/s, each pair) | its statements run by the primary | by the replica |"
    echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    awk -F'\t' '
        FNR == 1 { file++; next }
        file == 1 && ($1 == "primary" || $1 == "replica") {
            split($6, kv, " "); for (i in kv) { split(kv[i], p, "="); v[p[1]] = p[2] }
            k = $2 SUBSEP $3 SUBSEP $1; rps[k, $4] = v["rps"]; p50[k, $4] = v["p50_ms"]; p99[k, $4] = v["p99_ms"]; runs[k] = $4
            if (!((k) in seen)) { seen[k] = 1; order[++n] = k }
        }
        file == 2 { k = $1 SUBSEP $2 SUBSEP $4; ps[k] += $5; rs[k] += $6 }
        END {
            for (i = 1; i <= n; i++) {
                split(order[i], q, SUBSEP); k = order[i]; ratio = ""
                for (r = 1; r <= runs[k]; r++) {
                    if (q[3] == "replica" && rps[q[1], q[2], "primary", r] > 0)
                        ratio = ratio (ratio ? ", " : "") sprintf("%.3f", rps[k, r] / rps[q[1], q[2], "primary", r])
                }
                printf "| %s | %s | %s | %.0f | %.2f ms | %.2f ms | %s | %d | %d |\n", q[1], q[2],
                    (q[3] == "replica" ? "reads on the replica" : "primary alone"), rps[k, 1], p50[k, 1], p99[k, 1],
                    (ratio ? ratio : "—"), ps[k], rs[k]
            }
        }' "$OUT/results.tsv" "$OUT/replica.tsv"
}

# plan_check: a server whose PostgreSQL sessions load auto_explain (every statement's
# plan logged, nested ones too), one connection (so that the repeated requests reach
# PostgreSQL's cached generic plans), a statement timeout long enough for slow
# summaries to finish (a cancelled statement logs no plan); bench/growth plans sends
# each list, dashboard and summary request and reads the log. Session settings in the
# connection URL need no restart and no change to the server's configuration, but a
# superuser (session_preload_libraries).
PLAN_FAILED=
plan_check() {
    local sep='?' url
    [[ $DB_URL == *\?* ]] && sep='&'
    url="$DB_URL${sep}session_preload_libraries=auto_explain&auto_explain.log_min_duration=0&auto_explain.log_nested_statements=on&auto_explain.log_format=text"
    say "plan check: auto_explain on every statement, reading $PLAN_LOG"
    start_server DATABASE_URL="$url" DB_MAX_CONNS=1 DB_STATEMENT_TIMEOUT="$PLAN_STATEMENT_TIMEOUT" bin/shopfloor serve
    if ! bin/bench-growth plans --base-url "http://127.0.0.1:$PORT" --fixtures "$FIX" --log "$PLAN_LOG" --out "$OUT/plans.tsv" \
        --budget "$SERIAL_BUDGET" 2>&1 | tee -a "$LOG" >&2; then
        PLAN_FAILED="$PLAN_FAILED $SCALE_LABEL"
        say "PLAN CHECK FAILED at $SCALE_LABEL (the requests and tables above; the run goes on and exits 1 at the end)"
    fi
    stop_pid "$SERVER_PID"
}

# run_scale scale: everything measured on one data size.
run_scale() {
    SCALE_NOW=$1
    SCALE_LABEL=${1}x
    BENCH_DB_NOW=${BENCH_DB:-shopfloor_bench}
    [ "$1" = 1 ] || BENCH_DB_NOW=${BENCH_DB_NOW}_${1//./_}x
    OUT=$RUN_OUT/$SCALE_LABEL
    RAW=$OUT/raw
    FIX=$OUT/fixtures
    export BENCH_FIXTURES=$FIX
    mkdir -p "$RAW" "$FIX"
    # The same server, database BENCH_DB_NOW (the URL's path replaced).
    DB_URL=$(printf '%s' "$ADMIN_URL" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$BENCH_DB_NOW#")
    [ "$DB_URL" != "$ADMIN_URL" ] || [ "${ADMIN_URL##*/}" = "$BENCH_DB_NOW" ] || die "DATABASE_URL must be a postgres:// URL"
    { grep -v '^load_before:' "$RUN_OUT/machine.txt"; echo "scale: $SCALE_LABEL, database $BENCH_DB_NOW"; echo "load_before: $(uptime)"; } >"$OUT/machine.txt"
    say "== scale $SCALE_LABEL: database $BENCH_DB_NOW"

    local t0 s stock0 items0 stock1 items1 negative bg
    t0=$(date +%s)
    prepare_db
    phase "database and fixtures" "$t0"

    printf 'target\tscenario\tconnections\trun\tpeak_rss_kib\tresult\n' >"$OUT/results.tsv"
    printf 'scenario\tclients\trun\ttps\n' >"$OUT/ceiling.tsv"

    BARE_PID=
    if [ "$BARE" = 1 ] && [[ " $SCENARIOS " == *" product-get "* ]]; then
        say "starting the bare net/http + pgx reference (bench/bare), paired with product-get"
        port_free "$BARE_PORT"
        env -i PATH="$PATH" DATABASE_URL="$DB_URL" bin/bench-bare --addr "127.0.0.1:$BARE_PORT" --max-conns "$DB_MAX_CONNS" \
            >/dev/null 2>>"$OUT/bare.stderr" &
        BARE_PID=$!
        PIDS+=("$BARE_PID")
        first=$(head -1 "$FIX/product_ids.txt")
        for i in $(seq 1 100); do
            curl -fsS -o /dev/null "http://127.0.0.1:$BARE_PORT/api/v1/products/$first" 2>/dev/null && break
            kill -0 "$BARE_PID" 2>/dev/null || die "bench/bare exited at start (see $OUT/bare.stderr)"
            sleep 0.1
        done
    fi
    say "starting shopfloor serve (APP_ENV=production, DB_MAX_CONNS=$DB_MAX_CONNS, request log to /dev/null)"
    start_server bin/shopfloor serve
    for s in $SCENARIOS; do
        [ "$s" = plans ] && continue # after the server of the measurements has stopped
        say "scenario $s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        t0=$(date +%s)
        case $s in
            growth) growth ;;
            replica) replica_scenario ;;
            order-create)
                read -r stock0 items0 _ <<<"$(stock_snapshot)"
                scenario shopfloor "$s"
                read -r stock1 items1 negative <<<"$(stock_snapshot)"
                echo "order-create: stock taken $((stock0 - stock1)), items ordered $((items1 - items0)), products below zero $negative" |
                    tee "$OUT/oversell.txt" | tee -a "$LOG" >&2
                ;;
            *) scenario shopfloor "$s" ;;
        esac
        phase "$s" "$t0"
    done

    if [ "$PROFILE" = 1 ]; then
        say "profiling: 15s CPU profile of the server under product-get at 64 connections"
        stop_pid "$SERVER_PID"
        start_server bin/bench-profile --pprof "127.0.0.1:$PPROF_PORT"
        wrk_run "$RAW/profile-warmup.txt" 64 "$WARMUP" product-get "http://127.0.0.1:$PORT"
        wrk_run "$RAW/profile-load.txt" 64 20s product-get "http://127.0.0.1:$PORT" &
        bg=$!
        sleep 2
        curl -fsS -o "$OUT/cpu.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=15" || say "profile failed"
        wait "$bg" || true
        curl -fsS -o "$OUT/allocs.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/allocs" || true
        $GO tool pprof -top -nodecount=40 bin/bench-profile "$OUT/cpu.pprof" >"$OUT/cpu-top.txt" 2>&1 || true
        $GO tool pprof -top -cum -nodecount=60 bin/bench-profile "$OUT/cpu.pprof" >"$OUT/cpu-top-cum.txt" 2>&1 || true
        $GO tool pprof -sample_index=alloc_space -top -nodecount=30 bin/bench-profile "$OUT/allocs.pprof" >"$OUT/allocs-top.txt" 2>&1 || true
        say "profile: $OUT/cpu-top.txt, $OUT/cpu-top-cum.txt, $OUT/allocs-top.txt"
    fi
    stop_pid "$SERVER_PID"
    [ -z "$BARE_PID" ] || stop_pid "$BARE_PID"

    if [[ " $SCENARIOS " == *" plans "* ]]; then
        if at_plan_scale "$SCALE_NOW"; then
            t0=$(date +%s)
            plan_check
            phase plans "$t0"
        else
            say "plan check skipped at $SCALE_LABEL: it runs at scales of at least PLAN_MIN_SCALE=$PLAN_MIN_SCALE (small tables are rightly scanned)"
        fi
    fi

    if [ "$CEILING" = 1 ]; then
        t0=$(date +%s)
        ceiling
        phase "pgbench ceiling" "$t0"
    fi
    echo "load_after: $(uptime)" >>"$OUT/machine.txt"
}

# ceiling: the read scenarios' SQL driven at PostgreSQL by pgbench.
ceiling() {
    # pgbench clients = min(connections, pool size): the server never has more
    # statements in flight than its pool has connections.
    local clients s n run f files popts tps
    clients=$(for c in $CONNECTIONS; do echo $(( c < DB_MAX_CONNS ? c : DB_MAX_CONNS )); done | sort -nu)
    for s in $READ_SCENARIOS; do
        [[ " $SCENARIOS " == *" $s "* ]] || continue
        files=()
        for f in "$FIX/pgbench/$s"/*.sql; do files+=(-f "$f"); done
        for n in $clients; do
            say "ceiling: pgbench $s, $n clients"
            for run in $(seq 1 "$RUNS"); do
                f=$RAW/pgbench-$s-c$n-run$run.txt
                # As the server's pool runs them: the search's query (marked "plan: per
                # execution") planned with its values every time, the others on their
                # cached plans.
                popts=
                [ "$s" = product-search ] && popts='-c plan_cache_mode=force_custom_plan'
                PGOPTIONS=$popts "$PGBENCH" -n -M prepared -c "$n" -j 2 -T "${DURATION%s}" "${files[@]}" "$DB_URL" >"$f" 2>&1 ||
                    say "pgbench exited with $? (see $f)"
                tps=$(awk '/^tps = / {print $3; exit}' "$f")
                printf '%s\t%s\t%s\t%s\n' "$s" "$n" "$run" "${tps:-0}" >>"$OUT/ceiling.tsv"
                say "  pgbench $s c=$n run $run: ${tps:-?} transactions/s"
            done
        done
    done
}

for scale in $SCALES; do
    run_scale "$scale"
done

if [ "$GOBENCH" = 1 ]; then
    t0=$(date +%s)
    say "Go benchmarks of the hot path"
    $GO test -run '^$' -bench 'VerifyToken' -benchmem ./internal/auth >"$RUN_OUT/gobench.txt" 2>&1 || say "go test -bench failed (see $RUN_OUT/gobench.txt)"
    $GO test -run '^$' -bench . -benchmem ./internal/server >>"$RUN_OUT/gobench.txt" 2>&1 || say "go test -bench failed (see $RUN_OUT/gobench.txt)"
    grep -E '^(Benchmark|ok|FAIL)' "$RUN_OUT/gobench.txt" >&2 || true
    SCALE_LABEL=all phase "Go benchmarks" "$t0"
fi

echo "load_after: $(uptime)" >>"$RUN_OUT/machine.txt"

# ---------------------------------------------------------------- summary
"$ROOT/bench/summarize.sh" "$RUN_OUT" | tee "$RUN_OUT/summary.md"
for f in "$RUN_OUT"/*/replica.md; do
    [ -f "$f" ] || continue
    printf '\n### Read replica (%s)\n\n' "$(basename "$(dirname "$f")")"
    cat "$f"
done | tee -a "$RUN_OUT/summary.md"
say "raw results: $RUN_OUT"
if [ -n "$PLAN_FAILED" ]; then
    say "error: the plan check found sequential scans of large tables, or could not see a plan, at:$PLAN_FAILED (see the plan check above and $RUN_OUT/*/plans.tsv)"
    exit 1
fi
