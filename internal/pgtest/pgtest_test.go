package pgtest_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNewDBIsPrivateAndMigrated(t *testing.T) {
	var (
		mu    sync.Mutex
		names = map[string]bool{}
	)
	t.Run("group", func(t *testing.T) {
		for _, sub := range []string{"a", "b"} {
			t.Run(sub, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				pool := pgtest.NewPool(t)
				var name string
				var hasUsers bool
				if err := pool.QueryRow(ctx, "SELECT current_database(), to_regclass('users') IS NOT NULL").Scan(&name, &hasUsers); err != nil {
					t.Fatal(err)
				}
				if !hasUsers {
					t.Errorf("database %s has no users table", name)
				}
				var n int
				if err := pool.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil || n != 0 {
					t.Errorf("count(*) FROM users = %d, %v; want 0, nil", n, err)
				}
				mu.Lock()
				defer mu.Unlock()
				if names[name] {
					t.Errorf("database %s handed out twice", name)
				}
				names[name] = true
			})
		}
	})
	if len(names) != 2 {
		t.Errorf("got databases %v, want two distinct", names)
	}
}

func TestClusterMatchesMode(t *testing.T) {
	pgtest.NewDB(t)
	if got := pgtest.Cluster(); (got == nil) != (envSet()) {
		t.Errorf("Cluster() = %v with TEST_DATABASE_URL set = %v", got, envSet())
	}
}

func envSet() bool { return os.Getenv(pgtest.EnvURL) != "" }
