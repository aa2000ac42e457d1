// Package database opens Shopfloor's bounded connection pool and watches what goes
// through it: how long a request may wait for a connection, how many statements each
// request sends, how long each named query takes, and which ones are slow. With read
// replicas configured, it sends the reads marked for them to a replica in rotation
// (routing.go), and checks each replica in the background (replicas.go).
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/logctx"
)

// ErrAcquireTimeout means every connection stayed busy for DB_ACQUIRE_TIMEOUT; the
// request is refused (503) rather than left to hang.
var ErrAcquireTimeout = errors.New("database: no connection became free within DB_ACQUIRE_TIMEOUT")

// Pool is pgxpool with a bound on how long a request waits for a connection. It
// satisfies the generated queries' DBTX and pgx.BeginFunc's Begin.
type Pool struct {
	*pgxpool.Pool
	acquireTimeout time.Duration
	waiting        atomic.Int64
	// out counts the connections this pool's callers hold or are acquiring, and
	// maxConns bounds it before a wait needs a deadline (see acquire).
	out      atomic.Int32
	maxConns int32
	// planPerExecution: run the queries marked PlanPerExecution as unnamed
	// statements, so that PostgreSQL plans each execution with its values. Only
	// needed with cache_statement; the other modes always do so.
	planPerExecution bool

	// replicas answer the reads marked ReplicaOK (routing.go); none by default.
	replicas     []*replica
	nextReplica  atomic.Uint64
	primaryReads map[string]*atomic.Int64
	stopCheckers context.CancelFunc
	checkers     sync.WaitGroup
}

// PlanPerExecution marks a query in queries/*.sql (a comment line inside it, which
// sqlc keeps in the SQL text) whose best plan depends on its values: the list
// queries' optional filters ("$1 IS NULL OR col = $1") and pattern searches. A plan
// cached for every value (PostgreSQL's generic plan) cannot drop the unset filters
// and so misses the index that serves the set ones; planning each execution costs
// far less. Every other query is prepared once and, after a few executions, runs
// on its cached plan: a primary-key lookup then costs PostgreSQL a third of what
// planning it every time did.
const PlanPerExecution = "-- plan: per execution"

// withPlanMode prepends pgx.QueryExecModeExec to the arguments of a query marked
// PlanPerExecution (pgx reads a leading QueryExecMode argument as that query's mode).
func (p *Pool) withPlanMode(sql string, args []any) []any {
	if !p.planPerExecution || !strings.Contains(sql, PlanPerExecution) {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// Options are the observers a pool reports to; all may be nil.
type Options struct {
	Log *slog.Logger
	// ObserveQuery receives the duration of every statement by sqlc query name.
	ObserveQuery func(name string, d time.Duration)
	// Tracing, when not nil, gives every statement of a traced request a span.
	Tracing trace.TracerProvider
}

// Open builds the pool from the configuration: at most DB_MAX_CONNS connections,
// idle ones closed after DB_IDLE_TIMEOUT, each connect bounded by DB_CONNECT_TIMEOUT,
// each statement by DB_STATEMENT_TIMEOUT, each wait for a connection while all are
// in use by DB_ACQUIRE_TIMEOUT. It does not connect: the first request does.
func Open(ctx context.Context, cfg config.Config, opts Options) (*Pool, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	build := func(pc *pgxpool.Config) (*Pool, error) { return newPool(ctx, pc, cfg, opts, log) }
	p, err := build(pc)
	if err != nil {
		return nil, err
	}
	if len(cfg.DatabaseReplicaURLs) == 0 {
		return p, nil
	}
	p.primaryReads = map[string]*atomic.Int64{}
	for _, reason := range []string{reasonNoReplica, reasonReadAfter, reasonReplicaFailed} {
		p.primaryReads[reason] = new(atomic.Int64)
	}
	for _, u := range cfg.DatabaseReplicaURLs {
		r, err := openReplica(u, build, log)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.replicas = append(p.replicas, r)
	}
	names := make([]string, len(p.replicas))
	for i, r := range p.replicas {
		names[i] = r.name
	}
	log.Info("reading from replicas", "replicas", names, "maxLag", cfg.ReplicaMaxLag.String())
	// The checkers outlive Open's context: they stop when the pool closes.
	checkCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stopCheckers = stop
	for _, r := range p.replicas {
		p.checkers.Go(func() { r.watch(checkCtx, p.Pool, cfg.ReplicaMaxLag) })
	}
	return p, nil
}

// newPool builds one bounded pool (the primary's or a replica's) from its parsed URL.
func newPool(ctx context.Context, pc *pgxpool.Config, cfg config.Config, opts Options, log *slog.Logger) (*Pool, error) {
	pc.MaxConns = cfg.DBMaxConns
	pc.MaxConnIdleTime = cfg.DBIdleTimeout
	pc.HealthCheckPeriod = 15 * time.Second
	pc.ConnConfig.ConnectTimeout = cfg.DBConnectTimeout
	pc.ConnConfig.DefaultQueryExecMode = cfg.DBQueryExecMode
	params := pc.ConnConfig.RuntimeParams
	params["application_name"] = "shopfloor"
	params["statement_timeout"] = strconv.FormatInt(cfg.DBStatementTimeout.Milliseconds(), 10)
	// Every statement a request runs is short; JIT compiling one (PostgreSQL does when
	// a plan's estimated cost is high, even for a branch that never runs) takes tens of
	// milliseconds that the statement never wins back.
	params["jit"] = "off"
	// Slow-query lines are logged with the request's context: logctx adds its ids.
	tr := &tracer{log: logctx.Wrap(log), slow: cfg.DBSlowQuery, observe: opts.ObserveQuery}
	if opts.Tracing != nil {
		tr.spans = opts.Tracing.Tracer(tracerScope)
	}
	pc.ConnConfig.Tracer = tr
	pc.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		RegisterTypes(conn.TypeMap())
		return nil
	}
	// A connection idle for a while is pinged when it is acquired. An acquire while
	// a connection is free has no deadline of its own (see acquire), so the ping
	// gets DB_ACQUIRE_TIMEOUT as its bound.
	pc.PingTimeout = cfg.DBAcquireTimeout
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	return &Pool{Pool: pool, acquireTimeout: cfg.DBAcquireTimeout, maxConns: pc.MaxConns,
		planPerExecution: cfg.DBQueryExecMode == pgx.QueryExecModeCacheStatement}, nil
}

// Close stops the replicas' checkers and closes every pool, waiting for the
// connections in use to be released.
func (p *Pool) Close() {
	if p.stopCheckers != nil {
		p.stopCheckers()
		p.checkers.Wait()
	}
	for _, r := range p.replicas {
		r.pool.Close()
	}
	p.Pool.Close()
}

// Waiting is the number of requests waiting for a connection right now.
func (p *Pool) Waiting() int64 { return p.waiting.Load() }

func (p *Pool) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	// While fewer connections than the pool's size are out, one is idle or can be
	// opened at once (bounded by DB_CONNECT_TIMEOUT; the ping of a long-idle one by
	// PingTimeout): the wait needs no deadline of its own, and the timer, context
	// and registration with the request's context a deadline costs on every
	// statement are saved. Only when every connection is out does a wait get one.
	if p.out.Add(1) <= p.maxConns {
		c, err := p.Pool.Acquire(ctx)
		if err != nil {
			p.out.Add(-1)
		}
		return c, err
	}
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	actx, cancel := context.WithTimeout(ctx, p.acquireTimeout)
	defer cancel()
	c, err := p.Pool.Acquire(actx)
	if err != nil {
		p.out.Add(-1)
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return nil, ErrAcquireTimeout
		}
	}
	return c, err
}

