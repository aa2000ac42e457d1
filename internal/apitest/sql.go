package apitest

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/server"
)

// Exec runs a setup statement straight on the test's database.
func Exec(t testing.TB, env *Env, sql string, args ...any) {
	t.Helper()
	_, err := env.Pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// Count runs a count(*)-like query on the test's database and returns its one number,
// to check what a request wrote.
func Count(t testing.TB, env *Env, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

// CountRows returns the number of rows of each named table; the names are constants
// of the tests, never input.
func CountRows(t testing.TB, env *Env, tables ...string) map[string]int {
	t.Helper()
	counts := make(map[string]int, len(tables))
	for _, table := range tables {
		counts[table] = int(Count(t, env, "SELECT count(*) FROM "+table))
	}
	return counts
}

// QueryCount reads the number of SQL statements a request sent, from the header the
// test server adds, so that tests can pin it (no N+1 queries).
func QueryCount(t testing.TB, res *http.Response) int {
	t.Helper()
	h := res.Header.Get(server.QueryCountHeader)
	require.NotEmpty(t, h, "no %s header", server.QueryCountHeader)
	n, err := strconv.Atoi(h)
	require.NoError(t, err)
	return n
}
