package server_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

// placerOrder is one order of a queue test and the answer it must get.
type placerOrder struct {
	name     string
	user     apitest.User
	key      string
	quantity int32
	note     string
	status   int
}

// placerQueue holds the product's row lock, places a first order that waits for it,
// queues the others behind it one at a time (so that they queue in this order), then
// lets go. The first order is placed alone; the ones queued behind it go in one batch.
// It returns each order's response, in the order of orders.
func placerQueue(t *testing.T, env *apitest.Env, product uuid.UUID, first placerOrder, orders []placerOrder) []*client.CreateOrderResponse {
	t.Helper()
	ctx := context.Background()
	hold, err := env.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = hold.Rollback(ctx) }()
	_, err = hold.Exec(ctx, `SELECT FROM products WHERE id = $1 FOR UPDATE`, product)
	require.NoError(t, err)

	all := append([]placerOrder{first}, orders...)
	out := make([]*client.CreateOrderResponse, len(all))
	var wg sync.WaitGroup
	send := func(i int) {
		o := all[i]
		var params *client.CreateOrderParams
		if o.key != "" {
			params = &client.CreateOrderParams{IdempotencyKey: &o.key}
		}
		body := client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(product, o.quantity)}}
		if o.note != "" {
			body.Note = &o.note
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := env.Client.CreateOrderWithResponse(ctx, params, body, o.user.Auth())
			if err == nil {
				out[i] = res
			}
		}()
	}

	send(0)
	require.Eventually(t, func() bool {
		var waiting int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
		return waiting == 1
	}, 10*time.Second, 5*time.Millisecond, "the first order never waited for the product's lock")
	for i := 1; i < len(all); i++ {
		send(i)
		require.Eventually(t, func() bool { return env.Metric("shopfloor_orders_queued") == float64(i) },
			10*time.Second, 2*time.Millisecond, "order %d never queued", i)
	}
	require.NoError(t, hold.Rollback(ctx))
	wg.Wait()

	for i, o := range all {
		require.NotNil(t, out[i], o.name)
		require.Equal(t, o.status, out[i].StatusCode(), "%s: %s", o.name, out[i].Body)
	}
	require.Equal(t, 0.0, env.Metric("shopfloor_orders_queued"))
	require.Equal(t, 2.0, env.Metric("shopfloor_order_batch_size_count"), "the first order alone, then one batch")
	require.Equal(t, float64(len(all)), env.Metric("shopfloor_order_batch_size_sum"))
	return out
}

func TestOrdersQueuedForOneProductArePlacedTogether(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	product := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 10, PriceCents: 100})
	users := apitest.CreateUsers(t, env, "customer", 4)
	key, refusedKey, lastKey := uuid.NewString(), uuid.NewString(), uuid.NewString()

	out := placerQueue(t, env, product.ID,
		placerOrder{name: "the first order, alone", user: users[0], quantity: 1, status: http.StatusCreated},
		[]placerOrder{
			{name: "three without a key", user: users[0], quantity: 3, status: http.StatusCreated},
			{name: "two with a key", user: users[1], key: key, quantity: 2, status: http.StatusCreated},
			{name: "the same key and body again: the same order", user: users[1], key: key, quantity: 2, status: http.StatusCreated},
			{name: "five with a key, more than is left", user: users[2], key: refusedKey, quantity: 5, status: http.StatusConflict},
			{name: "five without a key, more than is left", user: users[0], quantity: 5, status: http.StatusConflict},
			{name: "the last four", user: users[3], quantity: 4, status: http.StatusCreated},
			{name: "one with a key, when none is left", user: users[3], key: lastKey, quantity: 1, status: http.StatusConflict},
		})

	require.Equal(t, out[2].JSON201.Data.Id, out[3].JSON201.Data.Id, "a retry in the same batch replays the order")
	require.Equal(t, string(out[2].Body), string(out[3].Body))
	for _, i := range []int{4, 5, 7} {
		require.Equal(t, client.INSUFFICIENTSTOCK, out[i].JSON409.Error.Code)
	}
	require.Contains(t, (*out[5].JSON409.Error.Details)[0].Message, "5 requested but only 4")
	require.Contains(t, (*out[7].JSON409.Error.Details)[0].Message, "1 requested but only 0")

	require.Equal(t, int32(0), apitest.Stock(t, env, product.ID))
	require.Equal(t, int64(4), apitest.Count(t, env, `SELECT count(*) FROM orders`))
	require.Equal(t, int64(10), apitest.Count(t, env, `SELECT sum(quantity) FROM order_items WHERE product_id = $1`, product.ID))
	require.Equal(t, int64(1), apitest.Count(t, env, `SELECT count(*) FROM idempotency_keys WHERE key = $1 AND status = 201`, key))
	require.Equal(t, int64(0), apitest.Count(t, env, `SELECT count(*) FROM idempotency_keys WHERE key = ANY($1)`,
		[]string{refusedKey, lastKey}), "a refused order's savepoint took its key's claim back")

	// Each order is dated when it was placed, not when its batch began.
	var dates int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(DISTINCT created_at) FROM orders`).Scan(&dates))
	require.Equal(t, int64(4), dates)
	apitest.RequireCleanLogs(t, env)
}

func TestABatchThatFailsPlacesItsOrdersOneByOne(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	product := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 10, PriceCents: 100})
	users := apitest.CreateUsers(t, env, "customer", 2)
	// A fault only this order meets: the database refuses its row, which fails the
	// statement and with it the batch's transaction.
	apitest.Exec(t, env, `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN RAISE EXCEPTION 'refused by the test'; END$$`)
	apitest.Exec(t, env, `CREATE TRIGGER refuse_boom BEFORE INSERT ON orders FOR EACH ROW
		WHEN (NEW.note = 'boom') EXECUTE FUNCTION refuse_boom()`)
	key := uuid.NewString()

	out := placerQueue(t, env, product.ID,
		placerOrder{name: "the first order, alone", user: users[0], quantity: 1, status: http.StatusCreated},
		[]placerOrder{
			{name: "an order before the fault", user: users[0], quantity: 2, status: http.StatusCreated},
			{name: "the order the database refuses", user: users[1], quantity: 1, note: "boom", status: http.StatusInternalServerError},
			{name: "an order with a key after the fault", user: users[1], key: key, quantity: 3, status: http.StatusCreated},
		})

	require.Equal(t, client.INTERNALERROR, out[2].JSON500.Error.Code)
	require.Equal(t, int32(4), apitest.Stock(t, env, product.ID))
	require.Equal(t, int64(3), apitest.Count(t, env, `SELECT count(*) FROM orders`))
	require.Equal(t, int64(6), apitest.Count(t, env, `SELECT sum(quantity) FROM order_items`))
	require.Equal(t, int64(1), apitest.Count(t, env, `SELECT count(*) FROM idempotency_keys WHERE key = $1 AND status = 201`, key))
	require.Contains(t, env.Logs(), "refused by the test")

	// The keyed order's retry replays what was committed.
	retry, err := env.Client.CreateOrderWithResponse(context.Background(), &client.CreateOrderParams{IdempotencyKey: &key},
		client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(product.ID, 3)}}, users[1].Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, retry.StatusCode())
	require.Equal(t, out[3].JSON201.Data.Id, retry.JSON201.Data.Id)
}
