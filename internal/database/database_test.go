package database

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testConfig is the test environment's configuration on a fresh database.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "APP_ENV":
			return config.EnvTest
		case "JWT_SECRET":
			return strings.Repeat("s", 32)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = pgtest.NewDB(t)
	return cfg
}

// The pool prepares unmarked queries once (cached plans) and sends queries marked
// PlanPerExecution unnamed, inside a transaction as well as outside, so that
// PostgreSQL plans those with their values on every execution.
func TestMarkedQueriesAreSentUnprepared(t *testing.T) {
	cfg := testConfig(t)
	cfg.DBMaxConns = 1 // one connection, so its prepared statements are all of them
	ctx := context.Background()
	pool, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	q := db.New(pool)
	if _, err := q.ProductGet(ctx, uuid.New()); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("ProductGet: %v", err)
	}
	if _, err := q.ProductCount(ctx, db.ProductCountParams{}); err != nil {
		t.Fatalf("ProductCount: %v", err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.WithTx(tx).UserCount(ctx, db.UserCountParams{}); err != nil {
		t.Fatalf("UserCount in a transaction: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	rows, err := pool.Query(ctx, "SELECT statement FROM pg_prepared_statements")
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	has := func(name string) bool {
		for _, s := range prepared {
			if strings.HasPrefix(s, "-- name: "+name+" ") {
				return true
			}
		}
		return false
	}
	if !has("ProductGet") {
		t.Errorf("ProductGet (unmarked) is not prepared; prepared: %q", prepared)
	}
	for _, name := range []string{"ProductCount", "UserCount"} {
		if has(name) {
			t.Errorf("%s is marked %q but was prepared", name, PlanPerExecution)
		}
	}
}
