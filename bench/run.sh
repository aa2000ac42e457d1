#!/usr/bin/env bash
# bench/run.sh — Shopfloor's load benchmark (`make bench`); BENCHMARKS.md explains the
# method and holds the figures.
#
# On a fresh clone it: installs wrk with apt when missing; builds bin/shopfloor and the
# bench programs; starts a private PostgreSQL cluster under bench/.data (or uses
# DATABASE_URL's server); creates a fresh database, migrates and seeds it; writes the
# fixtures (ids, tokens, pgbench scripts); serves Shopfloor in production mode; runs
# every scenario with wrk at each connection count RUNS times after a warm-up; drives
# the same SQL at PostgreSQL with pgbench for the ceiling; runs the bare net/http + pgx
# reference; runs the Go hot-path benchmarks; and prints a Markdown table of medians.
# Raw output goes to bench/results/<UTC timestamp>/.
#
# Settings (environment):
#   RUNS=3 DURATION=15s WARMUP=3s THREADS=2 CONNECTIONS="64 1000" WRK_TIMEOUT=5s
#   SCENARIOS="product-get product-search dashboard-users order-get order-create login reads-during-login"
#   DB_MAX_CONNS=20        the server's (and the bare reference's) pool size
#   SEED_ARGS="--users 10000 --products 50000 --orders 200000 --seed 1"
#   DATABASE_URL=…         use this server (postgres://… URL; its user must create databases)
#   BENCH_DB=shopfloor_bench  the database created (dropped first) for the run
#   REUSE_DB=1             keep an already seeded BENCH_DB instead of reseeding (quicker reruns)
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
SCENARIOS=${SCENARIOS:-product-get product-search dashboard-users order-get order-create login reads-during-login}
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
BARE_PORT=${BARE_PORT:-18090}
PPROF_PORT=${PPROF_PORT:-16060}
GO=${GO:-go}

[[ $DURATION =~ ^[0-9]+s$ ]] || { echo "DURATION must be whole seconds such as 15s, got $DURATION" >&2; exit 2; }
READ_SCENARIOS="product-get product-search dashboard-users order-get"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP
RAW=$OUT/raw
FIX=$OUT/fixtures
mkdir -p "$RAW" "$FIX"
LOG=$OUT/run.log

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
    echo "settings: RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNECTIONS='$CONNECTIONS' WRK_TIMEOUT=$WRK_TIMEOUT DB_MAX_CONNS=$DB_MAX_CONNS"
    echo "seed: $SEED_ARGS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ---------------------------------------------------------------- build
