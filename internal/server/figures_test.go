package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/handler"
)

// figuresPeriods are the periods the summary is checked for: open bounds, whole days,
// edges inside days, a period inside one day, short periods summed over the days in
// them and long ones summed as all time less the days outside.
func figuresPeriods(now time.Time, r *rand.Rand) [][2]*time.Time {
	day := now.UTC().Truncate(24 * time.Hour)
	at := func(days float64) *time.Time {
		t := day.Add(time.Duration(days * float64(24*time.Hour)))
		return &t
	}
	periods := [][2]*time.Time{
		{nil, nil},
		{at(-3), nil},
		{nil, at(-3)},
		{at(-5), at(-2)},
		{at(-4.5), at(-1.25)},
		{at(-2.75), at(-2.25)},
		{at(-30), at(2)},
		{at(-11.5), at(0.5)},
		{at(-1), at(1)},
		{at(-0.5), nil},
	}
	for range 6 {
		a, b := -12+12*r.Float64(), -12+13*r.Float64()
		if a > b {
			a, b = b, a
		}
		periods = append(periods, [2]*time.Time{at(a), at(b + 0.001)})
	}
	return periods
}

// figuresCompare runs DashboardSummary and the from-scratch DashboardSummaryFromRows
// for every period in one REPEATABLE READ snapshot and returns how they differ.
func figuresCompare(ctx context.Context, pool *database.Pool, periods [][2]*time.Time) ([]string, error) {
	var diffs []string
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := db.New(tx)
		for _, p := range periods {
			want, err := q.DashboardSummaryFromRows(ctx, db.DashboardSummaryFromRowsParams{From: p[0], To: p[1]})
			if err != nil {
				return fmt.Errorf("oracle for %v–%v: %w", p[0], p[1], err)
			}
			// Every way to the best sellers: by all-time rank (top_sellers), and, with
			// no rank to go by, by summing the period's days or all time less the rest.
			for _, rankLimit := range []int32{handler.SummaryRankLimit, 64, 0} {
				args := handler.SummaryPeriod(p[0], p[1])
				args.RankLimit = rankLimit
				got, err := q.DashboardSummary(ctx, args)
				if err != nil {
					return fmt.Errorf("summary for %v–%v: %w", p[0], p[1], err)
				}
				if g, w := fmt.Sprintf("%+v", db.DashboardSummaryFromRowsRow(got)), fmt.Sprintf("%+v", want); g != w {
					diffs = append(diffs, fmt.Sprintf("period %v – %v, rank limit %d:\n maintained %s\n rows       %s",
						p[0], p[1], rankLimit, g, w))
				}
			}
		}
		return nil
	})
	return diffs, err
}

