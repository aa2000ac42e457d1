package handler

import (
	"context"
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/metrics"
)

// maxBatch is the most orders one transaction places. A batch holds its products'
// row locks while its orders are placed one statement after another, so a larger one
// makes the orders behind it wait longer; 32 statements take a few milliseconds.
const maxBatch = 32

// placer places orders in batches: one transaction, and so one commit, for the
// orders that arrive while the orders before them are being placed.
//
// A flash sale is why. Every order of one product must lock that product's row until
// its transaction commits, and a commit waits for the WAL to reach the disk; orders
// placed one transaction each therefore run one after another at the pace of the
// disk, while orders spread over many products commit side by side. Placed in
// batches, the orders of a hot product share one lock hold and one WAL flush.
//
// Orders are dealt to shards by their smallest product id, so that the orders of one
// product queue in one shard, whose batches run one at a time; different shards run
// side by side. A shard with nothing running places an arriving order at once, by
// itself, exactly as without batching: batches form only under contention. There are
// no goroutines of its own: the request that finds its shard idle leads it, places
// what has queued in batches, and hands the lead to the next waiting request, whose
// own order is then in the batch it places.
type placer struct {
	pool    *database.Pool
	q       *db.Queries
	metrics *metrics.Metrics
	seed    maphash.Seed
	shards  []shard
}

type shard struct {
	mu      sync.Mutex
	busy    bool
	pending []*placement
}

// placement is one order waiting to be placed.
type placement struct {
	// ctx is the request's; its statements are traced and counted as the request's.
	ctx  context.Context
	args db.OrderPlaceParams
	// outcome, for an order without an Idempotency-Key, reads what OrderPlace
	// returned and gives the client's answer as an error when the order is refused.
	outcome func(rows []db.OrderPlaceRow) error
	// keyed, for an order with an Idempotency-Key, claims the key, places the order
	// and saves its response with the queries it is given (a transaction or a
	// savepoint); a refused order's claim must be undone, so in a batch it runs in a
	// savepoint. It may run more than once (see runEach): only its last run's result
	// may count.
	keyed func(ctx context.Context, q *db.Queries) error
	err   error
	// wake says false when the order's batch is done (err is its outcome), true when
	// the request is to lead its shard (its order not yet placed).
	wake chan bool
}

// newPlacer deals orders to shards many enough for half the pool to place orders at
// once: the rest stays free for reads.
func newPlacer(pool *database.Pool, q *db.Queries, m *metrics.Metrics) *placer {
	shards := max(1, int(pool.Config().MaxConns)/2)
	return &placer{pool: pool, q: q, metrics: m, seed: maphash.MakeSeed(), shards: make([]shard, shards)}
}

// Place places an order without an Idempotency-Key, alone or in a batch, and returns
// what outcome made of OrderPlace's rows, or why the order could not be placed.
func (p *placer) Place(ctx context.Context, args db.OrderPlaceParams, outcome func(rows []db.OrderPlaceRow) error) error {
	return p.enqueue(&placement{ctx: ctx, args: args, outcome: outcome, wake: make(chan bool, 1)})
}

// PlaceKeyed places an order with an Idempotency-Key: keyed does its work in the
// transaction (or savepoint) it is given.
func (p *placer) PlaceKeyed(ctx context.Context, args db.OrderPlaceParams, keyed func(ctx context.Context, q *db.Queries) error) error {
	return p.enqueue(&placement{ctx: ctx, args: args, keyed: keyed, wake: make(chan bool, 1)})
}

func (p *placer) enqueue(pl *placement) error {
	s := &p.shards[p.shardOf(pl.args.ProductIds)]
	s.mu.Lock()
	if s.busy {
		s.pending = append(s.pending, pl)
		p.metrics.OrdersQueued.Inc()
		s.mu.Unlock()
		if !<-pl.wake {
			return pl.err
		}
	} else {
		s.busy = true
		s.mu.Unlock()
	}
	p.lead(s, pl)
	return pl.err
}

