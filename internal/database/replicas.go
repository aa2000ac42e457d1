package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// How often each replica's checker looks at it, and how long one look may take: a
// replica that stops answering, or falls more than REPLICA_MAX_LAG behind, leaves
// rotation within checkEvery + checkTimeout, well under a second.
const (
	checkEvery   = 200 * time.Millisecond
	checkTimeout = 500 * time.Millisecond
)

// replica is one streaming replica: its own bounded pool (same settings as the
// primary's) and what its checker last saw.
type replica struct {
	name string
	pool *Pool
	log  *slog.Logger

	mu    sync.Mutex
	state ReplicaState
	// heads are the primary's WAL positions seen by the checks, oldest first, that
	// the replica had not replayed yet: its lag is the age of the oldest one.
	heads []walHead

	reads, failovers atomic.Int64
}

type walHead struct {
	at  time.Time
	lsn LSN
}

// maxHeads bounds the positions kept while a replica stays behind: at one per
// check, 2048 cover almost seven minutes, far past any REPLICA_MAX_LAG.
const maxHeads = 2048

// ReplicaState is what a replica's checker last saw, for /metrics and the logs.
type ReplicaState struct {
	// Name is the replica's host:port/database (never its user or password).
	Name string
	// Up: it answered the last check, as a standby in recovery.
	Up bool
	// InRotation: up and at most REPLICA_MAX_LAG behind, so it takes reads.
	InRotation bool
	// Lag is how long ago the primary had written WAL the replica has not replayed.
	Lag time.Duration
	// Replayed is the replica's pg_last_wal_replay_lsn() at the last check.
	Replayed LSN
	// Reads is the number of marked statements sent to it; Failovers, those it
	// failed and the primary answered instead.
	Reads, Failovers int64
}

func openReplica(url string, build func(*pgxpool.Config) (*Pool, error), log *slog.Logger) (*replica, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("a DATABASE_REPLICA_URLS entry is not a valid PostgreSQL URL: %w", err)
	}
	name := fmt.Sprintf("%s:%d/%s", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database)
	pool, err := build(pc)
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	return &replica{name: name, pool: pool, log: log.With("replica", name), state: ReplicaState{Name: name}}, nil
}

// usable reports whether the replica takes reads, and how far it had replayed.
func (r *replica) usable() (LSN, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Replayed, r.state.InRotation
}

func (r *replica) inRotation() bool {
	_, ok := r.usable()
	return ok
}

// snapshot returns the replica's state and counters.
func (r *replica) snapshot() ReplicaState {
	r.mu.Lock()
	s := r.state
	r.mu.Unlock()
	s.Reads, s.Failovers = r.reads.Load(), r.failovers.Load()
	return s
}

// markDown takes the replica out of rotation after a read found it unreachable,
// without waiting for its next check.
func (r *replica) markDown(err error) {
	r.mu.Lock()
	replayed := r.state.Replayed
	r.mu.Unlock()
	r.set(ReplicaState{Name: r.name, Replayed: replayed}, err)
}

// set records a new state and logs when the replica enters or leaves rotation.
func (r *replica) set(s ReplicaState, err error) {
	r.mu.Lock()
	was := r.state
	r.state = s
	r.mu.Unlock()
	switch {
	case was.InRotation && !s.InRotation:
		attrs := []any{"up", s.Up, "lag", s.Lag.String()}
		if err != nil {
			attrs = append(attrs, "err", err.Error())
		}
		r.log.Warn("replica out of rotation; its reads go to the other replicas or the primary", attrs...)
	case !was.InRotation && s.InRotation:
		r.log.Info("replica in rotation", "lag", s.Lag.String())
	}
}

// watch checks the replica every checkEvery until ctx ends.
func (r *replica) watch(ctx context.Context, primary *pgxpool.Pool, maxLag time.Duration) {
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	for {
		r.check(ctx, primary, maxLag)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check reads the primary's WAL position, then how far the replica has replayed,
// and decides whether the replica stays in rotation. A server that is not in
// recovery is no replica (promoted, or misconfigured): its data may have parted
// from the primary's, so it takes no reads.
func (r *replica) check(ctx context.Context, primary *pgxpool.Pool, maxLag time.Duration) {
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	now := time.Now()
	var head string
	if err := primary.QueryRow(cctx, "-- name: PrimaryWALPosition :one\nSELECT pg_current_wal_lsn()::text").Scan(&head); err == nil {
		if lsn, err := ParseLSN(head); err == nil {
			r.saw(now, lsn)
		}
	}
	var inRecovery bool
	var replayed *string
	err := r.pool.Pool.QueryRow(cctx, "-- name: ReplicaReplayPosition :one\nSELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").
		Scan(&inRecovery, &replayed)
	if ctx.Err() != nil {
		return // the pool is closing
	}
	s := ReplicaState{Name: r.name}
	switch {
	case err != nil:
	case !inRecovery || replayed == nil:
		err = errors.New("the server is not a standby in recovery")
	default:
		lsn, perr := ParseLSN(*replayed)
		if perr != nil {
			err = perr
			break
		}
		s.Up, s.Replayed = true, lsn
		s.Lag = r.lagAt(now, lsn)
		s.InRotation = s.Lag <= maxLag
	}
	r.set(s, err)
}

// saw records a primary WAL position, if it moved.
func (r *replica) saw(at time.Time, lsn LSN) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.heads); n > 0 && r.heads[n-1].lsn >= lsn {
		return
	}
	if len(r.heads) == maxHeads {
		r.heads = r.heads[1:]
	}
	r.heads = append(r.heads, walHead{at: at, lsn: lsn})
}

// lagAt forgets the positions the replica has replayed and returns the age of the
// oldest one left: how long the replica has been missing WAL the primary had.
func (r *replica) lagAt(now time.Time, replayed LSN) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := 0
	for i < len(r.heads) && r.heads[i].lsn <= replayed {
		i++
	}
	r.heads = r.heads[i:]
	if len(r.heads) == 0 {
		return 0
	}
	return now.Sub(r.heads[0].at)
}

// Replicas returns each replica's state, in DATABASE_REPLICA_URLS order.
func (p *Pool) Replicas() []ReplicaState {
	out := make([]ReplicaState, len(p.replicas))
	for i, r := range p.replicas {
		out[i] = r.snapshot()
	}
	return out
}

// PrimaryMarkedReads returns, by reason, how many marked reads of read-only
// requests the primary answered because no replica could.
func (p *Pool) PrimaryMarkedReads() map[string]int64 {
	out := make(map[string]int64, len(p.primaryReads))
	for k, n := range p.primaryReads {
		out[k] = n.Load()
	}
	return out
}

func (p *Pool) countPrimaryRead(reason string) { p.primaryReads[reason].Add(1) }
