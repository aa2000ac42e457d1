package database

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ReplicaOK marks a query in queries/*.sql (an indented comment line inside the
// statement, which sqlc keeps in the SQL text; at the start of a line sqlc would
// take it for a doc comment) that a streaming replica may answer: a read that
// tolerates a moment of lag, such as the catalog, the lists, the order views, the
// dashboard and the summary. It is the one place that decides which statements may
// leave the primary, and TestOnlyPlainReadsAreMarkedForReplicas refuses the mark on
// a write or a locking read.
//
// The mark is a permission, not an order: a marked statement goes to a replica only
// when it runs outside a transaction (a transaction always runs on the primary) and
// its context came from ReadFromReplicas (a read-only request); everything else,
// writes, auth and idempotency lookups included, runs on the primary.
const ReplicaOK = "-- replica: ok"

// Why a marked read ran on the primary, in shopfloor_db_primary_marked_reads_total.
const (
	reasonNoReplica     = "no_replica_in_rotation" // every replica is down or too far behind
	reasonReadAfter     = "read_after"             // none has replayed the client's last write yet
	reasonReplicaFailed = "replica_failed"         // a replica failed the statement; it was retried here
)

type routeKey struct{}

// route is one request's choice of server for its marked reads, made at its first
// one and kept for the rest, so that a response never mixes two replicas' views
// (an order from one, its lines from another further behind). Once on the primary,
// always on the primary: it is ahead of every replica.
type route struct {
	mu      sync.Mutex
	after   LSN
	chosen  *replica
	primary bool
}

// ReadFromReplicas lets the marked reads made with the returned context go to a
// replica that has replayed the WAL at least to after (the LSN a client was handed
// by its last write, so that it reads its own writes; 0 for none). The server
// calls it for read-only requests.
func ReadFromReplicas(ctx context.Context, after LSN) context.Context {
	return context.WithValue(ctx, routeKey{}, &route{after: after})
}

// replicaFor returns the replica that should run sql for ctx, or nil for the primary.
func (p *Pool) replicaFor(ctx context.Context, sql string) *replica {
	if len(p.replicas) == 0 || !strings.Contains(sql, ReplicaOK) {
		return nil
	}
	rt, ok := ctx.Value(routeKey{}).(*route)
	if !ok {
		return nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	switch {
	case rt.primary:
		return nil
	case rt.chosen != nil && rt.chosen.inRotation():
		return rt.chosen
	case rt.chosen != nil:
		// Left rotation mid-request: another replica may be further behind than
		// what this request has already read.
		rt.primary = true
		p.countPrimaryRead(reasonNoReplica)
		return nil
	}
	r, reason := p.pick(rt.after)
	if r == nil {
		rt.primary = true
		p.countPrimaryRead(reason)
		return nil
	}
	rt.chosen = r
	return r
}

// pick chooses, round robin, a replica in rotation that has replayed at least to
// after; when none has, it says why the read goes to the primary.
func (p *Pool) pick(after LSN) (*replica, string) {
	n := uint64(len(p.replicas))
	start := p.nextReplica.Add(1)
	reason := reasonNoReplica
	for i := range n {
		r := p.replicas[(start+i)%n]
		replayed, ok := r.usable()
		if !ok {
			continue
		}
		if replayed >= after {
			return r, ""
		}
		reason = reasonReadAfter
	}
	return nil, reason
}

// failover decides whether a marked read that failed on replica r is retried on
// the primary: when the replica could not serve it (down, restarting, cancelled by
// a conflict with recovery) and the request is still waiting. r leaves rotation at
// once if it is unreachable; its checker brings it back.
func (p *Pool) failover(ctx context.Context, r *replica, err error) bool {
	if ctx.Err() != nil || !replicaFailure(err) {
		return false
	}
	if Unavailable(err) {
		r.markDown(err)
	}
	r.failovers.Add(1)
	if rt, ok := ctx.Value(routeKey{}).(*route); ok {
		rt.mu.Lock()
		rt.primary = true
		rt.mu.Unlock()
	}
	p.countPrimaryRead(reasonReplicaFailed)
	return true
}

// replicaFailure reports whether err says the replica could not serve a read that
// the primary could: it is unreachable or going away, or it cancelled the query for
// a conflict with the WAL it replays (40001). A statement timeout is not: the
// statement would run as long on the primary.
func replicaFailure(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001":
			return true
		case "57014":
			return false
		}
	}
	return Unavailable(err)
}

// queryReplica runs a marked query on r and hands back rows that rerun it on the
// primary should r fail before the first row.
func (p *Pool) queryReplica(ctx context.Context, r *replica, sql string, args []any) (pgx.Rows, error) {
	r.reads.Add(1)
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		if p.failover(ctx, r, err) {
			return p.queryPrimary(ctx, sql, args)
		}
		return nil, err
	}
	return &failoverRows{Rows: rows, retry: func(err error) (pgx.Rows, error, bool) {
		if !p.failover(ctx, r, err) {
			return nil, nil, false
		}
		rows, err := p.queryPrimary(ctx, sql, args)
		return rows, err, true
	}}, nil
}

// queryRowReplica runs a one-row marked query on r, rerun on the primary should r
// fail it.
func (p *Pool) queryRowReplica(ctx context.Context, r *replica, sql string, args []any) pgx.Row {
	r.reads.Add(1)
	return failoverRow{row: r.pool.QueryRow(ctx, sql, args...), retry: func(err error) (pgx.Row, bool) {
		if !p.failover(ctx, r, err) {
			return nil, false
		}
		return p.queryRowPrimary(ctx, sql, args), true
	}}
}

// failoverRows are a replica's rows that, when the replica fails before the first
// row (a replica stopped under the query), continue with the primary's rows for the
// same query. After a row has been read, a failure is the caller's error.
type failoverRows struct {
	pgx.Rows
	started bool
	retry   func(error) (pgx.Rows, error, bool)
	err     error
}

func (r *failoverRows) Next() bool {
	if r.Rows.Next() {
		r.started = true
		return true
	}
	if r.started || r.retry == nil || r.Rows.Err() == nil {
		return false
	}
	retry := r.retry
	r.retry = nil
	rows, err, retried := retry(r.Rows.Err())
	switch {
	case !retried:
		return false
	case err != nil:
		r.err = err
		return false
	}
	r.Rows = rows
	return r.Next()
}

func (r *failoverRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

type failoverRow struct {
	row   pgx.Row
	retry func(error) (pgx.Row, bool)
}

func (r failoverRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if err == nil || errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if again, ok := r.retry(err); ok {
		return again.Scan(dest...)
	}
	return err
}