say "building bin/shopfloor and the bench programs"
$GO build -o bin/shopfloor ./cmd/shopfloor
$GO build -o bin/bench-cluster ./bench/cluster
$GO build -o bin/bench-prepare ./bench/prepare
$GO build -o bin/bench-bare ./bench/bare
$GO build -o bin/bench-profile ./bench/profile
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
# The same server, database BENCH_DB (the URL's path replaced).
DB_URL=$(printf '%s' "$ADMIN_URL" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$BENCH_DB#")
[ "$DB_URL" != "$ADMIN_URL" ] || [ "${ADMIN_URL##*/}" = "$BENCH_DB" ] || die "DATABASE_URL must be a postgres:// URL"
psql_admin() { "$PSQL" "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
psql_db() { "$PSQL" "$DB_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

seeded=0
if [ "$REUSE_DB" = 1 ] && psql_db -c 'SELECT count(*) FROM orders' >/dev/null 2>&1; then
    seeded=1
    say "REUSE_DB=1: keeping database $BENCH_DB as it is"
fi
if [ "$seeded" = 0 ]; then
    say "creating database $BENCH_DB (dropping any old one)"
    psql_admin -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$BENCH_DB\""
    say "migrating"
    bin/shopfloor migrate --database-url "$DB_URL" up >>"$LOG" 2>&1 || die "migrate failed (see $LOG)"
    say "seeding: shopfloor seed $SEED_ARGS"
    start=$(date +%s)
    # shellcheck disable=SC2086 # SEED_ARGS is a list of flags
    bin/shopfloor seed $SEED_ARGS --password "$SEED_PASSWORD" --database-url "$DB_URL" >>"$LOG" 2>&1 ||
        die "seed failed (see $LOG)"
    say "seeded in $(( $(date +%s) - start ))s"
fi
psql_db -F ' ' -c "SELECT 'rows: users', (SELECT count(*) FROM users), 'products', (SELECT count(*) FROM products),
    'orders', (SELECT count(*) FROM orders), 'order_items', (SELECT count(*) FROM order_items)" | tee -a "$OUT/machine.txt" >&2

# ---------------------------------------------------------------- fixtures
JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export JWT_SECRET
say "writing fixtures (ids, tokens, pgbench scripts) to $FIX"
bin/bench-prepare --out "$FIX" --database-url "$DB_URL" >>"$LOG" 2>&1 || die "bench/prepare failed (see $LOG)"

# ---------------------------------------------------------------- servers
# Production settings; only what a benchmark from one IP needs is changed. The request
# log is still written (JSON, level info) and discarded by the shell.
server_env=(
    env -i PATH="$PATH" HOME="${HOME:-/tmp}"
    APP_ENV=production DATABASE_URL="$DB_URL" JWT_SECRET="$JWT_SECRET" DB_MAX_CONNS="$DB_MAX_CONNS"
    RATE_LIMIT_GLOBAL=off RATE_LIMIT_LOGIN=1000000/1m RATE_LIMIT_REGISTER=1000000/1m RATE_LIMIT_REFRESH=1000000/1m
    LOG_LEVEL=info LOG_FORMAT=json
)
# shellcheck disable=SC2206 # SERVER_ENV is a list of K=V words
server_env+=(${SERVER_ENV:-})

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
start_server() { # binary [args]
    "${server_env[@]}" HTTP_ADDR="127.0.0.1:$PORT" "$@" >/dev/null 2>>"$OUT/server.stderr" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_ready "http://127.0.0.1:$PORT/readyz" "$SERVER_PID"
}
stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------- measuring
export BENCH_LUA=$ROOT/bench/lua BENCH_FIXTURES=$FIX BENCH_THREADS=$THREADS BENCH_PASSWORD=$SEED_PASSWORD

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

# scenario target name: every connection count, a warm-up, then RUNS runs.
scenario() {
    local target=$1 name=$2 base=http://127.0.0.1:$PORT script=$2 c run f bg
    [ "$target" = bare ] && base=http://127.0.0.1:$BARE_PORT
    [ "$name" = reads-during-login ] && script=product-get
    # product-get is paired with the bare reference: each Shopfloor run is followed at
    # once by a bare run of the same length, so that both meet the same machine (a
    # shared machine's speed drifts by tens of percent over minutes).
    local paired=0
    [ "$target" = shopfloor ] && [ "$name" = product-get ] && [ -n "$BARE_PID" ] && paired=1
    for c in $CONNECTIONS; do
        wrk_run "$RAW/$target-$name-c$c-warmup.txt" "$c" "$WARMUP" "$script" "$base"
        [ "$paired" = 1 ] && wrk_run "$RAW/bare-$name-c$c-warmup.txt" "$c" "$WARMUP" "$script" "http://127.0.0.1:$BARE_PORT"
        for run in $(seq 1 "$RUNS"); do
            f=$RAW/$target-$name-c$c-run$run.txt
            reset_peak "$SERVER_PID"
            if [ "$name" = reads-during-login ]; then
                # A login flood (64 connections) for the whole run, reads measured meanwhile.
                wrk_run "$RAW/$target-$name-c$c-run$run-logins.txt" 64 "$(( ${DURATION%s} + 2 ))s" login "$base" &
                bg=$!
                sleep 1
                wrk_run "$f" "$c" "$DURATION" "$script" "$base"
                wait "$bg" || true
                record "$target" login-flood "$c" "$run" "$RAW/$target-$name-c$c-run$run-logins.txt" "$SERVER_PID"
            else
                wrk_run "$f" "$c" "$DURATION" "$script" "$base"
            fi
            record "$target" "$name" "$c" "$run" "$f" "$SERVER_PID"
            if [ "$paired" = 1 ]; then
                f=$RAW/bare-$name-c$c-run$run.txt
                reset_peak "$BARE_PID"
                wrk_run "$f" "$c" "$DURATION" "$script" "http://127.0.0.1:$BARE_PORT"
                record bare "$name" "$c" "$run" "$f" "$BARE_PID"
            fi
        done
    done
}

# Stock taken must equal the quantity ordered, whatever the concurrency: no oversell,
# no lost update.
stock_snapshot() { psql_db -F ' ' -c 'SELECT (SELECT sum(stock) FROM products), (SELECT coalesce(sum(quantity), 0) FROM order_items), (SELECT count(*) FROM products WHERE stock < 0)'; }

printf 'target\tscenario\tconnections\trun\tpeak_rss_kib\tresult\n' >"$OUT/results.tsv"
printf 'scenario\tclients\trun\ttps\n' >"$OUT/ceiling.tsv"

BARE_PID=
if [ "$BARE" = 1 ] && [[ " $SCENARIOS " == *" product-get "* ]]; then
    say "starting the bare net/http + pgx reference (bench/bare), paired with product-get"
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
    say "scenario $s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ "$s" = order-create ]; then
        read -r stock0 items0 _ <<<"$(stock_snapshot)"
        scenario shopfloor "$s"
        read -r stock1 items1 negative <<<"$(stock_snapshot)"
        echo "order-create: stock taken $((stock0 - stock1)), items ordered $((items1 - items0)), products below zero $negative" |
            tee "$OUT/oversell.txt" | tee -a "$LOG" >&2
    else
        scenario shopfloor "$s"
    fi
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

if [ "$CEILING" = 1 ]; then
    # pgbench clients = min(connections, pool size): the server never has more
    # statements in flight than its pool has connections.
    clients=$(for c in $CONNECTIONS; do echo $(( c < DB_MAX_CONNS ? c : DB_MAX_CONNS )); done | sort -nu)
    for s in $READ_SCENARIOS; do
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
fi

if [ "$GOBENCH" = 1 ]; then
    say "Go benchmarks of the hot path"
    $GO test -run '^$' -bench 'VerifyToken' -benchmem ./internal/auth >"$OUT/gobench.txt" 2>&1 || say "go test -bench failed (see $OUT/gobench.txt)"
    $GO test -run '^$' -bench . -benchmem ./internal/server >>"$OUT/gobench.txt" 2>&1 || say "go test -bench failed (see $OUT/gobench.txt)"
    grep -E '^(Benchmark|ok|FAIL)' "$OUT/gobench.txt" >&2 || true
fi

echo "load_after: $(uptime)" >>"$OUT/machine.txt"

# ---------------------------------------------------------------- summary
"$ROOT/bench/summarize.sh" "$OUT" | tee "$OUT/summary.md"
say "raw results: $OUT"
