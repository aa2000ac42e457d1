package database

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// acquire gives a wait for a connection a deadline only when the pool's count of
// connections out says all are; that count must come back to zero after every way a
// connection is used and given back (a leak would give every wait a deadline, a
// double release none), and a wait while all are out must end at DB_ACQUIRE_TIMEOUT.
func TestConnectionsOutAreCountedBack(t *testing.T) {
	cfg := testConfig(t)
	cfg.DBMaxConns = 2
	cfg.DBAcquireTimeout = 100 * time.Millisecond
	ctx := context.Background()
	pool, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	requireOut := func(want int32, after string) {
		t.Helper()
		if got := pool.out.Load(); got != want {
			t.Fatalf("after %s: %d connections counted out, want %d", after, got, want)
		}
	}

	var n int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	requireOut(0, "QueryRow")
	if err := pool.QueryRow(ctx, "SELECT 1/0").Scan(&n); err == nil {
		t.Fatal("SELECT 1/0 did not fail")
	}
	requireOut(0, "a failed QueryRow")
	if _, err := pool.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	requireOut(0, "Exec")
	rows, err := pool.Query(ctx, "SELECT generate_series(1, 3)")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	rows.Close() // after Next released it: released once
	requireOut(0, "Query read to the end, then closed")
	rows, err = pool.Query(ctx, "SELECT generate_series(1, 3)")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	requireOut(0, "Query closed early")
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	requireOut(1, "Begin")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_ = tx.Rollback(ctx) // after Commit: no second release
	requireOut(0, "Commit and Rollback")

	// Both connections out: the next wait has a deadline and ends with
	// ErrAcquireTimeout, and leaves the count as it found it.
	var txs []pgx.Tx
	for range 2 {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	start := time.Now()
	if _, err := pool.Exec(ctx, "SELECT 1"); err != ErrAcquireTimeout {
		t.Fatalf("Exec with every connection out: %v, want ErrAcquireTimeout", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the wait took %s, DB_ACQUIRE_TIMEOUT is %s", waited, cfg.DBAcquireTimeout)
	}
	requireOut(2, "a wait that timed out")
	for _, tx := range txs {
		_ = tx.Rollback(ctx)
	}
	requireOut(0, "Rollback of both")

	// Many at once on two connections: all served, nothing left counted.
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			var n int
			if err := pool.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil && err != ErrAcquireTimeout {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	requireOut(0, "50 concurrent QueryRows")
}
