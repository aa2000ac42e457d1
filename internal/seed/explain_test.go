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
	// As the handlers send them: one row more than the page, and the count capped.
	products := db.ProductListNewestParams{CountLimit: 10001, RowLimit: 21}
	filtered := db.ProductListNewestParams{Pattern: &widget, CountLimit: 10001, RowLimit: 21}
	priced := db.ProductListNewestParams{MinPriceCents: &minPrice, MaxPriceCents: &maxPrice, InStock: &inStock, CountLimit: 10001, RowLimit: 21}
	all := db.ProductListNewestParams{Pattern: &widget, MinPriceCents: &minPrice, MaxPriceCents: &maxPrice, InStock: &inStock, CountLimit: 10001, RowLimit: 21, RowOffset: 20}

	// A cursor deep into each list: the key and id of its 5 000th row (of the 5 000
	// users, the 2 500th), as a client that followed nextCursor for 250 pages of 20
	// would send them.
	deep := func(t *testing.T, sql string) (*string, *uuid.UUID) {
		var key string
		var id uuid.UUID
		offset := 5000
		if strings.Contains(sql, "FROM users") {
			offset = 2500
		}
		require.NoError(t, pool.QueryRow(ctx, fmt.Sprintf("%s OFFSET %d LIMIT 1", sql, offset)).Scan(&key, &id))
		return &key, &id
	}
	live := "SELECT %s, id FROM products WHERE archived_at IS NULL ORDER BY %s"
	nameKey, nameID := deep(t, fmt.Sprintf(live, "name", "name, id"))
	newKey, newID := deep(t, fmt.Sprintf(live, "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", "created_at DESC, id DESC"))
	cheapKey, cheapID := deep(t, fmt.Sprintf(live, "price_cents::text", "price_cents, id"))
	dearKey, dearID := deep(t, fmt.Sprintf(live, "price_cents::text", "price_cents DESC, id DESC"))
	after := func(p db.ProductListNewestParams, key *string, id *uuid.UUID) db.ProductListNewestParams {
		p.AfterKey, p.AfterID = key, id
		return p
	}

	var cases []queryCase
	for _, p := range []struct {
		name string
		args db.ProductListNewestParams
		// whether the pages are read by cursor, 5 000 rows deep
		deep bool
	}{{"", products, false}, {" matching q", filtered, false}, {" in a price range and in stock", priced, false},
		{" with every filter, page 2", all, false}, {" after a cursor 5 000 rows deep", products, true},
		{" in stock after a cursor 5 000 rows deep", db.ProductListNewestParams{InStock: &inStock, CountLimit: 10001, RowLimit: 21}, true}} {
		byName, newest, cheapest, dearest := p.args, p.args, p.args, p.args
		if p.deep {
			byName, newest = after(p.args, nameKey, nameID), after(p.args, newKey, newID)
			cheapest, dearest = after(p.args, cheapKey, cheapID), after(p.args, dearKey, dearID)
		}
		cases = append(cases,
			queryCase{"products by name" + p.name, func() error {
				_, err := q.ProductListByName(ctx, db.ProductListByNameParams(byName))
				return err
			}},
			queryCase{"newest products" + p.name, func() error { _, err := q.ProductListNewest(ctx, newest); return err }},
			queryCase{"cheapest products" + p.name, func() error {
				_, err := q.ProductListByPrice(ctx, db.ProductListByPriceParams(cheapest))
				return err
			}},
			queryCase{"dearest products" + p.name, func() error {
				_, err := q.ProductListByPriceDesc(ctx, db.ProductListByPriceDescParams(dearest))
				return err
			}},
		)
	}
	orderKey, orderID := deep(t, "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id FROM orders ORDER BY created_at DESC, id DESC")
	userKey, userID := deep(t, "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id FROM users ORDER BY created_at DESC, id DESC")
	oldKey, oldID := deep(t, "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id FROM users ORDER BY created_at, id")
	emailKey, emailID := deep(t, "SELECT email, id FROM users ORDER BY lower(email), id")
	userNameKey, userNameID := deep(t, "SELECT name, id FROM users ORDER BY lower(name), id")
	staffRole := "staff"
	for _, u := range []struct {
		name string
		args db.UserListNewestParams
	}{
		{"", db.UserListNewestParams{CountLimit: 10001, RowLimit: 21}},
		{" matching q", db.UserListNewestParams{Pattern: &users, CountLimit: 10001, RowLimit: 21}},
		{" with a role", db.UserListNewestParams{Role: &staffRole, CountLimit: 10001, RowLimit: 21}},
	} {
		for _, deep := range []bool{false, true} {
			name, newest, oldest, byEmail, byName := "users"+u.name, u.args, u.args, u.args, u.args
			if deep {
				name += " after a cursor 2 500 rows deep"
				newest.AfterKey, newest.AfterID = userKey, userID
				oldest.AfterKey, oldest.AfterID = oldKey, oldID
				byEmail.AfterKey, byEmail.AfterID = emailKey, emailID
				byName.AfterKey, byName.AfterID = userNameKey, userNameID
			}
			cases = append(cases,
				queryCase{"newest " + name, func() error { _, err := q.UserListNewest(ctx, newest); return err }},
				queryCase{"oldest " + name, func() error {
					_, err := q.UserListOldest(ctx, db.UserListOldestParams(oldest))
					return err
				}},
				queryCase{name + " by email", func() error {
					_, err := q.UserListByEmail(ctx, db.UserListByEmailParams(byEmail))
					return err
				}},
				queryCase{name + " by name", func() error {
					_, err := q.UserListByName(ctx, db.UserListByNameParams(byName))
					return err
				}},
			)
		}
	}
	cases = append(cases, []queryCase{
		{"orders of one customer", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{UserID: &customer, CountLimit: 10001, RowLimit: 21})
			return err
		}},
		{"pending orders", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{Status: &pending, CountLimit: 10001, RowLimit: 21})
			return err
		}},
		{"delivered orders of the last month", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{Status: &delivered, From: &monthAgo, CountLimit: 10001, RowLimit: 21})
			return err
		}},
		{"all orders", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{CountLimit: 10001, RowLimit: 21})
			return err
		}},
		{"all orders after a cursor 5 000 rows deep", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{AfterKey: orderKey, AfterID: orderID, CountLimit: 10001, RowLimit: 21})
			return err
		}},
		{"pending orders after a cursor 5 000 rows deep", func() error {
			_, err := q.OrderList(ctx, db.OrderListParams{Status: &pending, AfterKey: orderKey, AfterID: orderID, CountLimit: 10001, RowLimit: 21})
			return err
		}},
		{"count of products matching q", func() error {
			_, err := q.ProductCount(ctx, db.ProductCountParams{Pattern: &widget, CountLimit: 10001})
			return err
		}},
		{"count of products in stock", func() error {
			_, err := q.ProductCount(ctx, db.ProductCountParams{InStock: &inStock, CountLimit: 10001})
			return err
		}},
		{"count of pending orders", func() error {
			_, err := q.OrderCount(ctx, db.OrderCountParams{Status: &pending, CountLimit: 10001})
			return err
		}},
		{"count of users matching q", func() error {
			_, err := q.UserCount(ctx, db.UserCountParams{Pattern: &users, CountLimit: 10001})
			return err
		}},
		{"dashboard users page", func() error {
			_, err := q.DashboardUsers(ctx, db.DashboardUsersParams{RowLimit: 21})
			return err
		}},
		{"dashboard users after a cursor 2 500 rows deep", func() error {
			_, err := q.DashboardUsers(ctx, db.DashboardUsersParams{AfterKey: userKey, AfterID: userID, RowLimit: 21})
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
			for _, n := range seqScans(p.root, nil, nil) {
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

// SendBatch explains nothing: no list, dashboard or summary query is sent as a batch
// (only the placer's OrderPlaceBatch is).
func (e *explainer) SendBatch(context.Context, *pgx.Batch) pgx.BatchResults { return errBatch{} }

var errBatched = errors.New("explainer: batches are not explained")

// errBatch answers every read with errBatched; it embeds the interface only for the
// methods no query of sqlc calls.
type errBatch struct{ pgx.BatchResults }

func (errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, errBatched }
func (errBatch) Query() (pgx.Rows, error)         { return nil, errBatched }
func (errBatch) QueryRow() pgx.Row                { return errRow{errBatched} }
func (errBatch) Close() error                     { return nil }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// seqScans walks the plan tree, init plans and subplans included, and returns every
// sequential scan of a large table, except a scan that feeds a list's total: under a
// plain aggregate that is either unfiltered or an init plan, or under the LIMIT of a
// capped count (count(*) over at most count_limit matches). Such a count must visit
// the matching rows it counts whatever the plan (the capped one at most 10 001 of
// them). With a selective filter (a `q` search) the planner still counts through the
// trigram index; with a broad one a sequential read is the cheapest way to count, and
// the page itself still comes from an index.
func seqScans(node, parent, grandparent map[string]any) []map[string]any {
	var found []map[string]any
	count := func(agg, scan map[string]any) bool {
		return agg["Node Type"] == "Aggregate" && agg["Strategy"] == "Plain" &&
			(scan["Filter"] == nil || agg["Parent Relationship"] == "InitPlan")
	}
	capped := parent["Node Type"] == "Limit" && grandparent["Node Type"] == "Aggregate" && grandparent["Strategy"] == "Plain"
	wholeTable := count(parent, node) || capped
	if node["Node Type"] == "Seq Scan" && largeTables[fmt.Sprint(node["Relation Name"])] && !wholeTable {
		found = append(found, node)
	}
	children, _ := node["Plans"].([]any)
	for _, c := range children {
		if child, ok := c.(map[string]any); ok {
			found = append(found, seqScans(child, node, parent)...)
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
