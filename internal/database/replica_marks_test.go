package database

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/pgtest"
)

// generatedQueries returns the SQL text of every query sqlc generated into
// internal/db, by name: exactly what the pool receives.
func generatedQueries(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../db/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated queries found: %v", err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			sql, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.HasPrefix(sql, "-- name: ") {
				return true
			}
			out[QueryName(sql)] = sql
			return true
		})
	}
	return out
}

var (
	comments    = regexp.MustCompile(`--[^\n]*`)
	literals    = regexp.MustCompile(`'(?:[^']|'')*'`)
	writeOrLock = regexp.MustCompile(`(?i)\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|CALL|DO|LOCK|NOTIFY)\b|\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|\bSELECT\b[^;]*?\bINTO\b`)
	calls       = regexp.MustCompile(`(?i)\b([a-z_][a-z0-9_]*)\s*\(`)
)

// replicaProblem says why sql must not run on a replica: a write, a data-modifying
// CTE, a locking read, or a :exec query (which returns no rows, so writes); "" when
// it is a plain read as far as its text goes. The functions it calls are checked
// against the catalogue separately.
func replicaProblem(sql string) string {
	header, _, _ := strings.Cut(sql, "\n")
	if strings.Contains(header, " :exec") {
		return "it is an :exec query"
	}
	body := literals.ReplaceAllString(comments.ReplaceAllString(sql, ""), "''")
	if m := writeOrLock.FindString(body); m != "" {
		return "it has " + strings.Join(strings.Fields(strings.ToUpper(m)), " ")
	}
	return ""
}

// The check itself catches what it must: every kind of write and locking read,
// wherever it sits in the statement, and no plain read.
func TestReplicaProblemFindsWritesAndLocks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, sql string }{
		{"an insert", "-- name: A :one\nINSERT INTO t VALUES (1) RETURNING *"},
		{"an update", "-- name: A :one\nUPDATE t SET a = 1 RETURNING *"},
		{"a delete", "-- name: A :many\nDELETE FROM t RETURNING *"},
		{"a data-modifying CTE", "-- name: A :many\nWITH gone AS (DELETE FROM t RETURNING id) SELECT id FROM gone"},
		{"an insert in a CTE after a select", "-- name: A :one\nWITH s AS (SELECT 1), i AS (\n  insert into t select * from s returning 1) SELECT 1"},
		{"FOR UPDATE", "-- name: A :one\nSELECT * FROM t WHERE id = $1 FOR UPDATE"},
		{"FOR NO KEY UPDATE", "-- name: A :one\nSELECT * FROM t FOR NO KEY UPDATE OF t"},
		{"FOR SHARE", "-- name: A :one\nSELECT * FROM t for share"},
		{"FOR KEY SHARE", "-- name: A :one\nSELECT * FROM t FOR KEY\n SHARE"},
		{"a merge", "-- name: A :exec\nMERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING"},
		{"an :exec", "-- name: A :exec\nSELECT pg_sleep(1)"},
		{"SELECT INTO", "-- name: A :exec\nSELECT * INTO copy FROM t"},
	} {
		if replicaProblem(tc.sql) == "" {
			t.Errorf("%s passes the check: %q", tc.name, tc.sql)
		}
	}
	for _, sql := range []string{
		"-- name: A :one\n-- an update to the docs, for share\nSELECT updated_at, 'DELETE' AS word FROM t WHERE id = $1",
		"-- name: A :many\nSELECT * FROM t ORDER BY created_at DESC",
	} {
		if p := replicaProblem(sql); p != "" {
			t.Errorf("a plain read fails the check (%s): %q", p, sql)
		}
	}
}

// Every query marked ReplicaOK is a plain read that calls no volatile function (a
// volatile function may write: figures_fold, nextval), and the reads the brief
// names are marked while writes, locking reads, auth and idempotency lookups are
// not. A write marked by mistake fails here before it fails on a replica.
func TestOnlyPlainReadsAreMarkedForReplicas(t *testing.T) {
	t.Parallel()
	queries := generatedQueries(t)
	var marked []string
	for name, sql := range queries {
		if !strings.Contains(sql, ReplicaOK) {
			continue
		}
		marked = append(marked, name)
		if p := replicaProblem(sql); p != "" {
			t.Errorf("%s is marked %q, but %s", name, ReplicaOK, p)
		}
	}
	slices.Sort(marked)
	t.Logf("%d of %d queries may run on a replica: %s", len(marked), len(queries), strings.Join(marked, ", "))

	mustBeMarked := []string{"ProductGet", "ProductListNewest", "ProductListByName", "ProductCount",
		"OrderGet", "OrderItemsByOrder", "OrderList", "OrderCount", "UserListNewest", "UserCount",
		"DashboardUsers", "DashboardRecentOrders", "DashboardSummary"}
	mustNot := []string{"UserGet", "UserCredentialsByEmail", "UserCredentialsByID", "IdempotencyGet",
		"IdempotencyClaim", "RefreshTokenLockByHash", "OrderLock", "ProductsLockForOrderItems", "OrderPlace", "FiguresFold"}
	for _, name := range mustBeMarked {
		if !slices.Contains(marked, name) {
			t.Errorf("%s reads what tolerates a moment of lag but is not marked %q", name, ReplicaOK)
		}
	}
	for _, name := range mustNot {
		if _, ok := queries[name]; !ok {
			t.Errorf("query %s no longer exists; update this test", name)
		} else if slices.Contains(marked, name) {
			t.Errorf("%s must stay on the primary but is marked %q", name, ReplicaOK)
		}
	}

	// The functions the marked queries call, looked up in a migrated database.
	names := map[string]bool{}
	for _, name := range marked {
		body := literals.ReplaceAllString(comments.ReplaceAllString(queries[name], ""), "''")
		for _, m := range calls.FindAllStringSubmatch(body, -1) {
			names[strings.ToLower(m[1])] = true
		}
	}
	pool := pgtest.NewPool(t)
	rows, err := pool.Query(context.Background(),
		"SELECT DISTINCT proname FROM pg_proc WHERE proname = ANY($1) AND provolatile = 'v' ORDER BY 1",
		slices.Sorted(func(yield func(string) bool) {
			for n := range names {
				if !yield(n) {
					return
				}
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	volatile, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range volatile {
		for _, name := range marked {
			if regexp.MustCompile(`(?i)\b` + fn + `\s*\(`).MatchString(queries[name]) {
				t.Errorf("%s is marked %q but calls %s(), which is VOLATILE and so may write", name, ReplicaOK, fn)
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("the marked queries call no function at all: the lookup matched nothing")
	}
}
