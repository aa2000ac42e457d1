package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCursorToFollowsNextCursorToThePage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := 1
		if c := r.URL.Query().Get("cursor"); c != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(c, "after-"))
			require.NoError(t, err)
			page = n + 1
		}
		fmt.Fprintf(w, `{"success":true,"data":[],"pagination":{"limit":20,"nextCursor":"after-%d"}}`, page)
	}))
	defer srv.Close()
	c := &client{base: srv.URL, http: srv.Client()}

	var walk sample
	path, err := c.cursorTo(request{path: "/api/v1/products?limit=20"}, 500, &walk)
	require.NoError(t, err)
	require.Equal(t, "/api/v1/products?limit=20&cursor=after-499", path)
	require.Len(t, walk.took, 499)
	require.Zero(t, walk.errors)
}

func TestCursorToSkipsWhenNoCursorIsOffered(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"success":true,"data":[],"pagination":{"page":1,"limit":20,"total":0,"pages":0}}`)
	}))
	defer srv.Close()
	c := &client{base: srv.URL, http: srv.Client()}

	_, err := c.cursorTo(request{path: "/api/v1/orders?limit=20"}, 500, &sample{})
	require.ErrorIs(t, err, errSkip)
}

// An excerpt of a PostgreSQL log with auto_explain's text plans, as the plan check reads it.
const logExcerpt = `2026-12-01 08:20:01.001 UTC [4242] LOG:  duration: 12.345 ms  plan:
	Query Text: -- name: OrderList :many
	SELECT o.id FROM orders o
	ORDER BY o.created_at DESC LIMIT $1
	Limit  (cost=0.43..1.91 rows=20 width=16)
	  ->  Index Scan using orders_created_at_idx on orders o  (cost=0.43..148.0 rows=2000000 width=16)
	SubPlan 1
	  ->  Aggregate  (cost=1.00..1.01 rows=1 width=8)
	        ->  Parallel Seq Scan on orders orders_1  (cost=0.00..1.00 rows=1 width=0)
2026-12-01 08:20:01.002 UTC [4242] LOG:  duration: 0.100 ms  plan:
	Query Text: -- name: ProductGet :one
	SELECT * FROM products WHERE id = $1
	Index Scan using products_pkey on products  (cost=0.42..8.44 rows=1 width=100)
2026-12-01 08:20:01.003 UTC [4243] LOG:  checkpoint starting: time
	Seq Scan on users (not part of a plan)
`

func TestVerdictNamesTheQueryAndTableOfEverySeqScan(t *testing.T) {
	t.Parallel()
	v := verdict(logExcerpt)
	require.Equal(t, 2, v.plans)
	require.Equal(t, []string{"Seq Scan on orders in OrderList"}, v.problems)
}

func TestVerdictReportsStatementsCancelledBeforeTheirPlan(t *testing.T) {
	t.Parallel()
	v := verdict("2026-12-01 08:20:01.001 UTC [1] ERROR:  canceling statement due to statement timeout\n")
	require.Zero(t, v.plans)
	require.Len(t, v.problems, 1)
	require.Contains(t, v.problems[0], "statement_timeout")
}

func TestRequestsCoverTheIssueTable(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	rs := requests([]string{"p1", "p2"}, now, now.Add(-730*day))
	paths := map[string]bool{}
	for _, r := range rs {
		paths[r.path] = true
	}
	for _, p := range []string{
		"/api/v1/products?limit=20&page=500",
		"/api/v1/orders?limit=20&page=500",
		"/api/v1/dashboard/summary",
		"/api/v1/dashboard/summary?from=2026-11-01T08%3A00%3A00Z",
		"/api/v1/dashboard/summary?from=2024-12-01T08%3A00%3A00Z&to=2026-12-01T08%3A00%3A00Z",
	} {
		require.True(t, paths[p], p)
	}
	require.Equal(t, "/api/v1/products/p2", rs[0].getPath(1))
}