// release gives back a connection acquire returned.
func (p *Pool) release(c *pgxpool.Conn) {
	c.Release()
	p.out.Add(-1)
}

// Exec runs a statement on a connection held only for that statement.
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer p.release(c)
	return c.Exec(ctx, sql, p.withPlanMode(sql, args)...)
}

// Query runs a query whose connection returns to the pool when the rows are closed;
// on a replica when it is marked ReplicaOK and ctx allows it.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if r := p.replicaFor(ctx, sql); r != nil {
		return p.queryReplica(ctx, r, sql, args)
	}
	return p.queryPrimary(ctx, sql, args)
}

func (p *Pool) queryPrimary(ctx context.Context, sql string, args []any) (pgx.Rows, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, sql, p.withPlanMode(sql, args)...)
	if err != nil {
		p.release(c)
		return nil, err
	}
	return &releasingRows{Rows: rows, release: sync.OnceFunc(func() { p.release(c) })}, nil
}

// QueryRow runs a one-row query whose connection returns to the pool after Scan; on
// a replica when it is marked ReplicaOK and ctx allows it.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if r := p.replicaFor(ctx, sql); r != nil {
		return p.queryRowReplica(ctx, r, sql, args)
	}
	return p.queryRowPrimary(ctx, sql, args)
}

func (p *Pool) queryRowPrimary(ctx context.Context, sql string, args []any) pgx.Row {
	c, err := p.acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return releasingRow{row: c.QueryRow(ctx, sql, p.withPlanMode(sql, args)...), pool: p, conn: c}
}

// Begin starts a transaction whose connection returns to the pool at commit or rollback.
func (p *Pool) Begin(ctx context.Context) (pgx.Tx, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		p.release(c)
		return nil, err
	}
	return &releasingTx{Tx: tx, release: sync.OnceFunc(func() { p.release(c) }), pool: p}, nil
}

type releasingRows struct {
	pgx.Rows
	release func()
}

func (r *releasingRows) Close() {
	r.Rows.Close()
	r.release()
}

func (r *releasingRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.release() // rows are exhausted and closed: the connection is free
	return false
}

type releasingRow struct {
	row  pgx.Row
	pool *Pool
	conn *pgxpool.Conn
}

func (r releasingRow) Scan(dest ...any) error {
	defer r.pool.release(r.conn)
	return r.row.Scan(dest...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type releasingTx struct {
	pgx.Tx
	release func()
	pool    *Pool
}

func (t *releasingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.Tx.Exec(ctx, sql, t.pool.withPlanMode(sql, args)...)
}

func (t *releasingTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.Tx.Query(ctx, sql, t.pool.withPlanMode(sql, args)...)
}

func (t *releasingTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.Tx.QueryRow(ctx, sql, t.pool.withPlanMode(sql, args)...)
}

func (t *releasingTx) Commit(ctx context.Context) error {
	defer t.release()
	return t.Tx.Commit(ctx)
}

func (t *releasingTx) Rollback(ctx context.Context) error {
	defer t.release()
	return t.Tx.Rollback(ctx)
}
