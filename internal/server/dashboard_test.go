package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

func TestDashboardUsersShowsEachUsersOrderFigures(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := apitest.Staff(t, env)
	buyer := apitest.Customer(t, env)
	idle := apitest.Customer(t, env)
	apitest.SetCreatedAt(t, env, "users", staff.ID, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	apitest.SetCreatedAt(t, env, "users", buyer.ID, time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC))
	apitest.SetCreatedAt(t, env, "users", idle.ID, time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC))
	require.NoError(t, db.New(env.Pool).ProfileReplace(ctx, db.ProfileReplaceParams{
		UserID: buyer.ID, City: apitest.Ptr("London"), Country: apitest.Ptr("GB")}))

	// The buyer places seven orders of 100…700, an hour apart; the newest is
	// cancelled and the one before it paid.
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{PriceCents: 100, Stock: 1000})
	base := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	orders := make([]client.Order, 7)
	for k := range orders {
		orders[k] = apitest.PlaceOrder(t, env, buyer, apitest.Item(p.ID, int32(k+1)))
		apitest.SetCreatedAt(t, env, "orders", orders[k].Id, base.Add(time.Duration(k+1)*time.Hour))
	}
	apitest.MoveOrder(t, env, staff, orders[5].Id, client.OrderStatusPaid)
	res, err := env.Client.CancelOrderWithResponse(ctx, orders[6].Id, buyer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())

	list, err := env.Client.ListDashboardUsersWithResponse(ctx, nil, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	apitest.RequirePagination(t, client.Pagination{Page: 1, Limit: 20, Total: 3, TotalExact: true, Pages: 1}, list.JSON200.Pagination)
	rows := list.JSON200.Data
	require.Len(t, rows, 3)
	require.Equal(t, []uuid.UUID{idle.ID, buyer.ID, staff.ID}, []uuid.UUID{rows[0].User.Id, rows[1].User.Id, rows[2].User.Id},
		"users are listed newest first")
	statements := apitest.QueryCount(t, list.HTTPResponse)
	require.LessOrEqual(t, statements, 2)

	t.Run("a user with orders has their count, spending, last order and five newest orders", func(t *testing.T) {
		d := rows[1]
		require.Equal(t, buyer.Email, string(d.User.Email))
		require.Equal(t, "London", *d.User.Profile.City)
		require.Equal(t, "GB", *d.User.Profile.Country)
		require.Equal(t, int64(7), d.OrderCount)
		require.Equal(t, int64(100+200+300+400+500+600), d.TotalSpentCents, "a cancelled order counted as spending")
		require.NotNil(t, d.LastOrderAt)
		require.True(t, d.LastOrderAt.Equal(base.Add(7*time.Hour)), "lastOrderAt %s", d.LastOrderAt)
		require.Equal(t, time.UTC, d.LastOrderAt.Location())
		want := []client.RecentOrder{
			{Id: orders[6].Id, Status: client.OrderStatusCancelled, TotalCents: 700, CreatedAt: base.Add(7 * time.Hour)},
			{Id: orders[5].Id, Status: client.OrderStatusPaid, TotalCents: 600, CreatedAt: base.Add(6 * time.Hour)},
			{Id: orders[4].Id, Status: client.OrderStatusPending, TotalCents: 500, CreatedAt: base.Add(5 * time.Hour)},
			{Id: orders[3].Id, Status: client.OrderStatusPending, TotalCents: 400, CreatedAt: base.Add(4 * time.Hour)},
			{Id: orders[2].Id, Status: client.OrderStatusPending, TotalCents: 300, CreatedAt: base.Add(3 * time.Hour)},
		}
		require.Len(t, d.RecentOrders, 5)
		for i := range want {
			require.True(t, want[i].CreatedAt.Equal(d.RecentOrders[i].CreatedAt))
			d.RecentOrders[i].CreatedAt = want[i].CreatedAt
		}
		require.Equal(t, want, d.RecentOrders)
	})
	t.Run("a user without orders has zeros, no lastOrderAt and an empty recentOrders", func(t *testing.T) {
		for _, d := range []client.DashboardUser{rows[0], rows[2]} {
			require.Equal(t, int64(0), d.OrderCount)
			require.Equal(t, int64(0), d.TotalSpentCents)
			require.Nil(t, d.LastOrderAt)
			require.NotNil(t, d.RecentOrders)
			require.Empty(t, d.RecentOrders)
		}
		// Absent, not null nor a stand-in time; recentOrders present as [].
		var raw struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(list.Body, &raw))
		require.NotContains(t, raw.Data[0], "lastOrderAt")
		require.Equal(t, "[]", string(raw.Data[0]["recentOrders"]))
		require.Contains(t, raw.Data[1], "lastOrderAt")
	})
	t.Run("pages cut the same list", func(t *testing.T) {
		page, err := env.Client.ListDashboardUsersWithResponse(ctx,
			&client.ListDashboardUsersParams{Page: apitest.Ptr[int32](2), Limit: apitest.Ptr[int32](1)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, page.StatusCode())
		require.Len(t, page.JSON200.Data, 1)
		require.Equal(t, buyer.ID, page.JSON200.Data[0].User.Id)
		require.Len(t, page.JSON200.Data[0].RecentOrders, 5)
		apitest.RequirePagination(t, client.Pagination{Page: 2, Limit: 1, Total: 3, TotalExact: true, Pages: 3}, page.JSON200.Pagination)

		past, err := env.Client.ListDashboardUsersWithResponse(ctx,
			&client.ListDashboardUsersParams{Page: apitest.Ptr[int32](5), Limit: apitest.Ptr[int32](1)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, past.StatusCode())
		require.Empty(t, past.JSON200.Data)
		apitest.RequirePagination(t, client.Pagination{Page: 5, Limit: 1, Total: 3, TotalExact: true, Pages: 3}, past.JSON200.Pagination)
		require.LessOrEqual(t, apitest.QueryCount(t, past.HTTPResponse), 2)
	})
	t.Run("admins may read it too", func(t *testing.T) {
		admin := apitest.CreateUsers(t, env, auth.RoleAdmin, 1)[0]
		res, err := env.Client.ListDashboardUsersWithResponse(ctx, nil, admin.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode())
	})

	for _, tt := range []struct {
		name    string
		auth    client.RequestEditorFn
		query   string
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "a customer may not read the dashboard", auth: buyer.Auth(), status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", auth: apitest.NoAuth, status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
		{name: "a limit of 0 is refused", auth: staff.Auth(), query: "limit=0",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query limit"}},
		{name: "a limit over 100 is refused", auth: staff.Auth(), query: "limit=101",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query limit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, env.URL+"/api/v1/dashboard/users?"+tt.query, nil)
			require.NoError(t, err)
			require.NoError(t, tt.auth(ctx, req))
			raw, err := env.HTTP.Do(req)
			require.NoError(t, err)
			res, err := client.ParseListDashboardUsersResponse(raw)
			require.NoError(t, err)
			e := apitest.RequireError(t, res, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
		})
	}
}

func TestDashboardUsersStatementCountDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := apitest.Staff(t, env)
	// 110 customers, newer than the staff member, with six orders each: pages of 5
	// and of 100 are both full of users who each have five recent orders.
	customers := apitest.CreateUsers(t, env, auth.RoleCustomer, 110)
	apitest.Exec(t, env, `UPDATE users SET created_at = created_at - interval '1 day' WHERE id = $1`, staff.ID)
	apitest.Exec(t, env, `
		INSERT INTO orders (user_id, total_cents, status, created_at)
		SELECT u.id, 100 * k, CASE WHEN k = 1 THEN 'cancelled' ELSE 'pending' END, now() - k * interval '1 minute'
		FROM users u CROSS JOIN generate_series(1, 6) AS k
		WHERE u.role = 'customer'`)
	require.Len(t, customers, 110)

	counts := map[int32]int{}
	for _, limit := range []int32{5, 100} {
		res, err := env.Client.ListDashboardUsersWithResponse(ctx, &client.ListDashboardUsersParams{Limit: &limit}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Len(t, res.JSON200.Data, int(limit))
		require.Equal(t, int64(111), res.JSON200.Pagination.Total)
		for _, d := range res.JSON200.Data {
			require.Equal(t, auth.RoleCustomer, string(d.User.Role))
			require.Equal(t, int64(6), d.OrderCount)
			require.Equal(t, int64(200+300+400+500+600), d.TotalSpentCents)
			require.Len(t, d.RecentOrders, 5)
			for i := 1; i < len(d.RecentOrders); i++ {
				require.True(t, d.RecentOrders[i-1].CreatedAt.After(d.RecentOrders[i].CreatedAt), "recent orders are not newest first")
			}
			require.Equal(t, int64(100), d.RecentOrders[0].TotalCents)
		}
		counts[limit] = apitest.QueryCount(t, res.HTTPResponse)
	}
	t.Logf("GET /dashboard/users statements: limit=5 → %d, limit=100 → %d", counts[5], counts[100])
	require.Equal(t, counts[5], counts[100], "the number of statements grows with the page")
	require.LessOrEqual(t, counts[100], 2)
}

func TestGetOrderStatementCountIsTheSameForOneItemAndFifty(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	ids := apitest.CreateProducts(t, env, 50, 10, 10)
	items := make([]client.OrderItemInput, len(ids))
	for i, id := range ids {
		items[i] = apitest.Item(id, 1)
	}

	counts := map[int]int{}
	for _, n := range []int{1, 50} {
		placed, err := env.Client.CreateOrderWithResponse(ctx, nil, client.CreateOrderRequest{Items: items[:n]}, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, placed.StatusCode(), string(placed.Body))
		t.Logf("POST /orders with %d item(s): %d statements", n, apitest.QueryCount(t, placed.HTTPResponse))

		res, err := env.Client.GetOrderWithResponse(ctx, placed.JSON201.Data.Id, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode())
		require.Len(t, res.JSON200.Data.Items, n)
		for _, it := range res.JSON200.Data.Items {
			require.NotEmpty(t, it.Name)
		}
		counts[n] = apitest.QueryCount(t, res.HTTPResponse)
	}
	t.Logf("GET /orders/{id} statements: 1 item → %d, 50 items → %d", counts[1], counts[50])
	require.Equal(t, counts[1], counts[50], "reading an order costs a statement per item")
	require.LessOrEqual(t, counts[50], 2)
}

func TestDashboardSummary(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	day := func(month time.Month, d, hour int) time.Time {
		return time.Date(2025, month, d, hour, 0, 0, 0, time.UTC)
	}

	staff := apitest.Staff(t, env)
	c := apitest.CreateUsers(t, env, auth.RoleCustomer, 3)
	apitest.SetCreatedAt(t, env, "users", staff.ID, time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC))
	apitest.SetCreatedAt(t, env, "users", c[0].ID, day(1, 5, 0))
	apitest.SetCreatedAt(t, env, "users", c[1].ID, day(2, 5, 0))
	apitest.SetCreatedAt(t, env, "users", c[2].ID, day(3, 5, 0))

	prices := map[string]int64{"A": 1000, "B": 900, "C": 800, "D": 700, "E": 600, "F": 350}
	prod := map[string]uuid.UUID{}
	for name, price := range prices {
		prod[name] = apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "SUM-" + name, Name: "Product " + name, PriceCents: price, Stock: 100}).ID
	}
	type line struct {
		product string
		qty     int32
	}
	for _, o := range []struct {
		user   apitest.User
		at     time.Time
		status string
		lines  []line
	}{
		{c[0], day(1, 10, 9), "pending", []line{{"A", 1}, {"F", 1}}}, // 1350
		{c[0], day(1, 20, 9), "paid", []line{{"B", 2}}},              // 1800
		{c[1], day(2, 10, 9), "shipped", []line{{"C", 1}, {"D", 1}}}, // 1500
		{c[1], day(2, 15, 9), "delivered", []line{{"E", 3}}},         // 1800
		{c[2], day(3, 1, 0), "cancelled", []line{{"A", 5}}},          // 5000, not revenue
		{c[2], day(3, 10, 9), "pending", []line{{"F", 1}, {"B", 1}}}, // 1250
	} {
		items := make([]client.OrderItemInput, len(o.lines))
		for i, l := range o.lines {
			items[i] = apitest.Item(prod[l.product], l.qty)
		}
		placed := apitest.PlaceOrder(t, env, o.user, items...)
		apitest.Exec(t, env, `UPDATE orders SET created_at = $2, status = $3 WHERE id = $1`, placed.Id, o.at, o.status)
	}
	top := func(name string, units, revenue int64) client.TopProduct {
		return client.TopProduct{ProductId: prod[name], Sku: "SUM-" + name, Name: "Product " + name, Units: units, RevenueCents: revenue}
	}

	tests := []struct {
		name   string
		params client.GetDashboardSummaryParams
		want   client.DashboardSummary
	}{
		{
			name: "without a period the figures cover all time; cancelled orders earn nothing; ties on revenue go by SKU",
			want: client.DashboardSummary{
				UsersTotal: 4, UsersNew: 4, OrdersTotal: 6,
				OrdersByStatus: client.OrdersByStatus{Pending: 2, Paid: 1, Shipped: 1, Delivered: 1, Cancelled: 1},
				RevenueCents:   1350 + 1800 + 1500 + 1800 + 1250,
				// D and F both earned 700; D wins the fifth place on its SKU.
				TopProducts: []client.TopProduct{top("B", 3, 2700), top("E", 3, 1800), top("A", 1, 1000), top("C", 1, 800), top("D", 1, 700)},
			},
		},
		{
			name:   "a period keeps the orders and new users within it",
			params: client.GetDashboardSummaryParams{From: apitest.Ptr(day(2, 1, 0)), To: apitest.Ptr(day(3, 1, 0))},
			want: client.DashboardSummary{
				From: apitest.Ptr(day(2, 1, 0)), To: apitest.Ptr(day(3, 1, 0)),
				UsersTotal: 4, UsersNew: 1, OrdersTotal: 2,
				OrdersByStatus: client.OrdersByStatus{Shipped: 1, Delivered: 1},
				RevenueCents:   3300,
				TopProducts:    []client.TopProduct{top("E", 3, 1800), top("C", 1, 800), top("D", 1, 700)},
			},
		},
		{
			name:   "from is inclusive",
			params: client.GetDashboardSummaryParams{From: apitest.Ptr(day(3, 1, 0)), To: apitest.Ptr(day(4, 1, 0))},
			want: client.DashboardSummary{
				From: apitest.Ptr(day(3, 1, 0)), To: apitest.Ptr(day(4, 1, 0)),
				UsersTotal: 4, UsersNew: 1, OrdersTotal: 2,
				OrdersByStatus: client.OrdersByStatus{Pending: 1, Cancelled: 1},
				RevenueCents:   1250,
				TopProducts:    []client.TopProduct{top("B", 1, 900), top("F", 1, 350)},
			},
		},
		{
			name:   "to is exclusive",
			params: client.GetDashboardSummaryParams{To: apitest.Ptr(day(3, 1, 0))},
			want: client.DashboardSummary{
				To:         apitest.Ptr(day(3, 1, 0)),
				UsersTotal: 4, UsersNew: 3, OrdersTotal: 4,
				OrdersByStatus: client.OrdersByStatus{Pending: 1, Paid: 1, Shipped: 1, Delivered: 1},
				RevenueCents:   1350 + 1800 + 1500 + 1800,
				TopProducts:    []client.TopProduct{top("B", 2, 1800), top("E", 3, 1800), top("A", 1, 1000), top("C", 1, 800), top("D", 1, 700)},
			},
		},
		{
			name:   "a period in another offset is echoed in UTC",
			params: client.GetDashboardSummaryParams{From: apitest.Ptr(day(2, 1, 1).In(time.FixedZone("CET", 3600))), To: apitest.Ptr(day(3, 1, 0))},
			want: client.DashboardSummary{
				From: apitest.Ptr(day(2, 1, 1)), To: apitest.Ptr(day(3, 1, 0)),
				UsersTotal: 4, UsersNew: 1, OrdersTotal: 2,
				OrdersByStatus: client.OrdersByStatus{Shipped: 1, Delivered: 1},
				RevenueCents:   3300,
				TopProducts:    []client.TopProduct{top("E", 3, 1800), top("C", 1, 800), top("D", 1, 700)},
			},
		},
		{
			name:   "an empty period gives zeros and no top products",
			params: client.GetDashboardSummaryParams{From: apitest.Ptr(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), To: apitest.Ptr(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))},
			want: client.DashboardSummary{
				From: apitest.Ptr(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), To: apitest.Ptr(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)),
				UsersTotal: 4, TopProducts: []client.TopProduct{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.GetDashboardSummaryWithResponse(ctx, &tt.params, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			got := res.JSON200.Data
			for _, ts := range []*time.Time{got.From, got.To} {
				if ts != nil {
					require.Equal(t, time.UTC, ts.Location())
				}
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, 1, apitest.QueryCount(t, res.HTTPResponse), "the summary is one statement")
		})
	}

	for _, tt := range []struct {
		name    string
		auth    client.RequestEditorFn
		params  client.GetDashboardSummaryParams
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "from equal to to is refused", auth: staff.Auth(),
			params: client.GetDashboardSummaryParams{From: apitest.Ptr(day(2, 1, 0)), To: apitest.Ptr(day(2, 1, 0))},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query from"}},
		{name: "from after to is refused", auth: staff.Auth(),
			params: client.GetDashboardSummaryParams{From: apitest.Ptr(day(3, 1, 0)), To: apitest.Ptr(day(2, 1, 0))},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query from"}},
		{name: "a customer may not read the summary", auth: c[0].Auth(),
			status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", auth: apitest.NoAuth,
			status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.GetDashboardSummaryWithResponse(ctx, &tt.params, tt.auth)
			require.NoError(t, err)
			e := apitest.RequireError(t, res, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
		})
	}
	t.Run("a from that is not a date-time is refused", func(t *testing.T) {
		res, body := env.Do(http.MethodGet, "/api/v1/dashboard/summary?from=last-week", "", nil, "Authorization", "Bearer "+staff.Token)
		e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "query from")
	})
}
