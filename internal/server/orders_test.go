package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestCreateOrderTakesPricesFromTheCatalogAndTakesStock(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	staff := apitest.Staff(t, env)
	anvil := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "ANVIL-1", Name: "Anvil", PriceCents: 2500, Stock: 10})
	bolt := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "BOLT-1", Name: "Bolt", PriceCents: 199, Stock: 100})

	res, err := env.Client.CreateOrderWithResponse(ctx, nil, client.CreateOrderRequest{
		Items: []client.OrderItemInput{apitest.Item(bolt.ID, 10), apitest.Item(anvil.ID, 2)},
		Note:  apitest.Ptr("Leave it at the door"),
	}, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	order := res.JSON201.Data
	require.NotEqual(t, uuid.Nil, order.Id)
	require.Equal(t, customer.ID, order.UserId)
	require.Equal(t, client.OrderStatusPending, order.Status)
	require.Equal(t, int64(2*2500+10*199), order.TotalCents)
	require.Equal(t, "Leave it at the door", *order.Note)
	require.WithinDuration(t, time.Now(), order.CreatedAt, time.Minute)
	require.Equal(t, []client.OrderItem{
		{ProductId: anvil.ID, Sku: "ANVIL-1", Name: "Anvil", Quantity: 2, UnitPriceCents: 2500, LineTotalCents: 5000},
		{ProductId: bolt.ID, Sku: "BOLT-1", Name: "Bolt", Quantity: 10, UnitPriceCents: 199, LineTotalCents: 1990},
	}, order.Items)

	require.Equal(t, int32(8), apitest.Stock(t, env, anvil.ID))
	require.Equal(t, int32(90), apitest.Stock(t, env, bolt.ID))
	require.Equal(t, int64(1), apitest.Count(t, env, `SELECT count(*) FROM orders WHERE user_id = $1 AND total_cents = 6990`, customer.ID))
	require.Equal(t, int64(12), apitest.Count(t, env, `SELECT sum(quantity) FROM order_items WHERE order_id = $1`, order.Id))

	t.Run("reading the order gives what placing it answered", func(t *testing.T) {
		read, err := env.Client.GetOrderWithResponse(ctx, order.Id, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, read.StatusCode())
		require.Equal(t, order, read.JSON200.Data)
	})
	t.Run("a later price change does not touch a placed order", func(t *testing.T) {
		changed, err := env.Client.UpdateProductWithResponse(ctx, anvil.ID, nil,
			client.UpdateProductRequest{PriceCents: apitest.Ptr[int64](9999)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, changed.StatusCode())
		read, err := env.Client.GetOrderWithResponse(ctx, order.Id, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, int64(2500), read.JSON200.Data.Items[0].UnitPriceCents)
		require.Equal(t, int64(6990), read.JSON200.Data.TotalCents)
	})
	t.Run("a client cannot send prices", func(t *testing.T) {
		for _, body := range []string{
			fmt.Sprintf(`{"items":[{"productId":%q,"quantity":1,"unitPriceCents":1}]}`, bolt.ID),
			fmt.Sprintf(`{"items":[{"productId":%q,"quantity":1}],"totalCents":1}`, bolt.ID),
		} {
			res, raw := env.Do(http.MethodPost, "/api/v1/orders", "application/json", []byte(body), "Authorization", "Bearer "+customer.Token)
			e := apitest.RequireRawError(t, res, raw, http.StatusBadRequest, client.UNKNOWNFIELD)
			require.Len(t, *e.Details, 1)
			require.Contains(t, []string{"items.0.unitPriceCents", "totalCents"}, (*e.Details)[0].Field)
		}
		require.Equal(t, int32(90), apitest.Stock(t, env, bolt.ID))
	})
	t.Run("a blank note is not stored", func(t *testing.T) {
		res, err := env.Client.CreateOrderWithResponse(ctx, nil, client.CreateOrderRequest{
			Items: []client.OrderItemInput{apitest.Item(bolt.ID, 1)}, Note: apitest.Ptr("   ")}, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		require.Nil(t, res.JSON201.Data.Note)
	})
}

func TestCreateOrderOfOneHundredItems(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	customer := apitest.Customer(t, env)
	ids := apitest.CreateProducts(t, env, 100, 10, 5)
	items := make([]client.OrderItemInput, len(ids))
	for i, id := range ids {
		items[i] = apitest.Item(id, int32(1+i%5))
	}
	order := apitest.PlaceOrder(t, env, customer, items...)
	require.Len(t, order.Items, 100)
	var want int64
	for _, it := range items {
		want += int64(it.Quantity) * 10
	}
	require.Equal(t, want, order.TotalCents)
	require.Equal(t, int64(100*5)-want/10, apitest.Count(t, env, `SELECT sum(stock) FROM products`))
}

func TestCreateOrderRefusesBadItems(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "ITEM-1", Stock: 5})
	q := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "ITEM-2", Stock: 5})
	archived := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "ITEM-OLD", Stock: 5, Archived: true})

	many := make([]client.OrderItemInput, 101)
	for i := range many {
		many[i] = apitest.Item(uuid.New(), 1)
	}
	tests := []struct {
		name    string
		auth    client.RequestEditorFn
		key     *string
		body    client.CreateOrderRequest
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "an order without items is refused", body: client.CreateOrderRequest{Items: []client.OrderItemInput{}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items"}},
		{name: "an order of 101 items is refused", body: client.CreateOrderRequest{Items: many},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items"}},
		{name: "a product ordered twice is refused",
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1), apitest.Item(q.ID, 1), apitest.Item(p.ID, 2)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.2.productId"}},
		{name: "a quantity of 0 is refused", body: client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 0)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.0.quantity"}},
		{name: "a quantity of 1001 is refused", body: client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1001)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.0.quantity"}},
		{name: "every bad quantity is reported at once",
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 0), apitest.Item(q.ID, 1001)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.0.quantity", "body items.1.quantity"}},
		{name: "an unknown product is refused",
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1), apitest.Item(uuid.New(), 1)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.1.productId"}},
		{name: "an archived product is refused",
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(archived.ID, 1), apitest.Item(p.ID, 1)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.0.productId"}},
		{name: "unknown and archived products are reported together",
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(uuid.New(), 1), apitest.Item(archived.ID, 1), apitest.Item(p.ID, 99)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body items.0.productId", "body items.1.productId"}},
		{name: "a note over 500 characters is refused",
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1)}, Note: apitest.Ptr(strings.Repeat("n", 501))},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body note"}},
		{name: "an Idempotency-Key with a space is refused", key: apitest.Ptr("has space"),
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"header Idempotency-Key"}},
		{name: "an Idempotency-Key over 200 characters is refused", key: apitest.Ptr(strings.Repeat("k", 201)),
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1)}},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"header Idempotency-Key"}},
		{name: "an anonymous caller must authenticate", auth: apitest.NoAuth,
			body:   client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 1)}},
			status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			editor := customer.Auth()
			if tt.auth != nil {
				editor = tt.auth
			}
			res, err := env.Client.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: tt.key}, tt.body, editor)
			require.NoError(t, err)
			e := apitest.RequireError(t, res, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
			require.Equal(t, int32(5), apitest.Stock(t, env, p.ID))
			require.Equal(t, int32(5), apitest.Stock(t, env, q.ID))
			require.Equal(t, int32(5), apitest.Stock(t, env, archived.ID))
			require.Equal(t, int64(0), apitest.Count(t, env, `SELECT count(*) FROM orders`))
		})
	}
	t.Run("a body that is not an order is refused", func(t *testing.T) {
		res, raw := env.Do(http.MethodPost, "/api/v1/orders", "application/json", []byte(`{"items":`), "Authorization", "Bearer "+customer.Token)
		apitest.RequireRawError(t, res, raw, http.StatusBadRequest, client.BADREQUEST)
		res, raw = env.Do(http.MethodPost, "/api/v1/orders", "application/json", []byte(`{}`), "Authorization", "Bearer "+customer.Token)
		e := apitest.RequireRawError(t, res, raw, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "body items")
	})
}