// TestSummaryFromMaintainedFiguresEqualsTheRows holds the summary read from the
// maintained figures to the answer computed from the rows: after random orders,
// cancellations, status moves, back-dated orders and new accounts, with folds at
// random moments, and at every moment while that traffic runs concurrently.
func TestSummaryFromMaintainedFiguresEqualsTheRows(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	now := time.Now()

	staff := apitest.Staff(t, env)
	customers := apitest.CreateUsers(t, env, auth.RoleCustomer, 6)
	// More products than top_sellers' first round reads (64), prices that repeat so
	// that revenue ties are common and the SKU tie-break counts, and sales skewed to
	// the first products, as in a shop.
	products := apitest.CreateProducts(t, env, 150, 100, 100000)
	apitest.Exec(t, env, `UPDATE products SET price_cents = 100 * (1 + abs(hashtext(sku)) % 4) WHERE id = ANY($1)`, products)
	q := db.New(env.Pool)
	fold := func() {
		_, err := q.FiguresFold(ctx)
		require.NoError(t, err)
	}

	var mu sync.Mutex
	var orders []uuid.UUID
	place := func(r *rand.Rand) {
		n := 1 + r.IntN(3)
		items := make([]client.OrderItemInput, 0, n)
		seen := map[int]bool{}
		for len(items) < n {
			k := int(float64(len(products)) * r.Float64() * r.Float64())
			if !seen[k] {
				seen[k] = true
				items = append(items, apitest.Item(products[k], int32(1+r.IntN(4))))
			}
		}
		o := apitest.PlaceOrder(t, env, customers[r.IntN(len(customers))], items...)
		// Most orders are back-dated to a random moment of the last twelve days.
		if r.IntN(5) > 0 {
			at := now.Add(-time.Duration(r.Float64() * float64(12*24*time.Hour)))
			apitest.SetCreatedAt(t, env, "orders", o.Id, at)
		}
		mu.Lock()
		orders = append(orders, o.Id)
		mu.Unlock()
	}
	pickOrder := func(r *rand.Rand) uuid.UUID {
		mu.Lock()
		defer mu.Unlock()
		return orders[r.IntN(len(orders))]
	}
	step := func(r *rand.Rand) {
		switch k := r.IntN(10); {
		case k < 4:
			place(r)
		case k < 6:
			// Cancel or move on; an order that cannot (any more) answers 409, which is
			// part of the traffic too.
			id := pickOrder(r)
			res, err := env.Client.CancelOrderWithResponse(ctx, id, staff.Auth())
			require.NoError(t, err)
			require.Contains(t, []int{http.StatusOK, http.StatusConflict}, res.StatusCode(), string(res.Body))
		case k < 8:
			id := pickOrder(r)
			next := []client.UpdateOrderStatusRequestStatus{"paid", "shipped", "delivered"}[r.IntN(3)]
			res, err := env.Client.UpdateOrderStatusWithResponse(ctx, id, client.UpdateOrderStatusRequest{Status: next}, staff.Auth())
			require.NoError(t, err)
			require.Contains(t, []int{http.StatusOK, http.StatusConflict}, res.StatusCode(), string(res.Body))
		case k < 9:
			u := apitest.CreateUsers(t, env, auth.RoleCustomer, 1)[0]
			apitest.SetCreatedAt(t, env, "users", u.ID, now.Add(-time.Duration(r.Float64()*float64(12*24*time.Hour))))
		default:
			fold()
		}
	}

	for range 120 {
		place(r)
	}
	periods := figuresPeriods(now, r)
	check := func(when string) {
		t.Helper()
		diffs, err := figuresCompare(ctx, env.Pool, periods)
		require.NoError(t, err)
		require.Empty(t, diffs, "%s: the maintained figures differ from the rows", when)
	}
	check("before any fold")
	fold()
	check("after a fold")

	// Serial random traffic, checked after every few steps.
	for i := range 60 {
		step(r)
		if i%10 == 9 {
			check(fmt.Sprintf("after %d random steps", i+1))
		}
	}

	// Concurrent traffic and folds while a checker compares the two in one snapshot
	// after another.
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		seed := r.Uint64() // drawn here: r is not safe for concurrent use
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for range 30 {
				step(r)
			}
		}()
	}
	checks := 0
	var checkErr error
	var mismatches []string
	checkerDone := make(chan struct{})
	go func() {
		defer close(checkerDone)
		for {
			select {
			case <-done:
				return
			default:
			}
			diffs, err := figuresCompare(ctx, env.Pool, periods)
			if err != nil {
				checkErr = err
				return
			}
			mismatches = append(mismatches, diffs...)
			checks++
		}
	}()
	wg.Wait()
	close(done)
	<-checkerDone
	require.NoError(t, checkErr)
	assert.Empty(t, mismatches, "the summary differed from the rows in some snapshot during concurrent traffic")
	assert.Positive(t, checks, "the checker compared at least one snapshot during the traffic")
	t.Logf("%d orders; %d snapshots compared during concurrent traffic", len(orders), checks)
	check("after concurrent traffic")
	fold()
	check("after the last fold")

	// And through the API: the response carries the same figures.
	want, err := q.DashboardSummaryFromRows(ctx, db.DashboardSummaryFromRowsParams{})
	require.NoError(t, err)
	res, err := env.Client.GetDashboardSummaryWithResponse(ctx, nil, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	got := res.JSON200.Data
	assert.Equal(t, want.OrdersTotal, got.OrdersTotal)
	assert.Equal(t, want.RevenueCents, got.RevenueCents)
	assert.Equal(t, want.UsersTotal, got.UsersTotal)
	require.Len(t, got.TopProducts, len(want.TopIds))
	for i, p := range got.TopProducts {
		assert.Equal(t, want.TopIds[i], p.ProductId)
		assert.Equal(t, want.TopRevenueCents[i], p.RevenueCents)
		assert.Equal(t, want.TopUnits[i], p.Units)
	}
}

