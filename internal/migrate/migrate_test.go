package migrate_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/migrate"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestUpStatusDownUp(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t) // already migrated by the harness
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	if err := migrate.Up(ctx, dbURL, log); err != nil {
		t.Fatalf("Up on a current database: %v", err)
	}
	if strings.Contains(logs.String(), `"msg":"applied migration"`) {
		t.Errorf("Up on a current database applied something:\n%s", logs.String())
	}
	status := statusOf(ctx, t, dbURL)
	if !strings.Contains(status, "00001_accounts.sql") || strings.Contains(status, "pending") {
		t.Errorf("status after Up:\n%s", status)
	}

	// Down one step at a time, through every migration.
	files, err := fs.Glob(shopfloor.Migrations, "schema/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded migrations: %v", err)
	}
	for range files {
		if err := migrate.Down(ctx, dbURL, log); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	if hasUsers(ctx, t, dbURL) {
		t.Error("users table still present after every Down")
	}
	if status := statusOf(ctx, t, dbURL); strings.Count(status, "pending") != len(files) {
		t.Errorf("status after every Down does not show all %d pending:\n%s", len(files), status)
	}

	logs.Reset()
	if err := migrate.Up(ctx, dbURL, log); err != nil {
		t.Fatalf("Up after Down: %v", err)
	}
	if !hasUsers(ctx, t, dbURL) {
		t.Error("users table missing after Up")
	}
	for i, f := range files {
		want := fmt.Sprintf(`"msg":"applied migration","direction":"up","version":%d,"name":"%s"`, i+1, path.Base(f))
		if !strings.Contains(logs.String(), want) {
			t.Errorf("Up did not log %s:\n%s", path.Base(f), logs.String())
		}
	}
	t.Logf("status:\n%s", statusOf(ctx, t, dbURL))
}

func TestDownWithNothingApplied(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	for {
		if err := migrate.Down(ctx, dbURL, nil); err != nil {
			if !strings.Contains(err.Error(), "no applied migration") {
				t.Fatalf("Down past the first migration: %v", err)
			}
			break
		}
	}
}

func statusOf(ctx context.Context, t *testing.T, dbURL string) string {
	t.Helper()
	var b bytes.Buffer
	if err := migrate.Status(ctx, dbURL, &b); err != nil {
		t.Fatalf("Status: %v", err)
	}
	return b.String()
}

func hasUsers(ctx context.Context, t *testing.T, dbURL string) bool {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('users') IS NOT NULL").Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestMaintainedFiguresAreBackfilled rolls a database back to before the maintained
// figures (schema/00004), fills it, migrates it up, and checks that the migration
// computed every figure from the rows already there.
func TestMaintainedFiguresAreBackfilled(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exists := func() bool {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass('counters') IS NOT NULL").Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for exists() {
		if err := migrate.Down(ctx, dbURL, nil); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO users (email, name, password_hash, created_at)
		SELECT 'backfill' || g || '@example.com', 'User ' || g, 'x', now() - g * interval '7 hours'
		FROM generate_series(1, 40) g;
		INSERT INTO products (sku, name, price_cents, stock, archived_at)
		SELECT 'BF-' || g, 'Product ' || g, 100 * g, 1000, CASE WHEN g = 3 THEN now() END
		FROM generate_series(1, 6) g;
		INSERT INTO orders (user_id, status, total_cents, created_at)
		SELECT (SELECT id FROM users ORDER BY email LIMIT 1 OFFSET g % 40),
		       (ARRAY['pending','paid','shipped','delivered','cancelled'])[1 + g % 5], 0,
		       now() - g * interval '5 hours'
		FROM generate_series(1, 60) g;
		INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
		SELECT o.id, p.id, 1 + (abs(hashtext(o.id::text || p.id::text)) % 3), p.price_cents
		FROM orders o CROSS JOIN products p
		WHERE abs(hashtext(o.id::text || p.sku)) % 2 = 0;
		UPDATE orders o SET total_cents = coalesce((SELECT sum(quantity * unit_price_cents) FROM order_items WHERE order_id = o.id), 0);`)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.Up(ctx, dbURL, nil); err != nil {
		t.Fatalf("Up: %v", err)
	}
	checks := []struct{ name, sql string }{
		{"users", `SELECT counter_value('users') = (SELECT count(*) FROM users)`},
		{"live products", `SELECT counter_value('products_live') = (SELECT count(*) FROM products WHERE archived_at IS NULL)`},
		{"orders", `SELECT counter_value('orders') = (SELECT count(*) FROM orders)`},
		{"orders by day and status", `SELECT NOT EXISTS (
			(SELECT day, status, orders, total_cents FROM order_day_stats
			 EXCEPT SELECT (created_at AT TIME ZONE 'UTC')::date, status, count(*), sum(total_cents) FROM orders GROUP BY 1, 2)
			UNION ALL
			(SELECT (created_at AT TIME ZONE 'UTC')::date, status, count(*), sum(total_cents) FROM orders GROUP BY 1, 2
			 EXCEPT SELECT day, status, orders, total_cents FROM order_day_stats))`},
		{"sales by day and product", `SELECT NOT EXISTS (
			(SELECT day, product_id, units, revenue_cents FROM product_day_sales
			 EXCEPT SELECT (o.created_at AT TIME ZONE 'UTC')::date, i.product_id, sum(i.quantity), sum(i.quantity * i.unit_price_cents)
			        FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.status <> 'cancelled' GROUP BY 1, 2)
			UNION ALL
			(SELECT (o.created_at AT TIME ZONE 'UTC')::date, i.product_id, sum(i.quantity), sum(i.quantity * i.unit_price_cents)
			 FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.status <> 'cancelled' GROUP BY 1, 2
			 EXCEPT SELECT day, product_id, units, revenue_cents FROM product_day_sales))`},
		{"all-time sales", `SELECT (SELECT sum(revenue_cents) FROM product_sales) = (SELECT sum(revenue_cents) FROM product_day_sales)
			AND (SELECT count(*) FROM product_sales) = (SELECT count(DISTINCT product_id) FROM product_day_sales)`},
		{"sign-ups by day", `SELECT (SELECT sum(users) FROM user_day_signups) = 40 AND (SELECT count(*) FROM user_day_signups) > 5`},
		{"no delta left", `SELECT NOT EXISTS (SELECT FROM counter_deltas) AND NOT EXISTS (SELECT FROM order_day_stats_deltas)
			AND NOT EXISTS (SELECT FROM product_day_sales_deltas) AND NOT EXISTS (SELECT FROM user_day_signups_deltas)`},
	}
	for _, c := range checks {
		var ok bool
		if err := conn.QueryRow(ctx, c.sql).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !ok {
			t.Errorf("the backfill's %s differ from the rows", c.name)
		}
	}
}
