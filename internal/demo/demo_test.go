package demo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/demo"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestLoadCreatesAConsistentShopOnceOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	hasher, err := auth.NewHasher(auth.MinBcryptCost, 2)
	require.NoError(t, err)

	require.NoError(t, demo.Load(ctx, pool, hasher))
	require.NoError(t, demo.Load(ctx, pool, hasher), "a second load finds everything there")

	var users, products, soldOut int
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM products),
		(SELECT count(*) FROM products WHERE stock = 0)`).Scan(&users, &products, &soldOut))
	assert.Equal(t, len(demo.Accounts), users)
	assert.Equal(t, len(demo.Products), products)
	assert.Equal(t, 1, soldOut)

	var statuses []string
	require.NoError(t, pool.QueryRow(ctx, `SELECT array_agg(status ORDER BY status) FROM orders`).Scan(&statuses))
	assert.Equal(t, []string{"cancelled", "paid", "pending", "pending", "shipped"}, statuses)

	var wrongTotals int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM orders o WHERE total_cents <>
		(SELECT sum(oi.quantity * oi.unit_price_cents) FROM order_items oi WHERE oi.order_id = o.id)`).Scan(&wrongTotals))
	assert.Zero(t, wrongTotals, "order totals equal the sum of their lines")

	// Stock left is the starting stock less what the orders not cancelled hold.
	rows, err := pool.Query(ctx, `SELECT p.sku, p.stock + coalesce((SELECT sum(oi.quantity) FROM order_items oi
		JOIN orders o ON o.id = oi.order_id WHERE oi.product_id = p.id AND o.status <> 'cancelled'), 0)
		FROM products p`)
	require.NoError(t, err)
	started := map[string]int32{}
	for rows.Next() {
		var sku string
		var stock int32
		require.NoError(t, rows.Scan(&sku, &stock))
		started[sku] = stock
	}
	require.NoError(t, rows.Err())
	for _, p := range demo.Products {
		assert.Equal(t, p.Stock, started[p.SKU], "stock of %s", p.SKU)
	}
}