// shardOf is the shard of the order's smallest product id.
func (p *placer) shardOf(products []uuid.UUID) int {
	first := slices.MinFunc(products, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return int(maphash.Bytes(p.seed, first[:]) % uint64(len(p.shards)))
}

// lead places pl with the orders queued behind it, then passes the lead on.
func (p *placer) lead(s *shard, pl *placement) {
	s.mu.Lock()
	n := min(len(s.pending), maxBatch-1)
	batch := make([]*placement, 0, n+1)
	batch = append(append(batch, pl), s.pending[:n]...)
	s.pending = slices.Delete(s.pending, 0, n)
	p.metrics.OrdersQueued.Sub(float64(n))
	s.mu.Unlock()

	p.run(batch)
	for _, other := range batch[1:] {
		other.wake <- false
	}

	s.mu.Lock()
	if len(s.pending) == 0 {
		s.busy = false
		s.mu.Unlock()
		return
	}
	next := s.pending[0]
	s.pending = slices.Delete(s.pending, 0, 1)
	p.metrics.OrdersQueued.Dec()
	s.mu.Unlock()
	next.wake <- true
}

// run places a batch and sets every placement's outcome. Orders whose request has
// gone are not placed.
func (p *placer) run(batch []*placement) {
	live := batch[:0:0]
	for _, pl := range batch {
		if err := pl.ctx.Err(); err != nil {
			pl.err = err
			continue
		}
		live = append(live, pl)
	}
	if len(live) > 0 {
		p.metrics.OrderBatch.Observe(float64(len(live)))
	}
	switch {
	case len(live) == 1:
		p.runOne(live[0])
	case len(live) > 1:
		if !p.runTogether(live) {
			p.runEach(live)
		}
	}
}

// runOne places an order by itself, as if there were no batches: an order without an
// Idempotency-Key is its one statement, one with a key its own transaction.
//
// A keyed order locks its products before it claims its key, as a batch does: a claim
// is a row lock too, and another instance's batch may hold the products while it waits
// for this order's key (the same key sent to two instances at once). Claiming first
// would make the two wait for each other until PostgreSQL broke the deadlock with an
// error, a second later (internal/faulttest, TestTwoInstances).
func (p *placer) runOne(pl *placement) {
	if pl.keyed != nil {
		// What keyed returns is translated already; a failure to begin, lock or commit
		// is translated here.
		pl.err = dbError(pgx.BeginFunc(pl.ctx, p.pool, func(tx pgx.Tx) error {
			q := p.q.WithTx(tx)
			if err := q.ProductsLock(pl.ctx, pl.args.ProductIds); err != nil {
				return err
			}
			return pl.keyed(pl.ctx, q)
		}))
		return
	}
	rows, err := p.q.OrderPlace(pl.ctx, pl.args)
	if err != nil {
		pl.err = dbError(err)
		return
	}
	pl.err = pl.outcome(rows)
}

// runEach places the orders of a batch that could not be placed together one by one,
// each by itself. Nothing of the failed batch was committed.
func (p *placer) runEach(batch []*placement) {
	for _, pl := range batch {
		p.runOne(pl)
	}
}

// runTogether places a batch in one transaction: it locks every product of the batch
// in id order, places the orders in the order they came (each run of orders without a
// key sent at once, as one pipeline; each order with a key in a savepoint, rolled back
// when the order is refused), and commits once. An order refused for its own reasons
// (a 4xx: stock, an unknown product, a key used for another body) leaves the others
// be. Any other failure rolls the whole batch back and returns false, so that its
// orders are placed one by one; only a failed commit fails them all, since what it
// committed is then unknown, and a retry under the same Idempotency-Key settles it.
//
// Orders with a key run with their own request's context, without its cancellation:
// their statements are counted and traced as that request's, and a client that leaves
// cannot cancel a statement in a transaction that other orders share.
func (p *placer) runTogether(batch []*placement) bool {
	ctx := context.WithoutCancel(batch[0].ctx)
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return false
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := p.q.WithTx(tx)

	var products []uuid.UUID
	for _, pl := range batch {
		products = append(products, pl.args.ProductIds...)
	}
	if err := q.ProductsLock(ctx, products); err != nil {
		return false
	}
	for rest := batch; len(rest) > 0; {
		if pl := rest[0]; pl.keyed != nil {
			pl.err = p.inSavepoint(context.WithoutCancel(pl.ctx), tx, pl)
			if !batchGoesOn(pl.err) {
				return false
			}
			rest = rest[1:]
			continue
		}
		n := 1
		for n < len(rest) && rest[n].keyed == nil {
			n++
		}
		if !p.pipeline(ctx, q, rest[:n]) {
			return false
		}
		rest = rest[n:]
	}
	if err := tx.Commit(ctx); err != nil {
		for _, pl := range batch {
			pl.err = dbError(fmt.Errorf("committing a batch of %d orders: %w", len(batch), err))
		}
	}
	return true
}

// pipeline sends OrderPlace for orders without a key all at once and reads each
// answer in turn; false when a statement failed.
func (p *placer) pipeline(ctx context.Context, q *db.Queries, run []*placement) bool {
	args := make([]db.OrderPlaceBatchParams, len(run))
	for i, pl := range run {
		args[i] = db.OrderPlaceBatchParams(pl.args)
	}
	ok := true
	q.OrderPlaceBatch(ctx, args).Query(func(i int, got []db.OrderPlaceBatchRow, err error) {
		if err != nil || !ok {
			ok = false
			return
		}
		rows := make([]db.OrderPlaceRow, len(got))
		for j, r := range got {
			rows[j] = db.OrderPlaceRow(r)
		}
		run[i].err = run[i].outcome(rows)
		database.CountStatements(run[i].ctx, 1)
		ok = batchGoesOn(run[i].err)
	})
	return ok
}

// inSavepoint places a keyed order in a savepoint of tx, released when the order is
// placed and rolled back when it is refused, so that a refused order leaves no claim
// on its key behind.
func (p *placer) inSavepoint(ctx context.Context, tx pgx.Tx, pl *placement) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return dbError(err)
	}
	if err := pl.keyed(ctx, p.q.WithTx(sp)); err != nil {
		if rerr := sp.Rollback(ctx); rerr != nil {
			return dbError(rerr)
		}
		return err
	}
	if err := sp.Commit(ctx); err != nil {
		return dbError(err)
	}
	return nil
}

// batchGoesOn reports whether an order's outcome lets its batch go on: placed, or
// refused for the client's own reasons (a 4xx), after which the order has written
// nothing.
func batchGoesOn(err error) bool {
	if err == nil {
		return true
	}
	e := apperr.As(err)
	return e != nil && e.Status < http.StatusInternalServerError
}
