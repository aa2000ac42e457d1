package seed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/handler"
	"github.com/shopfloor/shopfloor/internal/pgtest"
	"github.com/shopfloor/shopfloor/internal/seed"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// largeTables are the tables that grow with the business; a sequential scan of one of
// them in a list or dashboard query is a request whose cost grows with the data.
var largeTables = map[string]bool{"users": true, "products": true, "orders": true, "order_items": true}

// TestListQueriesUseIndexes plans every list and dashboard query, as the handlers call
// it, against tens of thousands of rows and fails on any sequential scan of a large
// table. The statements are not copied here: the generated methods of internal/db are
// called on a DBTX that explains the statement it is given instead of running it, so
// the test sees the exact SQL and arguments the server sends.
func TestListQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	now := time.Now().UTC()
	_, err = seed.Run(ctx, pool, seed.Options{
		Users: 5000, Products: 30000, Orders: 40000, Seed: 42, PasswordHash: "not-a-real-hash", Now: now,
	}, nil)
	require.NoError(t, err)

	// As the server's pool runs them (internal/database): queries marked
	// database.PlanPerExecution are planned with their values every time; every other
	// query runs on PostgreSQL's generic plan once prepared, so that is the plan
	// explained for it (explainer.explain).
	cfg, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })

	// Realistic arguments, read from the seeded data: a customer with a typical number
	// of orders, the users of the first dashboard page, and one order.
	var customer uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, `SELECT user_id FROM orders GROUP BY user_id
		ORDER BY count(*), user_id OFFSET (SELECT count(DISTINCT user_id) / 2 FROM orders) LIMIT 1`).Scan(&customer))
	var pageUsers []uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, `SELECT array_agg(id) FROM (SELECT id FROM users
		ORDER BY created_at DESC, id DESC LIMIT 20) u`).Scan(&pageUsers))
	var order uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, `SELECT order_id FROM order_items GROUP BY order_id
		HAVING count(*) = 3 ORDER BY order_id LIMIT 1`).Scan(&order))

	ex := &explainer{conn: conn}
	q := db.New(ex)
	widget, users := "%widget%", "%garcia%"
	minPrice, maxPrice, inStock := int64(2000), int64(5000), true
	pending, delivered := "pending", "delivered"
	monthAgo, weekAgo, longAgo := now.Add(-30*24*time.Hour), now.Add(-7*24*time.Hour), now.Add(-300*24*time.Hour)
	products := db.ProductListNewestParams{RowLimit: 20}
	filtered := db.ProductListNewestParams{Pattern: &widget, RowLimit: 20}
	priced := db.ProductListNewestParams{MinPriceCents: &minPrice, MaxPriceCents: &maxPrice, InStock: &inStock, RowLimit: 20}
	all := db.ProductListNewestParams{Pattern: &widget, MinPriceCents: &minPrice, MaxPriceCents: &maxPrice, InStock: &inStock, RowLimit: 20, RowOffset: 20}

	var cases []queryCase
	for _, p := range []struct {
		name string
		args db.ProductListNewestParams
	}{{"", products}, {" matching q", filtered}, {" in a price range and in stock", priced}, {" with every filter, page 2", all}} {
		cases = append(cases,
			queryCase{"products by name" + p.name, func() error {
				_, err := q.ProductListByName(ctx, db.ProductListByNameParams(p.args))
				return err
			}},
			queryCase{"newest products" + p.name, func() error { _, err := q.ProductListNewest(ctx, p.args); return err }},
			queryCase{"cheapest products" + p.name, func() error {
				_, err := q.ProductListByPrice(ctx, db.ProductListByPriceParams(p.args))
				return err
			}},
			queryCase{"dearest products" + p.name, func() error {
				_, err := q.ProductListByPriceDesc(ctx, db.ProductListByPriceDescParams(p.args))
				return err
			}},
		)
	}
	cases = append(cases, []queryCase{
		{"orders of one customer", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{UserID: &customer, RowLimit: 20})
			return err
		}},
		{"pending orders", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{Status: &pending, RowLimit: 20})
			return err
		}},
		{"delivered orders of the last month", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{Status: &delivered, From: &monthAgo, RowLimit: 20})
			return err
		}},
		{"all orders", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{RowLimit: 20})
			return err
		}},
		{"users matching q", func() error {
			_, err := q.UserList(ctx, db.UserListParams{Pattern: &users, Sort: "-createdAt", RowLimit: 20})
			return err
		}},
		{"dashboard users page", func() error {
			_, err := q.DashboardUsers(ctx, db.DashboardUsersParams{RowLimit: 20})
			return err
		}},
		{"dashboard recent orders of a page of users", func() error {
			_, err := q.DashboardRecentOrders(ctx, pageUsers)
			return err
		}},
		{"lines of an order", func() error {
			_, err := q.OrderItemsByOrder(ctx, order)
			return err
		}},
		// The summary reads the maintained figures for whole days and the rows only
		// for the partial days at a period's edges (orders_created_idx, then
		// order_items_order_cover_idx): no period, a week, a month, and most of the
		// history (summed as all time less the days outside) all stay off the tables.
		{"dashboard summary of all time", func() error {
			_, err := q.DashboardSummary(ctx, handler.SummaryPeriod(nil, nil))
			return err
		}},
		{"dashboard summary of the last week", func() error {
			_, err := q.DashboardSummary(ctx, handler.SummaryPeriod(&weekAgo, &now))
			return err
		}},
		{"dashboard summary of the last 30 days", func() error {
			_, err := q.DashboardSummary(ctx, handler.SummaryPeriod(&monthAgo, &now))
			return err
		}},
		{"dashboard summary of the last 300 days", func() error {
			_, err := q.DashboardSummary(ctx, handler.SummaryPeriod(&longAgo, nil))
			return err
		}},
	}...)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex.plans = nil
			err := c.run()
			if !errors.Is(err, errExplained) {
				require.NoError(t, err)
			}
			require.Len(t, ex.plans, 1, "the query method sent one statement")
			p := ex.plans[0]
			if os.Getenv("SEED_EXPLAIN_VERBOSE") != "" {
				t.Logf("%s\n%s", p.name, render(p.root, 0))
			}
			for _, n := range seqScans(p.root, nil) {
				t.Errorf("%s scans table %s sequentially (%s); plan:\n%s", p.name, n["Relation Name"], describe(n), render(p.root, 0))
			}
		})
	}
}

