package faulttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/migrate"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// driverText are fragments of pgx, network and PostgreSQL error text that must
// never reach a client outside development.
var driverText = []string{"dial", "connect", "pgx", "pgconn", "SQLSTATE", "127.0.0.1", "postgres", "EOF", "timeout:"}

// privateCluster starts a PostgreSQL cluster of the test's own, for faults that
// would disturb every other test on a shared one (stopping it), and stops and
// deletes it when the test ends.
func privateCluster(t *testing.T) *pgcluster.Cluster {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return pgtest.PrivateCluster(t, pgcluster.Options{NoFsync: true, Logger: log}, pgcluster.Start)
}

// migratedDB creates the database "shopfloor" on c, migrates it, and returns its
// URL, which goes straight to PostgreSQL.
func migratedDB(t *testing.T, c *pgcluster.Cluster) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE DATABASE shopfloor")
	conn.Close(ctx)
	require.NoError(t, err)
	dbURL := c.URL("shopfloor")
	require.NoError(t, migrate.Up(ctx, dbURL, nil))
	return dbURL
}

// response is one answer with how long it took.
type response struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

// errorEnvelope is the part of an error body the tests read.
type errorEnvelope struct {
	Success bool `json:"success"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r response) envelope(t *testing.T) errorEnvelope {
	t.Helper()
	var e errorEnvelope
	require.NoError(t, json.Unmarshal(r.body, &e), "body is not JSON: %s", r.body)
	return e
}

// send makes one request through c and times it. A transport error fails the
// test: every fault here must still be answered.
func send(t *testing.T, c *http.Client, method, url string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	start := time.Now()
	res, err := c.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: data, took: time.Since(start)}
}

// requireUnavailable checks a 503 SERVICE_UNAVAILABLE envelope with Retry-After that
// says nothing about the driver, the network or the database.
func requireUnavailable(t *testing.T, r response, what string) {
	t.Helper()
	require.Equal(t, http.StatusServiceUnavailable, r.status, "%s: %s", what, r.body)
	e := r.envelope(t)
	require.False(t, e.Success)
	require.Equal(t, "SERVICE_UNAVAILABLE", e.Error.Code, "%s: %s", what, r.body)
	require.Equal(t, "1", r.header.Get("Retry-After"), "%s: every 503 says when to retry", what)
	for _, frag := range driverText {
		require.NotContains(t, strings.ToLower(string(r.body)), strings.ToLower(frag), "%s leaks driver text: %s", what, r.body)
	}
}

// eventually polls check every interval until it returns true or the deadline
// passes, and returns how long it took.
func eventually(t *testing.T, within, interval time.Duration, what string, check func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		if check() {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(interval)
	}
}

// newProduct creates a product through the API as staff and returns its id.
func newProduct(t *testing.T, env *apitest.Env, staff apitest.User, stock int32) uuid.UUID {
	t.Helper()
	res, err := env.Client.CreateProductWithResponse(context.Background(), client.CreateProductJSONRequestBody{
		Sku:        "FT-" + strings.ToUpper(uuid.NewString()[:8]),
		Name:       "Fault Widget",
		PriceCents: 1250,
		Stock:      stock,
	}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return res.JSON201.Data.Id
}

// lockProduct takes the product's row lock in a transaction on a connection of
// its own, outside the server's pool, so that the server's statements on that row
// wait while holding their pool connections. release (also run at cleanup) ends it.
func lockProduct(t *testing.T, dbURL string, id uuid.UUID) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	tag, err := tx.Exec(ctx, "SELECT 1 FROM products WHERE id = $1 FOR UPDATE", id)
	require.NoError(t, err)
	require.EqualValues(t, 1, tag.RowsAffected())
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			_ = conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return release
}

// waitForLockWaiters waits until n backends of the database wait for a lock, that
// is until n requests are blocked on the row, each holding a pool connection.
func waitForLockWaiters(t *testing.T, dbURL string, n int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	eventually(t, 10*time.Second, 10*time.Millisecond, fmt.Sprintf("%d requests waiting on the row lock", n), func() bool {
		var waiting int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		require.NoError(t, err)
		return waiting >= n
	})
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