// TestFiguresFollowEveryWritePath checks the counters and figures that the triggers
// keep against the rows after writes the API never makes: deleted orders, lines and
// users, archived and deleted products, and a rebuild.
func TestFiguresFollowEveryWritePath(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customers := apitest.CreateUsers(t, env, auth.RoleCustomer, 3)
	a := apitest.CreateProduct(t, env, apitest.ProductOpts{PriceCents: 500, Stock: 100})
	b := apitest.CreateProduct(t, env, apitest.ProductOpts{PriceCents: 300, Stock: 100})
	spare := apitest.CreateProduct(t, env, apitest.ProductOpts{PriceCents: 300, Stock: 100})
	o1 := apitest.PlaceOrder(t, env, customers[0], apitest.Item(a.ID, 2), apitest.Item(b.ID, 1))
	o2 := apitest.PlaceOrder(t, env, customers[1], apitest.Item(b.ID, 3))
	apitest.PlaceOrder(t, env, customers[2], apitest.Item(a.ID, 1))

	counters := func() map[string]int64 {
		out := map[string]int64{}
		for _, name := range []string{"users", "products_live", "orders"} {
			out[name] = apitest.Count(t, env, `SELECT counter_value($1)`, name)
		}
		return out
	}
	rows := func() map[string]int64 {
		return map[string]int64{
			"users":         apitest.Count(t, env, `SELECT count(*) FROM users`),
			"products_live": apitest.Count(t, env, `SELECT count(*) FROM products WHERE archived_at IS NULL`),
			"orders":        apitest.Count(t, env, `SELECT count(*) FROM orders`),
		}
	}
	periods := figuresPeriods(time.Now(), rand.New(rand.NewPCG(1, 2)))
	same := func(when string) {
		t.Helper()
		require.Equal(t, rows(), counters(), "%s: counters", when)
		diffs, err := figuresCompare(ctx, env.Pool, periods)
		require.NoError(t, err)
		require.Empty(t, diffs, "%s: summary", when)
	}
	same("after orders")
	for _, step := range []struct{ name, sql string }{
		{"a line deleted", `DELETE FROM order_items WHERE order_id = '` + o1.Id.String() + `' AND product_id = '` + b.ID.String() + `'`},
		{"a line's quantity changed", `UPDATE order_items SET quantity = 7 WHERE order_id = '` + o1.Id.String() + `'`},
		{"an order deleted with its lines", `DELETE FROM orders WHERE id = '` + o2.Id.String() + `'`},
		{"a product archived", `UPDATE products SET archived_at = now() WHERE id = '` + a.ID.String() + `'`},
		{"a product restored", `UPDATE products SET archived_at = NULL WHERE id = '` + a.ID.String() + `'`},
		{"an unsold product deleted", `DELETE FROM products WHERE id = '` + spare.ID.String() + `'`},
		{"a user without orders deleted", `DELETE FROM users WHERE id = '` + apitest.CreateUsers(t, env, auth.RoleCustomer, 1)[0].ID.String() + `'`},
		{"a fold", `SELECT figures_fold()`},
		{"a rebuild", `SELECT figures_rebuild()`},
	} {
		apitest.Exec(t, env, step.sql)
		same("after " + step.name)
	}
}
