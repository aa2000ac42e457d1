package replicatest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/server"
)

// readAfter is a request editor that sends a write's X-Read-After back.
func readAfter(lsn string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(server.ReadAfterHeader, lsn)
		return nil
	}
}

// Representative operations through a server with a streaming replica: the writes
// run on the primary and hand back X-Read-After; every read the brief names (the
// catalog, the lists, an order, the dashboard, the summary) is answered by the
// standby, which pg_stat_statements on each server proves query by query: the
// primary ran none of those reads. Auth reads (me) stay on the primary.
func TestReadsAreServedByTheReplica(t *testing.T) {
	t.Parallel()
	rs := newReplicated(t, nil)
	env := apitest.New(t, apitest.OnReplicas(rs.primaryURL, 5*time.Second, rs.standbyURL))
	ctx := context.Background()
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	customer := env.CreateUser(apitest.UserOpts{})

	// Writes, each answered with the primary's position after its commit.
	var lastWrite string
	wrote := func(res *http.Response) {
		t.Helper()
		lsn := res.Header.Get(server.ReadAfterHeader)
		require.Regexp(t, `^[0-9A-F]{1,8}/[0-9A-F]{1,8}$`, lsn, "a successful write carries X-Read-After")
		lastWrite = lsn
	}
	sku := "RR-" + strings.ToUpper(uuid.NewString()[:8])
	created, err := env.Client.CreateProductWithResponse(ctx, client.CreateProductJSONRequestBody{
		Sku: sku, Name: "Replica Widget", PriceCents: 1500, Stock: 10}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), string(created.Body))
	wrote(created.HTTPResponse)
	product := created.JSON201.Data
	placed, err := env.Client.CreateOrderWithResponse(ctx, nil, client.CreateOrderJSONRequestBody{
		Items: []client.OrderItemInput{{ProductId: product.Id, Quantity: 2}}}, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, placed.StatusCode(), string(placed.Body))
	wrote(placed.HTTPResponse)
	order := placed.JSON201.Data
	paid, err := env.Client.UpdateOrderStatusWithResponse(ctx, order.Id,
		client.UpdateOrderStatusJSONRequestBody{Status: client.UpdateOrderStatusRequestStatusPaid}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, paid.StatusCode(), string(paid.Body))
	wrote(paid.HTTPResponse)

	// Once the standby has replayed the writes and the server counts it in
	// rotation, read everything without X-Read-After.
	replayedPast(t, rs.standbyURL, lastWrite)
	inRotation(t, env)
	primaryBefore, standbyBefore := calls(t, rs.primaryURL), calls(t, rs.standbyURL)
	replicaReadsBefore := metric(t, env, "shopfloor_db_replica_reads_total", "")

	sortByName := client.ListProductsParamsSortName
	list, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Q: &sku, Sort: &sortByName})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.Len(t, list.JSON200.Data, 1)
	require.Equal(t, product.Id, list.JSON200.Data[0].Id)
	require.EqualValues(t, 8, list.JSON200.Data[0].Stock, "the replica has the stock the order took")
	all, err := env.Client.ListProductsWithResponse(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, all.StatusCode(), string(all.Body))
	require.EqualValues(t, 1, all.JSON200.Pagination.Total)

	got, err := env.Client.GetProductWithResponse(ctx, product.Id, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	etag := got.HTTPResponse.Header.Get("ETag")
	same, err := env.Client.GetProductWithResponse(ctx, product.Id, &client.GetProductParams{IfNoneMatch: &etag})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotModified, same.StatusCode())

	orders, err := env.Client.ListOrdersWithResponse(ctx, nil, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, orders.StatusCode(), string(orders.Body))
	require.Len(t, orders.JSON200.Data, 1)
	require.Equal(t, client.OrderStatusPaid, orders.JSON200.Data[0].Status)
	one, err := env.Client.GetOrderWithResponse(ctx, order.Id, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, one.StatusCode(), string(one.Body))
	require.Len(t, one.JSON200.Data.Items, 1)
	require.Equal(t, "Replica Widget", one.JSON200.Data.Items[0].Name)

	users, err := env.Client.ListUsersWithResponse(ctx, nil, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, users.StatusCode(), string(users.Body))
	require.EqualValues(t, 2, users.JSON200.Pagination.Total)
	dash, err := env.Client.ListDashboardUsersWithResponse(ctx, nil, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, dash.StatusCode(), string(dash.Body))
	require.Len(t, dash.JSON200.Data, 2)
	summary, err := env.Client.GetDashboardSummaryWithResponse(ctx, nil, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, summary.StatusCode(), string(summary.Body))
	require.EqualValues(t, 1, summary.JSON200.Data.OrdersTotal)
	require.EqualValues(t, 3000, summary.JSON200.Data.RevenueCents)

	primaryReads := since(primaryBefore, calls(t, rs.primaryURL))
	standbyReads := since(standbyBefore, calls(t, rs.standbyURL))
	t.Logf("reads run by the standby: %v; by the primary: %v", standbyReads, primaryReads)
	for _, q := range []string{"ProductListByName", "ProductListNewest", "ProductGet", "OrderList", "OrderGet",
		"OrderItemsByOrder", "UserListNewest", "DashboardUsers", "DashboardRecentOrders", "DashboardSummary"} {
		require.Positive(t, standbyReads[q], "%s ran on the standby", q)
		require.Zero(t, primaryReads[q], "%s did not run on the primary", q)
	}
	require.Greater(t, metric(t, env, "shopfloor_db_replica_reads_total", ""), replicaReadsBefore,
		"/metrics counts the replica's reads")

	// A read that carries the last write's position goes to the standby once the
	// server has seen it replay that far (at its next check).
	eventually(t, 10*time.Second, "a read with X-Read-After is served by the replica", func() bool {
		before := metric(t, env, "shopfloor_db_replica_reads_total", "")
		res, err := env.Client.GetOrderWithResponse(ctx, order.Id, customer.Auth(), readAfter(lastWrite))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return metric(t, env, "shopfloor_db_replica_reads_total", "") > before
	})

	// Auth stays on the primary, as does everything a write does.
	primaryBefore, standbyBefore = calls(t, rs.primaryURL), calls(t, rs.standbyURL)
	me, err := env.Client.GetCurrentUserWithResponse(ctx, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
	require.Positive(t, since(primaryBefore, calls(t, rs.primaryURL))["UserGet"], "me reads the primary")
	require.Zero(t, since(standbyBefore, calls(t, rs.standbyURL))["UserGet"], "me never reads a replica")

	ready, _ := env.Do(http.MethodGet, "/readyz", "", nil)
	require.Equal(t, http.StatusOK, ready.StatusCode)
	require.Equal(t, float64(1), metric(t, env, "shopfloor_db_replica_up", ""))
}