func TestCreateOrderWithTooLittleStockMovesNoStock(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	plenty := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "PLENTY-1", Stock: 50})
	scarce := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "SCARCE-1", Stock: 2})
	none := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "NONE-1", Stock: 0})

	res, err := env.Client.CreateOrderWithResponse(ctx, nil, client.CreateOrderRequest{Items: []client.OrderItemInput{
		apitest.Item(plenty.ID, 5), apitest.Item(scarce.ID, 3), apitest.Item(none.ID, 1),
	}}, customer.Auth())
	require.NoError(t, err)
	e := apitest.RequireError(t, res, http.StatusConflict, client.INSUFFICIENTSTOCK)
	apitest.RequireDetails(t, e, "body items.1.quantity", "body items.2.quantity")
	require.Contains(t, apitest.DetailMessage(t, e, "items.1.quantity"), "3 requested but only 2")
	require.Contains(t, apitest.DetailMessage(t, e, "items.1.quantity"), "SCARCE-1")
	require.Contains(t, apitest.DetailMessage(t, e, "items.2.quantity"), "1 requested but only 0")
	require.Contains(t, apitest.DetailMessage(t, e, "items.2.quantity"), "NONE-1")

	require.Equal(t, int32(50), apitest.Stock(t, env, plenty.ID), "stock moved on a product that had enough")
	require.Equal(t, int32(2), apitest.Stock(t, env, scarce.ID))
	require.Equal(t, int32(0), apitest.Stock(t, env, none.ID))
	require.Equal(t, int64(0), apitest.Count(t, env, `SELECT count(*) FROM orders`))
	require.Equal(t, int64(0), apitest.Count(t, env, `SELECT count(*) FROM order_items`))

	t.Run("ordering exactly the stock succeeds and leaves none", func(t *testing.T) {
		apitest.PlaceOrder(t, env, customer, apitest.Item(scarce.ID, 2), apitest.Item(plenty.ID, 50))
		require.Equal(t, int32(0), apitest.Stock(t, env, scarce.ID))
		require.Equal(t, int32(0), apitest.Stock(t, env, plenty.ID))
	})
}