// queryCase calls one generated query method with the arguments of one request.
type queryCase struct {
	name string
	run  func() error
}

// errExplained is what a one-row query method returns once its statement is explained.
var errExplained = errors.New("explained, not run")

type plan struct {
	name string         // the sqlc query name
	root map[string]any // the top plan node
}

// explainer is a db.DBTX that, instead of running a statement, records the plan
// PostgreSQL would use for it with the arguments given, and returns no rows.
type explainer struct {
	conn  *pgx.Conn
	plans []plan
}

func (e *explainer) explain(ctx context.Context, sql string, args []any) error {
	name, _, _ := strings.Cut(strings.TrimPrefix(sql, "-- name: "), " ")
	var raw []byte
	if strings.Contains(sql, database.PlanPerExecution) {
		if err := e.conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON)\n"+sql, args...).Scan(&raw); err != nil {
			return fmt.Errorf("explain %s: %w", name, err)
		}
	} else {
		// The generic plan, whatever the values: prepare the statement and explain
		// its execution with every parameter NULL under force_generic_plan.
		sd, err := e.conn.Prepare(ctx, "explained", sql)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
		defer e.conn.Deallocate(ctx, "explained")
		execute := "EXECUTE explained"
		if n := len(sd.ParamOIDs); n > 0 {
			execute += "(" + strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ") + ")"
		}
		_, err = e.conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
		if err == nil {
			err = e.conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+execute).Scan(&raw)
		}
		if _, reset := e.conn.Exec(ctx, "SET plan_cache_mode = force_custom_plan"); err == nil {
			err = reset
		}
		if err != nil {
			return fmt.Errorf("explain the generic plan of %s: %w", name, err)
		}
	}
	var out []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 {
		return fmt.Errorf("explain %s: unexpected output %s: %v", name, raw, err)
	}
	e.plans = append(e.plans, plan{name: name, root: out[0].Plan})
	return nil
}

func (e *explainer) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := e.explain(ctx, sql, args); err != nil {
		return nil, err
	}
	return e.conn.Query(ctx, "SELECT WHERE false")
}

func (e *explainer) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := e.explain(ctx, sql, args); err != nil {
		return errRow{err}
	}
	return errRow{errExplained}
}

func (e *explainer) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errors.New("explainer: only queries are explained")
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// seqScans walks the plan tree, init plans and subplans included, and returns every
// sequential scan of a large table, except a scan under a plain aggregate that is
// either unfiltered or an init plan: that is a count the query asks for (a list's
// total of every match, the dashboard's users, "users in total" in the summary), which
// must visit every matching row whatever the plan. With a selective filter (a `q`
// search) the planner still counts through the trigram index; with a broad one a
// sequential read is the cheapest way to count, and the page itself still comes from
// an index.
func seqScans(node, parent map[string]any) []map[string]any {
	var found []map[string]any
	counting := parent["Node Type"] == "Aggregate" && parent["Strategy"] == "Plain" &&
		(node["Filter"] == nil || parent["Parent Relationship"] == "InitPlan")
	wholeTable := counting
	if node["Node Type"] == "Seq Scan" && largeTables[fmt.Sprint(node["Relation Name"])] && !wholeTable {
		found = append(found, node)
	}
	children, _ := node["Plans"].([]any)
	for _, c := range children {
		if child, ok := c.(map[string]any); ok {
			found = append(found, seqScans(child, node)...)
		}
	}
	return found
}

// describe shows one node's own fields, without its children.
func describe(node map[string]any) string {
	own := map[string]any{}
	for k, v := range node {
		if k != "Plans" {
			own[k] = v
		}
	}
	b, _ := json.Marshal(own)
	return string(b)
}

// render draws the plan tree as EXPLAIN's text format roughly does.
func render(node map[string]any, depth int) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("  ", depth) + "-> " + fmt.Sprint(node["Node Type"]))
	for _, k := range []string{"Relation Name", "Index Name", "Parent Relationship", "Subplan Name"} {
		if v, ok := node[k]; ok {
			fmt.Fprintf(&b, " [%s: %v]", k, v)
		}
	}
	for _, k := range []string{"Filter", "Index Cond", "Recheck Cond"} {
		if v, ok := node[k]; ok {
			fmt.Fprintf(&b, " %s: %v", k, v)
		}
	}
	fmt.Fprintf(&b, " (rows=%v cost=%v)\n", node["Plan Rows"], node["Total Cost"])
	children, _ := node["Plans"].([]any)
	for _, c := range children {
		if child, ok := c.(map[string]any); ok {
			b.WriteString(render(child, depth+1))
		}
	}
	return b.String()
}
