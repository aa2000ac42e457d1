package replicatest_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/migrate"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// statements makes both servers count every statement by its text, so a test can
// tell which server ran which query (pg_stat_statements keeps sqlc's "-- name:").
var statements = map[string]string{"shared_preload_libraries": "pg_stat_statements"}

// replicated is a private primary with a migrated database "shopfloor", and a
// streaming standby of it.
type replicated struct {
	primary, standby       *pgcluster.Cluster
	primaryURL, standbyURL string
}

// newReplicated starts a primary and a standby (with the given extra settings, such
// as recovery_min_apply_delay), both stopped and deleted when t ends.
func newReplicated(t *testing.T, standbySettings map[string]string) replicated {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	primary := start(t, pgcluster.Start, statements)
	conn, err := pgx.Connect(ctx, primary.URL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE DATABASE shopfloor")
	conn.Close(ctx)
	require.NoError(t, err)
	require.NoError(t, migrate.Up(ctx, primary.URL("shopfloor"), nil))
	exec(t, primary.URL("shopfloor"), "CREATE EXTENSION pg_stat_statements")

	settings := map[string]string{}
	for k, v := range statements {
		settings[k] = v
	}
	for k, v := range standbySettings {
		settings[k] = v
	}
	standby := start(t, primary.StartStandby, settings)
	return replicated{primary: primary, standby: standby,
		primaryURL: primary.URL("shopfloor"), standbyURL: standby.URL("shopfloor")}
}

// start runs a cluster of the test's own (pgtest.PrivateCluster) with settings.
func start(t *testing.T, run func(context.Context, pgcluster.Options) (*pgcluster.Cluster, error), settings map[string]string) *pgcluster.Cluster {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return pgtest.PrivateCluster(t, pgcluster.Options{NoFsync: true, Logger: log, Settings: settings}, run)
}

// exec runs statements on url over a connection of their own.
func exec(t *testing.T, url string, sql ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for _, s := range sql {
		_, err := conn.Exec(ctx, s)
		require.NoError(t, err, s)
	}
}

// calls returns how many times the server at url has run each sqlc query in its
// database, by query name.
func calls(t *testing.T, url string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT query, calls FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND query LIKE '-- name: %'`)
	require.NoError(t, err)
	out := map[string]int64{}
	for rows.Next() {
		var q string
		var n int64
		require.NoError(t, rows.Scan(&q, &n))
		out[database.QueryName(q)] += n
	}
	require.NoError(t, rows.Err())
	return out
}

// since returns the calls made between two calls snapshots.
func since(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, n := range after {
		if d := n - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// metric sums the samples of a Prometheus series in the server's /metrics whose
// labels contain label ("" for all): one per replica, or per reason.
func metric(t *testing.T, env *apitest.Env, name, label string) float64 {
	t.Helper()
	res, body := env.Do(http.MethodGet, "/metrics", "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	var sum float64
	for series, v := range apitest.ParseMetrics(t, body) {
		if n, labels, _ := strings.Cut(series, "{"); n == name && strings.Contains(labels, label) {
			sum += v
		}
	}
	return sum
}

// eventually polls check until it returns true, failing t after within; it returns
// how long that took.
func eventually(t *testing.T, within time.Duration, what string, check func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !check() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// inRotation waits until the server's replica takes reads.
func inRotation(t *testing.T, env *apitest.Env) {
	t.Helper()
	eventually(t, 30*time.Second, "the replica is in rotation", func() bool {
		return metric(t, env, "shopfloor_db_replica_in_rotation", "") == 1
	})
}

// replayedPast waits until the standby has replayed the primary's WAL up to lsn.
func replayedPast(t *testing.T, standbyURL, lsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, standbyURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	eventually(t, 30*time.Second, "the standby replays past "+lsn, func() bool {
		var ok bool
		require.NoError(t, conn.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", lsn).Scan(&ok))
		return ok
	})
}