func TestPlacingAndReadingAnOrderListTheLinesAlikeUnderALinguisticCollation(t *testing.T) {
	t.Parallel()
	// A database whose default collation is ICU's root locale, where "Banana" sorts
	// after "apple" and "Éclair" before "zebra", unlike in byte order. ICU collations
	// need no operating-system locale.
	icu := pgtest.NewDBWith(t, "LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C'")
	env := apitest.New(t, func(c *config.Config) { c.DatabaseURL = icu })
	ctx := context.Background()
	var provider string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT datlocprovider::text FROM pg_database WHERE datname = current_database()`).Scan(&provider))
	require.Equal(t, "i", provider, "the test database does not collate with ICU")

	customer := apitest.Customer(t, env)
	var items []client.OrderItemInput
	for _, name := range []string{"zebra", "Éclair", "Banana", "apple"} {
		p := apitest.CreateProduct(t, env, apitest.ProductOpts{Name: name, Stock: 5})
		items = append(items, apitest.Item(p.ID, 1))
	}
	placed := apitest.PlaceOrder(t, env, customer, items...)
	names := make([]string, len(placed.Items))
	for i, it := range placed.Items {
		names[i] = it.Name
	}
	require.Equal(t, []string{"apple", "Banana", "Éclair", "zebra"}, names, "placing lists the lines in the database's order")

	read, err := env.Client.GetOrderWithResponse(ctx, placed.Id, customer.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, read.StatusCode(), string(read.Body))
	require.Equal(t, placed, read.JSON200.Data, "placing and reading the order list its lines differently")
}

func TestCreateOrderStatementCounts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	ids := apitest.CreateProducts(t, env, 50, 10, 10)
	scarce := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 0})
	items := make([]client.OrderItemInput, len(ids))
	for i, id := range ids {
		items[i] = apitest.Item(id, 1)
	}
	key := func() *client.CreateOrderParams {
		k := uuid.NewString()
		return &client.CreateOrderParams{IdempotencyKey: &k}
	}
	retried := key()

	// The products an order names stay locked from the statement that places it to
	// the commit: without a key that statement is the whole request; with one, the
	// response is saved after it and then the transaction commits.
	for _, tt := range []struct {
		name       string
		params     *client.CreateOrderParams
		items      []client.OrderItemInput
		status     int
		statements int
	}{
		{"an order of one item is one statement", nil, items[:1], http.StatusCreated, 1},
		{"an order of fifty items is one statement", nil, items, http.StatusCreated, 1},
		{"an order refused for stock is one statement", nil, []client.OrderItemInput{items[1], apitest.Item(scarce.ID, 1)}, http.StatusConflict, 1},
		{"an order refused for an unknown product is one statement", nil, []client.OrderItemInput{apitest.Item(uuid.New(), 1)}, http.StatusBadRequest, 1},
		{"with a key: begin, lock the products, claim, place, save, commit", retried, items[2:4], http.StatusCreated, 6},
		{"a retry: begin, lock the products, claim, read the saved response, commit", retried, items[2:4], http.StatusCreated, 5},
		{"with a key, refused for stock: begin, lock the products, claim, place, rollback", key(), []client.OrderItemInput{apitest.Item(scarce.ID, 1)}, http.StatusConflict, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.CreateOrderWithResponse(ctx, tt.params, client.CreateOrderRequest{Items: tt.items}, customer.Auth())
			require.NoError(t, err)
			require.Equal(t, tt.status, res.StatusCode(), string(res.Body))
			require.Equal(t, tt.statements, apitest.QueryCount(t, res.HTTPResponse))
		})
	}
}

func TestCreateOrderWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	alice := apitest.Customer(t, env)
	bob := apitest.Customer(t, env)
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "IDEM-1", PriceCents: 400, Stock: 100})
	q := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "IDEM-2", PriceCents: 900, Stock: 100})
	body := client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 2), apitest.Item(q.ID, 1)}, Note: apitest.Ptr("once")}
	place := func(u apitest.User, key string, b client.CreateOrderRequest) *client.CreateOrderResponse {
		t.Helper()
		res, err := env.Client.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key}, b, u.Auth())
		require.NoError(t, err)
		return res
	}
	ordersOf := func(u apitest.User) int64 {
		return apitest.Count(t, env, `SELECT count(*) FROM orders WHERE user_id = $1`, u.ID)
	}

	key := "order-" + uuid.NewString()
	first := place(alice, key, body)
	require.Equal(t, http.StatusCreated, first.StatusCode(), string(first.Body))
	orderID := first.JSON201.Data.Id

	t.Run("a retry with the same key and body replays the first response", func(t *testing.T) {
		for range 3 {
			retry := place(alice, key, body)
			require.Equal(t, http.StatusCreated, retry.StatusCode())
			require.True(t, bytes.Equal(first.Body, retry.Body), "bodies differ:\n%s\n%s", first.Body, retry.Body)
			require.Equal(t, "application/json", retry.HTTPResponse.Header.Get("Content-Type"))
		}
		require.Equal(t, int64(1), ordersOf(alice))
		require.Equal(t, int32(98), apitest.Stock(t, env, p.ID), "a replay took stock again")
		require.Equal(t, int32(99), apitest.Stock(t, env, q.ID))
	})
	t.Run("the same key with another body is 409 IDEMPOTENCY_CONFLICT", func(t *testing.T) {
		for _, other := range []client.CreateOrderRequest{
			{Items: []client.OrderItemInput{apitest.Item(p.ID, 3), apitest.Item(q.ID, 1)}, Note: apitest.Ptr("once")},
			{Items: []client.OrderItemInput{apitest.Item(p.ID, 2), apitest.Item(q.ID, 1)}},
		} {
			res := place(alice, key, other)
			e := apitest.RequireError(t, res, http.StatusConflict, client.IDEMPOTENCYCONFLICT)
			apitest.RequireDetails(t, e, "header Idempotency-Key")
		}
		require.Equal(t, int64(1), ordersOf(alice))
		require.Equal(t, int32(98), apitest.Stock(t, env, p.ID))
	})
	t.Run("keys belong to their user: another user's same key places its own order", func(t *testing.T) {
		res := place(bob, key, body)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		require.NotEqual(t, orderID, res.JSON201.Data.Id)
		require.Equal(t, bob.ID, res.JSON201.Data.UserId)
		require.Equal(t, int64(1), ordersOf(bob))
		require.Equal(t, int64(1), ordersOf(alice))
		require.Equal(t, int32(96), apitest.Stock(t, env, p.ID))
	})
	t.Run("an expired key may be used again", func(t *testing.T) {
		apitest.Exec(t, env, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND key = $2`, alice.ID, key)
		again := place(alice, key, body)
		require.Equal(t, http.StatusCreated, again.StatusCode(), string(again.Body))
		require.NotEqual(t, orderID, again.JSON201.Data.Id)
		require.Equal(t, int64(2), ordersOf(alice))

		// From now on the key replays the new order.
		retry := place(alice, key, body)
		require.Equal(t, http.StatusCreated, retry.StatusCode())
		require.True(t, bytes.Equal(again.Body, retry.Body))
		require.Equal(t, int64(2), ordersOf(alice))
	})
	t.Run("an expired key may be used for another body", func(t *testing.T) {
		apitest.Exec(t, env, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND key = $2`, alice.ID, key)
		other := client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(q.ID, 4)}}
		res := place(alice, key, other)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		require.Equal(t, int64(3600), res.JSON201.Data.TotalCents)
		require.Equal(t, int64(3), ordersOf(alice))
	})
	t.Run("without a key every request places an order", func(t *testing.T) {
		before := ordersOf(bob)
		apitest.PlaceOrder(t, env, bob, body.Items...)
		apitest.PlaceOrder(t, env, bob, body.Items...)
		require.Equal(t, before+2, ordersOf(bob))
	})
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	alice := apitest.Customer(t, env)
	bob := apitest.Customer(t, env)
	staff := apitest.Staff(t, env)
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 1000, PriceCents: 100})

	// Placed in this order, an hour apart from 10:00: A1, B1, A2, B2, A3.
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(hour int) time.Time { return base.Add(time.Duration(hour) * time.Hour) }
	ids := map[string]uuid.UUID{}
	for i, o := range []struct {
		name string
		user apitest.User
	}{{"A1", alice}, {"B1", bob}, {"A2", alice}, {"B2", bob}, {"A3", alice}} {
		order := apitest.PlaceOrder(t, env, o.user, apitest.Item(p.ID, int32(i+1)))
		apitest.Exec(t, env, `UPDATE orders SET created_at = $2 WHERE id = $1`, order.Id, at(i))
		ids[o.name] = order.Id
	}
	apitest.MoveOrder(t, env, staff, ids["A2"], client.OrderStatusCancelled)
	apitest.MoveOrder(t, env, staff, ids["B1"], client.OrderStatusPaid)

	status := func(s client.OrderStatus) *client.OrderStatus { return &s }
	tests := []struct {
		name   string
		caller apitest.User
		params client.ListOrdersParams
		want   []string
		paging *client.Pagination
	}{
		{name: "a customer sees only their own orders, newest first", caller: alice,
			want: []string{"A3", "A2", "A1"}},
		{name: "a customer may name themselves as userId", caller: alice, params: client.ListOrdersParams{UserId: &alice.ID},
			want: []string{"A3", "A2", "A1"}},
		{name: "another customer sees only theirs", caller: bob,
			want: []string{"B2", "B1"}},
		{name: "a customer filters their own orders by status", caller: alice, params: client.ListOrdersParams{Status: status("pending")},
			want: []string{"A3", "A1"}},
		{name: "staff see every order, newest first", caller: staff,
			want: []string{"A3", "B2", "A2", "B1", "A1"}},
		{name: "staff filter by user", caller: staff, params: client.ListOrdersParams{UserId: &bob.ID},
			want: []string{"B2", "B1"}},
		{name: "staff filter by status cancelled", caller: staff, params: client.ListOrdersParams{Status: status("cancelled")},
			want: []string{"A2"}},
		{name: "staff filter by status paid", caller: staff, params: client.ListOrdersParams{Status: status("paid")},
			want: []string{"B1"}},
		{name: "staff filter by status pending", caller: staff, params: client.ListOrdersParams{Status: status("pending")},
			want: []string{"A3", "B2", "A1"}},
		{name: "staff combine user and status", caller: staff, params: client.ListOrdersParams{UserId: &alice.ID, Status: status("pending")},
			want: []string{"A3", "A1"}},
		{name: "a status nobody has gives an empty page", caller: staff, params: client.ListOrdersParams{Status: status("delivered")},
			want: []string{}},
		{name: "from is inclusive and to exclusive", caller: staff, params: client.ListOrdersParams{From: apitest.Ptr(at(1)), To: apitest.Ptr(at(3))},
			want: []string{"A2", "B1"}},
		{name: "from alone keeps what was placed at or after it", caller: staff, params: client.ListOrdersParams{From: apitest.Ptr(at(3))},
			want: []string{"A3", "B2"}},
		{name: "to alone keeps what was placed before it", caller: staff, params: client.ListOrdersParams{To: apitest.Ptr(at(1))},
			want: []string{"A1"}},
		{name: "times in another offset mean the same instant", caller: staff,
			params: client.ListOrdersParams{From: apitest.Ptr(at(1).In(time.FixedZone("CET", 3600))), To: apitest.Ptr(at(2).In(time.FixedZone("EST", -5*3600)))},
			want:   []string{"B1"}},
		{name: "a customer's period keeps only their own orders", caller: bob, params: client.ListOrdersParams{From: apitest.Ptr(at(0)), To: apitest.Ptr(at(3))},
			want: []string{"B1"}},
		{name: "pages are cut from the newest", caller: staff, params: client.ListOrdersParams{Limit: apitest.Ptr[int32](2), Page: apitest.Ptr[int32](2)},
			want: []string{"A2", "B1"}, paging: &client.Pagination{Page: 2, Limit: 2, Total: 5, TotalExact: true, Pages: 3}},
		{name: "a page past the end is empty and still counts", caller: staff, params: client.ListOrdersParams{Limit: apitest.Ptr[int32](2), Page: apitest.Ptr[int32](4)},
			want: []string{}, paging: &client.Pagination{Page: 4, Limit: 2, Total: 5, TotalExact: true, Pages: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ListOrdersWithResponse(ctx, &tt.params, tt.caller.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			got := make([]string, len(res.JSON200.Data))
			for i, o := range res.JSON200.Data {
				for name, id := range ids {
					if id == o.Id {
						got[i] = name
					}
				}
			}
			require.Equal(t, tt.want, got)
			paging := client.Pagination{Page: 1, Limit: 20, Total: int64(len(tt.want)), TotalExact: true, Pages: int32((len(tt.want) + 19) / 20)}
			if tt.paging != nil {
				paging = *tt.paging
			}
			apitest.RequirePagination(t, paging, res.JSON200.Pagination)
		})
	}

	t.Run("the summaries carry status, total and owner", func(t *testing.T) {
		res, err := env.Client.ListOrdersWithResponse(ctx, &client.ListOrdersParams{UserId: &bob.ID}, staff.Auth())
		require.NoError(t, err)
		b1 := res.JSON200.Data[1]
		require.Equal(t, ids["B1"], b1.Id)
		require.Equal(t, bob.ID, b1.UserId)
		require.Equal(t, client.OrderStatusPaid, b1.Status)
		require.Equal(t, int64(200), b1.TotalCents)
		require.True(t, b1.CreatedAt.Equal(at(1)))
	})

	refusals := []struct {
		name    string
		auth    client.RequestEditorFn
		query   string
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "a customer may not list another user's orders", auth: alice.Auth(), query: "userId=" + bob.ID.String(),
			status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "from equal to to is refused", auth: staff.Auth(), query: "from=2025-03-01T12:00:00Z&to=2025-03-01T12:00:00Z",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query from"}},
		{name: "from after to is refused", auth: staff.Auth(), query: "from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query from"}},
		{name: "an unknown status is refused", auth: staff.Auth(), query: "status=lost",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query status"}},
		{name: "a userId that is not a UUID is refused", auth: staff.Auth(), query: "userId=42",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query userId"}},
		{name: "a from that is not a date-time is refused", auth: staff.Auth(), query: "from=yesterday",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"query from"}},
		{name: "an anonymous caller must authenticate", auth: apitest.NoAuth,
			status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, env.URL+"/api/v1/orders?"+tt.query, nil)
			require.NoError(t, err)
			require.NoError(t, tt.auth(ctx, req))
			res, err := env.HTTP.Do(req)
			require.NoError(t, err)
			parsed, err := client.ParseListOrdersResponse(res)
			require.NoError(t, err)
			e := apitest.RequireError(t, parsed, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
		})
	}
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	owner := apitest.Customer(t, env)
	stranger := apitest.Customer(t, env)
	staff := apitest.Staff(t, env)
	admin := apitest.CreateUsers(t, env, auth.RoleAdmin, 1)[0]
	zebra := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "ZEBRA-1", Name: "Zebra plush", PriceCents: 1500, Stock: 5})
	apple := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "APPLE-1", Name: "Apple crate", PriceCents: 250, Stock: 5})
	order := apitest.PlaceOrder(t, env, owner, apitest.Item(zebra.ID, 1), apitest.Item(apple.ID, 4))

	for _, tt := range []struct {
		name   string
		caller apitest.User
	}{
		{"the owner reads the order with its items and product names", owner},
		{"staff read any order", staff},
		{"admins read any order", admin},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.GetOrderWithResponse(ctx, order.Id, tt.caller.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			got := res.JSON200.Data
			require.Equal(t, order, got)
			require.Equal(t, owner.ID, got.UserId)
			require.Equal(t, int64(1500+4*250), got.TotalCents)
			require.Equal(t, []client.OrderItem{
				{ProductId: apple.ID, Sku: "APPLE-1", Name: "Apple crate", Quantity: 4, UnitPriceCents: 250, LineTotalCents: 1000},
				{ProductId: zebra.ID, Sku: "ZEBRA-1", Name: "Zebra plush", Quantity: 1, UnitPriceCents: 1500, LineTotalCents: 1500},
			}, got.Items)
		})
	}
	for _, tt := range []struct {
		name   string
		id     uuid.UUID
		auth   client.RequestEditorFn
		status int
		code   client.ErrorCode
	}{
		{name: "another customer gets 404, as if the order did not exist", id: order.Id, auth: stranger.Auth(), status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "an unknown id is 404", id: uuid.New(), auth: staff.Auth(), status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "an anonymous caller must authenticate", id: order.Id, auth: apitest.NoAuth, status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.GetOrderWithResponse(ctx, tt.id, tt.auth)
			require.NoError(t, err)
			apitest.RequireError(t, res, tt.status, tt.code)
		})
	}
	t.Run("another customer's 404 reads exactly like an unknown id's", func(t *testing.T) {
		theirs, err := env.Client.GetOrderWithResponse(ctx, order.Id, stranger.Auth())
		require.NoError(t, err)
		unknown, err := env.Client.GetOrderWithResponse(ctx, uuid.New(), stranger.Auth())
		require.NoError(t, err)
		require.Equal(t, unknown.JSON404.Error.Message, theirs.JSON404.Error.Message)
	})
	t.Run("a malformed id is 400 naming the path parameter", func(t *testing.T) {
		res, raw := env.Do(http.MethodGet, "/api/v1/orders/123", "", nil, "Authorization", "Bearer "+owner.Token)
		e := apitest.RequireRawError(t, res, raw, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "path id")
	})
}

func TestCancelOrder(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	owner := apitest.Customer(t, env)
	stranger := apitest.Customer(t, env)
	staff := apitest.Staff(t, env)

	tests := []struct {
		name     string
		from     client.OrderStatus
		caller   apitest.User
		unknown  bool
		status   int
		code     client.ErrorCode
		returned bool // whether the stock comes back
	}{
		{name: "the owner cancels a pending order and its stock returns", from: "pending", caller: owner,
			status: http.StatusOK, returned: true},
		{name: "staff cancel a pending order and its stock returns", from: "pending", caller: staff,
			status: http.StatusOK, returned: true},
		{name: "staff cancel a paid order and its stock returns", from: "paid", caller: staff,
			status: http.StatusOK, returned: true},
		{name: "the owner may not cancel a paid order", from: "paid", caller: owner,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "nobody cancels a shipped order", from: "shipped", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "nobody cancels a delivered order", from: "delivered", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "a cancelled order cannot be cancelled again, nor its stock returned twice", from: "cancelled", caller: owner,
			status: http.StatusConflict, code: client.INVALIDSTATE, returned: true},
		{name: "another customer gets 404 and the order stands", from: "pending", caller: stranger,
			status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "an unknown order is 404", from: "pending", caller: staff, unknown: true,
			status: http.StatusNotFound, code: client.NOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 10})
			q := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 10})
			order := apitest.PlaceOrder(t, env, owner, apitest.Item(p.ID, 3), apitest.Item(q.ID, 1))
			apitest.MoveOrder(t, env, staff, order.Id, tt.from)
			id := order.Id
			if tt.unknown {
				id = uuid.New()
			}
			res, err := env.Client.CancelOrderWithResponse(ctx, id, tt.caller.Auth())
			require.NoError(t, err)
			if tt.status == http.StatusOK {
				require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
				require.Equal(t, client.OrderStatusCancelled, res.JSON200.Data.Status)
				require.Equal(t, order.Id, res.JSON200.Data.Id)
				require.Equal(t, order.Items, res.JSON200.Data.Items)
				require.Equal(t, order.TotalCents, res.JSON200.Data.TotalCents)
				require.False(t, res.JSON200.Data.UpdatedAt.Before(order.UpdatedAt))
				require.Equal(t, "cancelled", apitest.OrderStatus(t, env, order.Id))
			} else {
				apitest.RequireError(t, res, tt.status, tt.code)
				require.Equal(t, string(tt.from), apitest.OrderStatus(t, env, order.Id), "a refused cancel moved the order")
			}
			wantP, wantQ := int32(7), int32(9)
			if tt.returned {
				wantP, wantQ = 10, 10
			}
			require.Equal(t, wantP, apitest.Stock(t, env, p.ID))
			require.Equal(t, wantQ, apitest.Stock(t, env, q.ID))
		})
	}
	t.Run("an anonymous caller must authenticate", func(t *testing.T) {
		p := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 10})
		order := apitest.PlaceOrder(t, env, owner, apitest.Item(p.ID, 3))
		res, err := env.Client.CancelOrderWithResponse(ctx, order.Id, apitest.NoAuth)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
		require.Equal(t, "pending", apitest.OrderStatus(t, env, order.Id))
	})
}

func TestUpdateOrderStatus(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	owner := apitest.Customer(t, env)
	staff := apitest.Staff(t, env)
	admin := apitest.CreateUsers(t, env, auth.RoleAdmin, 1)[0]
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 1000})

	t.Run("an order moves pending → paid → shipped → delivered", func(t *testing.T) {
		order := apitest.PlaceOrder(t, env, owner, apitest.Item(p.ID, 2))
		prev := order.UpdatedAt
		for i, next := range []client.UpdateOrderStatusRequestStatus{"paid", "shipped", "delivered"} {
			caller := staff
			if i == 1 {
				caller = admin
			}
			res, err := env.Client.UpdateOrderStatusWithResponse(ctx, order.Id, client.UpdateOrderStatusRequest{Status: next}, caller.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			got := res.JSON200.Data
			require.Equal(t, client.OrderStatus(next), got.Status)
			require.Equal(t, order.Items, got.Items)
			require.Equal(t, order.CreatedAt, got.CreatedAt)
			require.False(t, got.UpdatedAt.Before(prev))
			prev = got.UpdatedAt
			require.Equal(t, string(next), apitest.OrderStatus(t, env, order.Id))
		}
		require.Equal(t, int32(998), apitest.Stock(t, env, p.ID), "moving an order forward touched stock")
	})

	tests := []struct {
		name    string
		from    client.OrderStatus
		to      client.UpdateOrderStatusRequestStatus
		caller  apitest.User
		unknown bool
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "pending cannot skip to shipped", from: "pending", to: "shipped", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "pending cannot skip to delivered", from: "pending", to: "delivered", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "paid cannot become paid again", from: "paid", to: "paid", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "paid cannot skip to delivered", from: "paid", to: "delivered", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "shipped cannot go back to paid", from: "shipped", to: "paid", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "delivered is final", from: "delivered", to: "shipped", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "a cancelled order cannot be paid", from: "cancelled", to: "paid", caller: staff,
			status: http.StatusConflict, code: client.INVALIDSTATE},
		{name: "a customer may not move even their own order", from: "pending", to: "paid", caller: owner,
			status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an unknown order is 404", from: "pending", to: "paid", caller: staff, unknown: true,
			status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "cancelling is not a status move", from: "pending", to: "cancelled", caller: staff,
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body status"}},
		{name: "pending is not a status to move to", from: "paid", to: "pending", caller: staff,
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order := apitest.PlaceOrder(t, env, owner, apitest.Item(p.ID, 1))
			apitest.MoveOrder(t, env, staff, order.Id, tt.from)
			id := order.Id
			if tt.unknown {
				id = uuid.New()
			}
			res, err := env.Client.UpdateOrderStatusWithResponse(ctx, id, client.UpdateOrderStatusRequest{Status: tt.to}, tt.caller.Auth())
			require.NoError(t, err)
			e := apitest.RequireError(t, res, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
			require.Equal(t, string(tt.from), apitest.OrderStatus(t, env, order.Id))
		})
	}
	t.Run("an anonymous caller must authenticate", func(t *testing.T) {
		order := apitest.PlaceOrder(t, env, owner, apitest.Item(p.ID, 1))
		res, err := env.Client.UpdateOrderStatusWithResponse(ctx, order.Id, client.UpdateOrderStatusRequest{Status: "paid"}, apitest.NoAuth)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
		require.Equal(t, "pending", apitest.OrderStatus(t, env, order.Id))
	})
}

func TestConcurrentOrdersForOneHotProductNeverOversell(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.PatientPool)
	ctx := context.Background()
	// A flash sale: every order names the hot product, with another product beside it
	// in either order, some with an Idempotency-Key (placed in a transaction that saves
	// the response) and some without (one statement, its own transaction).
	const stock, orders = 50, 120
	hot := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "FLASH-1", PriceCents: 900, Stock: stock})
	side := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "FLASH-SIDE", PriceCents: 100, Stock: 1000})
	customers := apitest.CreateUsers(t, env, auth.RoleCustomer, orders)

	type attempt struct {
		params *client.CreateOrderParams
		body   client.CreateOrderRequest
	}
	attempts := make([]attempt, orders)
	for i := range attempts {
		items := []client.OrderItemInput{apitest.Item(hot.ID, 1), apitest.Item(side.ID, 2)}
		if i%2 == 1 {
			items[0], items[1] = items[1], items[0]
		}
		attempts[i].body = client.CreateOrderRequest{Items: items}
		if i%3 == 0 {
			k := uuid.NewString()
			attempts[i].params = &client.CreateOrderParams{IdempotencyKey: &k}
		}
	}
	outcomes := make([]apitest.Outcome, orders)
	apitest.AtOnce(orders, func(i int) {
		a := attempts[i]
		res, err := env.Client.CreateOrderWithResponse(ctx, a.params, a.body, customers[i].Auth())
		outcomes[i] = apitest.OutcomeOf(res, err)
	})

	var placed, refused int
	hotLine := func(i int) int {
		if i%2 == 1 {
			return 1
		}
		return 0
	}
	for i, o := range outcomes {
		require.NoError(t, o.Err, "request %d", i)
		switch {
		case o.Status == http.StatusCreated:
			placed++
		case o.Status == http.StatusConflict && o.Code == client.INSUFFICIENTSTOCK:
			refused++
			var e client.ErrorEnvelope
			require.NoError(t, json.Unmarshal(o.Body, &e))
			require.NotNil(t, e.Error.Details)
			require.Len(t, *e.Error.Details, 1, "only the hot product is short: %s", o.Body)
			d := (*e.Error.Details)[0]
			require.Equal(t, fmt.Sprintf("items.%d.quantity", hotLine(i)), d.Field)
			require.Contains(t, d.Message, "1 requested but only 0")
			require.Contains(t, d.Message, "FLASH-1")
		default:
			require.Failf(t, "unexpected answer", "request %d: %d %s", i, o.Status, o.Body)
		}
	}
	t.Logf("flash sale: %d orders for %d in stock: %d placed, %d refused, final stock %d", orders, stock, placed, refused, apitest.Stock(t, env, hot.ID))
	require.Equal(t, stock, placed)
	require.Equal(t, orders-stock, refused)
	require.Equal(t, int32(0), apitest.Stock(t, env, hot.ID))
	require.Equal(t, int32(1000-2*stock), apitest.Stock(t, env, side.ID), "a refused order took stock of the product it had enough of")
	require.Equal(t, int64(stock), apitest.Count(t, env, `SELECT count(*) FROM orders`))
	require.Equal(t, int64(stock), apitest.Count(t, env, `SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = $1`, hot.ID))
	require.Equal(t, int64(2*stock), apitest.Count(t, env, `SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = $1`, side.ID))
	require.Equal(t, int64(0), apitest.Count(t, env, `SELECT count(*) FROM orders o WHERE total_cents <> 900 + 2 * 100
		OR (SELECT count(*) FROM order_items oi WHERE oi.order_id = o.id) <> 2`), "an order without both its lines, or with another total")

	t.Run("each placed order reads as it was answered, and a keyed retry replays it", func(t *testing.T) {
		for i, o := range outcomes {
			if o.Status != http.StatusCreated {
				continue
			}
			var first client.OrderEnvelope
			require.NoError(t, json.Unmarshal(o.Body, &first))
			read, err := env.Client.GetOrderWithResponse(ctx, first.Data.Id, customers[i].Auth())
			require.NoError(t, err)
			require.Equal(t, first.Data, read.JSON200.Data)
			if attempts[i].params != nil {
				retry, err := env.Client.CreateOrderWithResponse(ctx, attempts[i].params, attempts[i].body, customers[i].Auth())
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, retry.StatusCode())
				require.True(t, bytes.Equal(o.Body, retry.Body), "request %d: the retry answered differently", i)
			}
		}
		require.Equal(t, int64(stock), apitest.Count(t, env, `SELECT count(*) FROM orders`))
		require.Equal(t, int32(0), apitest.Stock(t, env, hot.ID))
	})
	apitest.RequireCleanLogs(t, env)
}

func TestConcurrentOrdersAndCancellationsConserveStock(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.PatientPool)
	ctx := context.Background()
	const initial = 150
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "CONS-P", PriceCents: 100, Stock: initial})
	q := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "CONS-Q", PriceCents: 300, Stock: initial})
	customers := apitest.CreateUsers(t, env, auth.RoleCustomer, 40)
	staff := apitest.Staff(t, env)

	// Twenty orders exist beforehand: ten pending for their owners to cancel, ten
	// paid for staff to cancel, while new orders pour in.
	var ownerCancels, staffCancels []client.Order
	for i := range 20 {
		o := apitest.PlaceOrder(t, env, customers[i], apitest.Item(p.ID, 2), apitest.Item(q.ID, 1))
		if i%2 == 0 {
			ownerCancels = append(ownerCancels, o)
		} else {
			apitest.MoveOrder(t, env, staff, o.Id, client.OrderStatusPaid)
			staffCancels = append(staffCancels, o)
		}
	}

	type job func() []apitest.Outcome
	placing := func(u apitest.User, items []client.OrderItemInput) (apitest.Outcome, *client.CreateOrderResponse) {
		res, err := env.Client.CreateOrderWithResponse(ctx, nil, client.CreateOrderRequest{Items: items}, u.Auth())
		o := apitest.OutcomeOf(res, err)
		o.Kind = "place"
		return o, res
	}
	cancelling := func(u apitest.User, id uuid.UUID) apitest.Outcome {
		res, err := env.Client.CancelOrderWithResponse(ctx, id, u.Auth())
		o := apitest.OutcomeOf(res, err)
		o.Kind = "cancel"
		return o
	}
	var jobs []job
	for i := range 60 {
		// Half list P first, half Q first: the server must lock in one order regardless.
		a, b := apitest.Item(p.ID, int32(1+i%4)), apitest.Item(q.ID, int32(1+i%3))
		items := []client.OrderItemInput{a, b}
		if i%2 == 1 {
			items = []client.OrderItemInput{b, a}
		}
		u := customers[i%len(customers)]
		jobs = append(jobs, func() []apitest.Outcome {
			o, _ := placing(u, items)
			return []apitest.Outcome{o}
		})
	}
	for i, o := range ownerCancels {
		u := customers[2*i]
		jobs = append(jobs, func() []apitest.Outcome { return []apitest.Outcome{cancelling(u, o.Id)} })
	}
	for _, o := range staffCancels {
		jobs = append(jobs, func() []apitest.Outcome { return []apitest.Outcome{cancelling(staff, o.Id)} })
	}
	for i := range 20 {
		// Place, then cancel at once, in the thick of it.
		u := customers[20+i]
		items := []client.OrderItemInput{apitest.Item(q.ID, 2), apitest.Item(p.ID, 2)}
		if i%2 == 1 {
			items[0], items[1] = items[1], items[0]
		}
		jobs = append(jobs, func() []apitest.Outcome {
			placed, res := placing(u, items)
			if placed.Status != http.StatusCreated {
				return []apitest.Outcome{placed}
			}
			return []apitest.Outcome{placed, cancelling(u, res.JSON201.Data.Id)}
		})
	}

	results := make([][]apitest.Outcome, len(jobs))
	apitest.AtOnce(len(jobs), func(i int) { results[i] = jobs[i]() })

	counts := map[string]int{}
	for i, rs := range results {
		for _, o := range rs {
			require.NoError(t, o.Err, "job %d", i)
			ok := o.Kind == "cancel" && o.Status == http.StatusOK ||
				o.Kind == "place" && o.Status == http.StatusCreated ||
				o.Kind == "place" && o.Status == http.StatusConflict && o.Code == client.INSUFFICIENTSTOCK
			require.True(t, ok, "job %d: %s answered %d %s", i, o.Kind, o.Status, o.Body)
			counts[fmt.Sprintf("%s %d", o.Kind, o.Status)]++
		}
	}
	t.Logf("orders and cancellations: %v", counts)
	require.Positive(t, counts["place 201"])
	require.Equal(t, int64(counts["cancel 200"]), apitest.Count(t, env, `SELECT count(*) FROM orders WHERE status = 'cancelled'`))

	for _, prod := range []struct {
		name string
		id   uuid.UUID
	}{{"P", p.ID}, {"Q", q.ID}} {
		stock := apitest.Stock(t, env, prod.id)
		held := apitest.Count(t, env, `
			SELECT coalesce(sum(oi.quantity), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id
			WHERE oi.product_id = $1 AND o.Status <> 'cancelled'`, prod.id)
		t.Logf("product %s: stock %d + units in live orders %d = %d", prod.name, stock, held, int64(stock)+held)
		require.GreaterOrEqual(t, stock, int32(0))
		require.Equal(t, int64(initial), int64(stock)+held, "product %s: stock was lost or made up", prod.name)
	}
	apitest.RequireCleanLogs(t, env)
}

func TestConcurrentRetriesWithTheSameIdempotencyKeyPlaceOneOrder(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	customer := apitest.Customer(t, env)
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "RETRY-1", PriceCents: 250, Stock: 100})
	key := uuid.NewString()
	body := client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(p.ID, 3)}}

	const retries = 25
	outcomes := make([]apitest.Outcome, retries)
	apitest.AtOnce(retries, func(i int) {
		res, err := env.Client.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key}, body, customer.Auth())
		outcomes[i] = apitest.OutcomeOf(res, err)
	})

	for i, o := range outcomes {
		require.NoError(t, o.Err)
		require.Equal(t, http.StatusCreated, o.Status, "request %d: %s", i, o.Body)
		require.True(t, bytes.Equal(outcomes[0].Body, o.Body), "request %d answered differently:\n%s\n%s", i, outcomes[0].Body, o.Body)
	}
	require.Equal(t, int64(1), apitest.Count(t, env, `SELECT count(*) FROM orders WHERE user_id = $1`, customer.ID))
	require.Equal(t, int32(97), apitest.Stock(t, env, p.ID))
	apitest.RequireCleanLogs(t, env)
}

// A row the handler relies on that is not there is a bug, not the client's mistake:
// the client gets the generic 500 envelope and the cause is logged, where it used to
// get a 404 with an empty message. A trigger that silently skips every update of an
// order makes OrderSetStatus, run on the row OrderLock holds, return no row.
func TestAMissingRowTheHandlerReliesOnIsA500NotA404(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	staff := apitest.Staff(t, env)
	product := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 5})
	order := apitest.PlaceOrder(t, env, apitest.Customer(t, env), apitest.Item(product.ID, 1))
	apitest.Exec(t, env, `CREATE FUNCTION skip_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`)
	apitest.Exec(t, env, `CREATE TRIGGER orders_skip_update BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION skip_update()`)

	res, err := env.Client.UpdateOrderStatusWithResponse(context.Background(), order.Id,
		client.UpdateOrderStatusRequest{Status: client.UpdateOrderStatusRequestStatusPaid}, staff.Auth())
	require.NoError(t, err)
	e := apitest.RequireError(t, res, http.StatusInternalServerError, client.INTERNALERROR)
	require.Equal(t, "An unexpected error occurred", e.Message)
	require.Nil(t, e.Details)
	require.Equal(t, "pending", apitest.OrderStatus(t, env, order.Id))

	var logged []map[string]any
	for _, line := range apitest.LogLines(t, env) {
		if line["msg"] == "request failed" {
			logged = append(logged, line)
		}
	}
	require.Len(t, logged, 1, "the failure is logged once")
	require.EqualValues(t, http.StatusInternalServerError, logged[0]["status"])
	require.Equal(t, e.RequestId, logged[0]["requestId"])
	require.Contains(t, logged[0]["cause"], "no rows in result set")
}
