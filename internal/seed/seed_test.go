package seed_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/pgtest"
	"github.com/shopfloor/shopfloor/internal/seed"
)

// small is a data set that seeds in well under a second.
func small(s int64) seed.Options {
	return seed.Options{
		Users: 300, Products: 800, Orders: 2000, Seed: s, PasswordHash: "not-a-real-hash",
		Now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
	}
}

// checksums digests every seeded table, so two databases compare in one value each.
func checksums(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	queries := map[string]string{
		"users":       `SELECT md5(string_agg(concat_ws('|', id, email, name, role, password_hash, created_at), ',' ORDER BY email)) FROM users`,
		"profiles":    `SELECT md5(string_agg(concat_ws('|', p.user_id, phone, company, address_line1, address_line2, city, postal_code, country), ',' ORDER BY p.user_id)) FROM profiles p`,
		"products":    `SELECT md5(string_agg(concat_ws('|', id, sku, name, description, price_cents, stock, version, archived_at, created_at), ',' ORDER BY sku)) FROM products`,
		"orders":      `SELECT md5(string_agg(concat_ws('|', id, user_id, status, total_cents, note, created_at, updated_at), ',' ORDER BY id)) FROM orders`,
		"order_items": `SELECT md5(string_agg(concat_ws('|', order_id, product_id, quantity, unit_price_cents), ',' ORDER BY order_id, product_id)) FROM order_items`,
	}
	out := map[string]string{}
	for table, sql := range queries {
		var sum string
		require.NoError(t, pool.QueryRow(context.Background(), sql).Scan(&sum), table)
		out[table] = sum
	}
	return out
}

func seeded(t *testing.T, opts seed.Options) (*pgxpool.Pool, seed.Stats) {
	t.Helper()
	pool := pgtest.NewPool(t)
	stats, err := seed.Run(context.Background(), pool, opts, nil)
	require.NoError(t, err)
	return pool, stats
}

func TestTheSameSeedGivesTheSameData(t *testing.T) {
	t.Parallel()
	first, _ := seeded(t, small(7))
	second, _ := seeded(t, small(7))
	other, _ := seeded(t, small(8))

	want := checksums(t, first)
	assert.Equal(t, want, checksums(t, second))
	differ := checksums(t, other)
	for table := range want {
		assert.NotEqual(t, want[table], differ[table], "seed 8 gives other %s than seed 7", table)
	}
}

func TestSeededDataIsConsistent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opts := small(1)
	pool := pgtest.NewPool(t)
	schema := schemaOf(t, pool)
	var mu sync.Mutex
	last := map[string]int{}
	stats, err := seed.Run(ctx, pool, opts, func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		assert.GreaterOrEqual(t, done, last[stage], "progress of %s never goes back", stage)
		assert.LessOrEqual(t, done, total)
		last[stage] = done
	})
	require.NoError(t, err)
	assert.Equal(t, opts.Users, stats.Users)
	assert.Equal(t, opts.Products, stats.Products)
	assert.Equal(t, opts.Orders, stats.Orders)
	assert.Equal(t, map[string]int{
		seed.StageUsers: stats.Users, seed.StageProfiles: stats.Profiles, seed.StageProducts: stats.Products,
		seed.StageOrders: stats.Orders, seed.StageOrderItems: stats.OrderItems,
		seed.StageIndexes: max(1, last[seed.StageIndexes]), seed.StageFigures: 1, seed.StageAnalyze: 1,
	}, last, "every stage reports its end")
	assert.Equal(t, schema, schemaOf(t, pool), "the indexes and constraints dropped for the load are back as they were")

	counts := []struct {
		name, sql string
		check     func(n int64) bool
		args      []any
	}{
		{"order totals equal the sum of their lines", `SELECT count(*) FROM orders o
			WHERE total_cents <> (SELECT sum(quantity * unit_price_cents) FROM order_items WHERE order_id = o.id)`, zero, nil},
		{"lines are priced at the product's price", `SELECT count(*) FROM order_items oi
			JOIN products p ON p.id = oi.product_id WHERE oi.unit_price_cents <> p.price_cents`, zero, nil},
		{"every order has 1 to 5 lines", `SELECT count(*) FROM orders o
			WHERE (SELECT count(*) FROM order_items WHERE order_id = o.id) NOT BETWEEN 1 AND 5`, zero, nil},
		{"no order predates its account", `SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id
			WHERE o.created_at < u.created_at`, zero, nil},
		{"no order names a product created after it or archived", `SELECT count(*) FROM order_items oi
			JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id
			WHERE p.created_at > o.created_at OR p.archived_at IS NOT NULL`, zero, nil},
		{"orders fall in the last 365 days", `SELECT count(*) FROM orders
			WHERE created_at < $1::timestamptz - interval '365 days' OR created_at > $1`, zero, []any{opts.Now}},
		{"prices lie between $1 and $1000", `SELECT count(*) FROM products WHERE price_cents NOT BETWEEN 100 AND 100000`, zero, nil},
		{"some products are sold out", `SELECT count(*) FROM products WHERE stock = 0`, positive, nil},
		{"some products are archived", `SELECT count(*) FROM products WHERE archived_at IS NOT NULL`, positive, nil},
		{"stock is either none or plenty", `SELECT count(*) FROM products WHERE stock NOT IN (0, 1000000)`, zero, nil},
		{"user000001 is the admin", `SELECT count(*) FROM users WHERE role = 'admin' AND email = 'user000001@seed.test'`, equals(1), nil},
		{"some accounts are staff", `SELECT count(*) FROM users WHERE role = 'staff'`, positive, nil},
		{"some accounts have a profile", `SELECT count(*) FROM profiles`, positive, nil},
		{"every status occurs", `SELECT count(DISTINCT status) FROM orders`, equals(5), nil},
		{"skus follow SKU-000123", `SELECT count(*) FROM products WHERE sku !~ '^SKU-[0-9]{6}$'`, zero, nil},
	}
	for _, c := range counts {
		var n int64
		require.NoError(t, pool.QueryRow(ctx, c.sql, c.args...).Scan(&n), c.name)
		assert.True(t, c.check(n), "%s: got %d", c.name, n)
	}
}

// schemaOf lists every index and constraint of the public schema.
func schemaOf(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relnamespace = 'public'::regnamespace
		UNION ALL
		SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE connamespace = 'public'::regnamespace AND convalidated
		ORDER BY 1`)
	require.NoError(t, err)
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, list)
	return list
}

func zero(n int64) bool     { return n == 0 }
func positive(n int64) bool { return n > 0 }
func equals(want int64) func(int64) bool {
	return func(n int64) bool { return n == want }
}

func TestSeedingRefusesADatabaseWithData(t *testing.T) {
	t.Parallel()
	pool, _ := seeded(t, seed.Options{Users: 3, Products: 3, Orders: 3, Seed: 1, PasswordHash: "x"})

	_, err := seed.Run(context.Background(), pool, small(1), nil)
	require.ErrorIs(t, err, seed.ErrNotEmpty)
	assert.Contains(t, err.Error(), "database already has 3 users, 3 products and 3 orders")
}

func TestOrdersNeedAccountsAndProducts(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	_, err := seed.Run(context.Background(), pool, seed.Options{Orders: 10, PasswordHash: "x"}, nil)
	require.Error(t, err)
	var users int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&users))
	assert.Zero(t, users, "nothing is written when the options are wrong")
}
