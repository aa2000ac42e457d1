package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

// shopOrderOfSizes places one order per size, each of that many distinct products
// (taken from products in turn), oldest first, and returns them as placed.
func shopOrderOfSizes(t *testing.T, env *apitest.Env, u apitest.User, products []uuid.UUID, sizes ...int) []client.Order {
	t.Helper()
	orders := make([]client.Order, len(sizes))
	for i, n := range sizes {
		items := make([]client.OrderItemInput, n)
		for j := range items {
			items[j] = apitest.Item(products[(i+j)%len(products)], int32(1+j%3))
		}
		orders[i] = apitest.PlaceOrder(t, env, u, items...)
	}
	return orders
}

func TestListOrdersWithItemsCostsTheSameForOneOrderAndFifty(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	products := apitest.CreateProducts(t, env, 40, 250, 1000)
	// Fifty orders of 1 to 40 lines: "My orders" with what each one bought.
	sizes := make([]int, 50)
	for i := range sizes {
		sizes[i] = 1 + (i*7)%40
	}
	placed := shopOrderOfSizes(t, env, customer, products, sizes...)
	byID := map[uuid.UUID]client.Order{}
	for _, o := range placed {
		byID[o.Id] = o
	}

	include := client.Items
	counts := map[int32]int{}
	for _, limit := range []int32{1, 50} {
		res, err := env.Client.ListOrdersWithResponse(ctx, &client.ListOrdersParams{Limit: &limit, Include: &include}, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Len(t, res.JSON200.Data, int(limit))
		for _, o := range res.JSON200.Data {
			want, ok := byID[o.Id]
			require.True(t, ok, "an order that was not placed is listed")
			require.NotNil(t, o.Items, "include=items leaves out the lines of order %s", o.Id)
			require.Equal(t, want.Items, *o.Items, "the list's lines differ from the placed order's")
			require.Equal(t, int32(len(want.Items)), o.ItemCount)
		}
		counts[limit] = apitest.QueryCount(t, res.HTTPResponse)
	}
	t.Logf("GET /orders?include=items statements: 1 order → %d, 50 orders of up to 40 lines → %d", counts[1], counts[50])
	require.Equal(t, counts[1], counts[50], "the number of statements grows with the page")
	require.Equal(t, 2, counts[50], "the page and its lines are one statement each")

	// Without include the lines stay out but the count is there, in one statement.
	limit := int32(50)
	res, err := env.Client.ListOrdersWithResponse(ctx, &client.ListOrdersParams{Limit: &limit}, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Len(t, res.JSON200.Data, 50)
	for _, o := range res.JSON200.Data {
		require.Nil(t, o.Items, "the lines are listed without include=items")
		require.Equal(t, int32(len(byID[o.Id].Items)), o.ItemCount)
	}
	require.Equal(t, 1, apitest.QueryCount(t, res.HTTPResponse), "a page with line counts is one statement")
}

func TestListOrdersWithItems(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	alice, bob, staff := apitest.Customer(t, env), apitest.Customer(t, env), apitest.Staff(t, env)
	products := apitest.CreateProducts(t, env, 6, 300, 100)
	mine := shopOrderOfSizes(t, env, alice, products, 3, 1, 2)
	theirs := shopOrderOfSizes(t, env, bob, products, 4)
	// An order whose lines are gone (as no API path leaves one) still lists, with none.
	var empty uuid.UUID
	apitest.Exec(t, env, `INSERT INTO orders (user_id, total_cents) VALUES ($1, 0)`, bob.ID)
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM orders WHERE user_id = $1 AND total_cents = 0`, bob.ID).Scan(&empty))
	include := client.Items
	list := func(t *testing.T, u apitest.User, p client.ListOrdersParams) *client.ListOrdersResponse {
		t.Helper()
		res, err := env.Client.ListOrdersWithResponse(ctx, &p, u.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res
	}

	t.Run("a customer's lines are their own orders' lines, newest order first", func(t *testing.T) {
		res := list(t, alice, client.ListOrdersParams{Include: &include})
		require.Len(t, res.JSON200.Data, 3)
		for i, o := range res.JSON200.Data {
			want := mine[len(mine)-1-i]
			require.Equal(t, want.Id, o.Id)
			require.Equal(t, want.Items, *o.Items)
			require.Equal(t, int32(len(want.Items)), o.ItemCount)
		}
	})

	t.Run("staff see every order's lines, and none for an order without any", func(t *testing.T) {
		res := list(t, staff, client.ListOrdersParams{UserId: &bob.ID, Include: &include})
		require.Len(t, res.JSON200.Data, 2)
		require.Equal(t, empty, res.JSON200.Data[0].Id)
		require.NotNil(t, res.JSON200.Data[0].Items)
		require.Empty(t, *res.JSON200.Data[0].Items)
		require.Equal(t, int32(0), res.JSON200.Data[0].ItemCount)
		require.Equal(t, theirs[0].Items, *res.JSON200.Data[1].Items)
	})

	t.Run("the lines are the lines getOrder returns", func(t *testing.T) {
		res := list(t, alice, client.ListOrdersParams{Include: &include})
		for _, o := range res.JSON200.Data {
			one, err := env.Client.GetOrderWithResponse(ctx, o.Id, alice.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, one.StatusCode())
			require.Equal(t, one.JSON200.Data.Items, *o.Items)
		}
	})

	t.Run("a cursor issued without include is followed with it", func(t *testing.T) {
		first := list(t, alice, client.ListOrdersParams{Limit: apitest.Ptr[int32](2)})
		require.NotNil(t, first.JSON200.Pagination.NextCursor)
		next := list(t, alice, client.ListOrdersParams{Limit: apitest.Ptr[int32](2), Cursor: first.JSON200.Pagination.NextCursor, Include: &include})
		require.Len(t, next.JSON200.Data, 1)
		require.Equal(t, mine[0].Id, next.JSON200.Data[0].Id)
		require.Equal(t, mine[0].Items, *next.JSON200.Data[0].Items)
		require.Equal(t, int32(2), next.JSON200.Pagination.Page)
	})

	t.Run("a page past the end is empty and reads no lines", func(t *testing.T) {
		res := list(t, alice, client.ListOrdersParams{Include: &include, Page: apitest.Ptr[int32](3), Limit: apitest.Ptr[int32](2)})
		require.Empty(t, res.JSON200.Data)
		require.Equal(t, int64(3), res.JSON200.Pagination.Total)
		require.Equal(t, 2, apitest.QueryCount(t, res.HTTPResponse), "the page and the count, no lines")
	})

	t.Run("an unknown include is refused, naming it", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, env.URL+"/api/v1/orders?include=products", nil)
		require.NoError(t, err)
		require.NoError(t, alice.Auth()(ctx, req))
		res, err := env.HTTP.Do(req)
		require.NoError(t, err)
		parsed, err := client.ParseListOrdersResponse(res)
		require.NoError(t, err)
		e := apitest.RequireError(t, parsed, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "query include")
	})
}
