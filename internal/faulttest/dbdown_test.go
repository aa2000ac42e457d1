package faulttest_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

// TestDatabaseStoppedUnderRunningServer stops PostgreSQL under a server that has
// been serving, checks that the server reports itself unready and refuses API
// calls quickly with a clean 503 while staying alive, then starts PostgreSQL again
// and checks that the same server process recovers on its own.
func TestDatabaseStoppedUnderRunningServer(t *testing.T) {
	t.Parallel()
	cluster := privateCluster(t)
	dbURL := migratedDB(t, cluster)
	env := apitest.New(t, func(c *config.Config) { c.DatabaseURL = dbURL })
	base := env.URL

	// Serving first, concurrently, so the pool holds several connections (used
	// moments ago, so pgxpool will not ping them before handing them out) that
	// the outage breaks.
	require.Equal(t, http.StatusOK, send(t, env.HTTP, "GET", base+"/readyz", nil).status)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r := send(t, env.HTTP, "GET", base+"/api/v1/products", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
		})
	}
	wg.Wait()
	// Requests this quick may all have shared one connection: open every one of the
	// server's connections, so that the pool holds several whatever the timing.
	warmPool(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	require.NoError(t, cluster.Stop(ctx))

	// API calls first, while the pool still holds the broken connections; then
	// readiness, which must answer within its one-second budget. The bound leaves
	// room for -race and a busy machine.
	const bound = 3 * time.Second
	for i := range 10 {
		r := send(t, env.HTTP, "GET", base+"/api/v1/products", nil)
		requireUnavailable(t, r, "GET /api/v1/products with the database stopped")
		require.Less(t, r.took, bound, "GET /api/v1/products took %s with the database stopped", r.took)
		t.Logf("database stopped: GET /api/v1/products #%d → %d in %s", i+1, r.status, r.took)
	}
	ready := send(t, env.HTTP, "GET", base+"/readyz", nil)
	requireUnavailable(t, ready, "GET /readyz with the database stopped")
	require.Less(t, ready.took, bound, "GET /readyz took %s with the database stopped", ready.took)
	t.Logf("database stopped: GET /readyz → %d in %s", ready.status, ready.took)
	health := send(t, env.HTTP, "GET", base+"/healthz", nil)
	require.Equal(t, http.StatusOK, health.status, "the process is up, so /healthz must say so: %s", health.body)
	require.Contains(t, env.Logs(), `"status":503`, "every 5xx is logged with its cause")

	// Back on the same port: the same server recovers without a restart.
	restarted := time.Now()
	_, err := pgcluster.Start(ctx, cluster.Options())
	require.NoError(t, err)
	t.Logf("cluster restarted in %s", time.Since(restarted))
	took := eventually(t, 10*time.Second, 50*time.Millisecond, "GET /readyz is 200 again", func() bool {
		return send(t, env.HTTP, "GET", base+"/readyz", nil).status == http.StatusOK
	})
	t.Logf("database back: /readyz 200 after %s", took)
	r := send(t, env.HTTP, "GET", base+"/api/v1/products", nil)
	require.Equal(t, http.StatusOK, r.status, "the API works again: %s", r.body)
}
