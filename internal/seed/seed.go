// Package seed fills an empty database with a large, deterministic data set (accounts,
// a catalog, a year of orders) so that benchmarks and query plans can be judged
// against realistic volumes. The same options always produce the same rows.
package seed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options says how much to generate and from which seed.
type Options struct {
	Users, Products, Orders int
	// Seed picks the data set: the same seed and sizes give the same rows, ids included.
	Seed int64
	// PasswordHash is stored for every account. The caller hashes one password once,
	// because hashing one per account at a real bcrypt cost would take minutes.
	PasswordHash string
	// Now is the moment the generated history ends at; zero means time.Now(). Two runs
	// with the same Now produce identical timestamps as well.
	Now time.Time
}

// Stats counts the rows written.
type Stats struct {
	Users, Profiles, Products, Orders, OrderItems int
	Elapsed                                       time.Duration
}

// The stages Run reports progress for, in the order they run.
const (
	StageUsers      = "users"
	StageProfiles   = "profiles"
	StageProducts   = "products"
	StageOrders     = "orders"
	StageOrderItems = "order_items"
	StageIndexes    = "indexes"
	StageFigures    = "figures"
	StageAnalyze    = "analyze"
)

// tableList names the tables Run loads, in an order their foreign keys allow.
const tableList = "users, profiles, products, orders, order_items"

// figureTables are the maintained figures (schema/00004) that figures_rebuild fills
// from the loaded rows.
const figureTables = "counters, order_day_stats, product_day_sales, product_sales, user_day_signups"

// setFigureTriggers enables or disables the triggers that keep the maintained
// figures, on the tables Run loads ("ENABLE" or "DISABLE"; the caller's transaction
// holds them locked).
func setFigureTriggers(ctx context.Context, tx pgx.Tx, action string) error {
	for _, table := range strings.Split(tableList, ", ") {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+table+" "+action+" TRIGGER USER"); err != nil {
			return fmt.Errorf("seed: %s triggers on %s: %w", strings.ToLower(action), table, err)
		}
	}
	return nil
}

// ErrNotEmpty is returned when the database already holds accounts, products or
// orders: seeding appends nothing, so that a seed always means the same data.
var ErrNotEmpty = errors.New("seed an empty database")

// Run generates the data set and loads it in one transaction, so that a failed run
// leaves the database as it was. It follows the PostgreSQL manual's "Populating a
// Database": the tables' foreign keys and secondary indexes are dropped, the rows
// streamed in with COPY (FREEZE, so no VACUUM has to pass over them afterwards), the
// indexes and foreign keys created again as they were, which is several times faster
// than checking and indexing row by row, and the tables analyzed so the planner knows
// their size. The connection's role must own the tables, as the role that migrated
// them does. progress, when not nil, is called from one goroutine at a time with the
// work done so far in each stage: at its start, about every percent, and at its end.
func Run(ctx context.Context, pool *pgxpool.Pool, opts Options, progress func(stage string, done, total int)) (Stats, error) {
	start := time.Now()
	if err := opts.check(); err != nil {
		return Stats{}, err
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	d, err := generate(opts, now.UTC().Truncate(time.Millisecond))
	if err != nil {
		return Stats{}, err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Loading is one long statement per table; the pool's per-statement limit is
		// meant for requests.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0; SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		// A second seed waits here and then finds the data. The tables are unreadable
		// until the load commits, which on an empty database costs nothing.
		if _, err := tx.Exec(ctx, "LOCK TABLE "+tableList+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("seed: lock tables: %w", err)
		}
		if err := checkEmpty(ctx, tx); err != nil {
			return err
		}
		rebuild, err := dropForLoad(ctx, tx)
		if err != nil {
			return err
		}
		// The tables are empty (checked above under the lock); truncating them in this
		// transaction is what allows COPY FREEZE.
		if _, err := tx.Exec(ctx, "TRUNCATE "+tableList); err != nil {
			return fmt.Errorf("seed: truncate: %w", err)
		}
		// The maintained figures are computed once from the loaded rows below rather
		// than by the triggers row batch by row batch.
		if err := setFigureTriggers(ctx, tx, "DISABLE"); err != nil {
			return err
		}
		if err := load(ctx, tx, d, opts.PasswordHash, progress); err != nil {
			return err
		}
		if err := setFigureTriggers(ctx, tx, "ENABLE"); err != nil {
			return err
		}
		progress(StageIndexes, 0, len(rebuild))
		for i, sql := range rebuild {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("seed: rebuild after load: %s: %w", sql, err)
			}
			progress(StageIndexes, i+1, len(rebuild))
		}
		// Without statistics the planner would take the tables for empty until
		// autovacuum came round.
		progress(StageFigures, 0, 1)
		if _, err := tx.Exec(ctx, "SELECT figures_rebuild()"); err != nil {
			return fmt.Errorf("seed: maintained figures: %w", err)
		}
		progress(StageFigures, 1, 1)
		progress(StageAnalyze, 0, 1)
		if _, err := tx.Exec(ctx, "ANALYZE "+tableList+", "+figureTables); err != nil {
			return fmt.Errorf("seed: analyze: %w", err)
		}
		progress(StageAnalyze, 1, 1)
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	// The figures were inserted, not copied frozen: a vacuum marks their pages all
	// visible, so that a period's sales are read by index-only scans from the start.
	if err := vacuumFigures(ctx, pool); err != nil {
		return Stats{}, fmt.Errorf("seed: vacuum the maintained figures: %w", err)
	}
	return Stats{
		Users: len(d.users), Profiles: d.profiles, Products: len(d.products),
		Orders: len(d.orders), OrderItems: d.items, Elapsed: time.Since(start),
	}, nil
}

// vacuumFigures vacuums the maintained figures on a connection of its own, without
// the pool's per-statement limit (VACUUM cannot run in the load's transaction).
func vacuumFigures(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM (ANALYZE) "+figureTables)
	if _, resetErr := conn.Exec(ctx, "RESET statement_timeout"); err == nil {
		err = resetErr
	}
	return err
}

func (o Options) check() error {
	var errs []error
	if o.Users < 0 || o.Products < 0 || o.Orders < 0 {
		errs = append(errs, errors.New("seed: sizes must not be negative"))
	}
	if o.Users > 0 && o.PasswordHash == "" {
		errs = append(errs, errors.New("seed: PasswordHash is required for accounts"))
	}
	if o.Orders > 0 && (o.Users == 0 || o.Products == 0) {
		errs = append(errs, errors.New("seed: orders need at least one user and one product"))
	}
	return errors.Join(errs...)
}

func checkEmpty(ctx context.Context, tx pgx.Tx) error {
	var users, products, orders int64
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM products),
		(SELECT count(*) FROM orders)`).Scan(&users, &products, &orders)
	if err != nil {
		return fmt.Errorf("seed: count existing rows: %w", err)
	}
	if users+products+orders > 0 {
		return fmt.Errorf("database already has %d users, %d products and %d orders; %w", users, products, orders, ErrNotEmpty)
	}
	return nil
}

// dropForLoad drops the foreign keys from and to the loaded tables and their indexes
// other than those of primary keys and unique constraints, and returns the statements
// that create them again exactly as they were, indexes first so that the foreign keys
// are checked with them. (Foreign keys to the tables would also forbid the TRUNCATE.)
func dropForLoad(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
		       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)),
		       1 AS pass
		FROM pg_constraint
		WHERE contype = 'f' AND (conrelid = ANY(string_to_array($1, ', ')::regclass[])
		                      OR confrelid = ANY(string_to_array($1, ', ')::regclass[]))
		UNION ALL
		SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid), 0
		FROM pg_index i
		WHERE indrelid = ANY(string_to_array($1, ', ')::regclass[]) AND NOT indisprimary
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)
		ORDER BY pass DESC, 1`, tableList)
	if err != nil {
		return nil, fmt.Errorf("seed: list indexes and foreign keys: %w", err)
	}
	var drops, creates []string
	for rows.Next() {
		var drop, create string
		var pass int
		if err := rows.Scan(&drop, &create, &pass); err != nil {
			return nil, err
		}
		drops, creates = append(drops, drop), append(creates, create)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: list indexes and foreign keys: %w", err)
	}
	for _, sql := range drops { // foreign keys first, so no index they rely on goes under them
		if _, err := tx.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", sql, err)
		}
	}
	slices.Reverse(creates) // and back: indexes first
	return creates, nil
}

func load(ctx context.Context, tx pgx.Tx, d *data, passwordHash string, progress func(string, int, int)) error {
	users, products, orders := d.users, d.products, d.orders
	withProfile := make([]int, 0, d.profiles)
	for i, u := range users {
		if u.profile != nil {
			withProfile = append(withProfile, i)
		}
	}
	items := make([]struct{ order, line int }, 0, d.items)
	for i, o := range orders {
		for j := range o.items {
			items = append(items, struct{ order, line int }{i, j})
		}
	}
	tables := []struct {
		stage   string // also the table's name
		n       int
		columns []string
		row     func(i int) []any
	}{
		{StageUsers, len(users),
			[]string{"id", "email", "name", "password_hash", "role", "active", "created_at", "updated_at"},
			func(i int) []any {
				u := &users[i]
				return []any{u.id, u.email, u.name, passwordHash, u.role, true, u.created, u.created}
			}},
		{StageProfiles, len(withProfile),
			[]string{"user_id", "phone", "company", "address_line1", "address_line2", "city", "postal_code", "country", "updated_at"},
			func(i int) []any {
				u := &users[withProfile[i]]
				p := u.profile
				return []any{u.id, p.phone, p.company, p.line1, p.line2, p.city, p.postal, p.country, u.created}
			}},
		{StageProducts, len(products),
			[]string{"id", "sku", "name", "description", "price_cents", "stock", "version", "archived_at", "created_at", "updated_at"},
			func(i int) []any {
				p := &products[i]
				version, updated := int32(1), p.created
				if p.archived != nil {
					version, updated = 2, *p.archived
				}
				return []any{p.id, p.sku, p.name, p.description, p.price, p.stock, version, p.archived, p.created, updated}
			}},
		{StageOrders, len(orders),
			[]string{"id", "user_id", "status", "total_cents", "note", "created_at", "updated_at"},
			func(i int) []any {
				o := &orders[i]
				return []any{o.id, users[o.user].id, o.status, o.total, o.note, o.created, o.updated}
			}},
		{StageOrderItems, len(items),
			[]string{"order_id", "product_id", "quantity", "unit_price_cents"},
			func(i int) []any {
				o := &orders[items[i].order]
				it := o.items[items[i].line]
				p := &products[it.product]
				return []any{o.id, p.id, it.quantity, p.price}
			}},
	}
	for _, t := range tables {
		progress(t.stage, 0, t.n)
		report := func(done int) { progress(t.stage, done, t.n) }
		if err := copyFreeze(ctx, tx, t.stage, t.columns, t.n, t.row, report); err != nil {
			return fmt.Errorf("seed: copy %s: %w", t.stage, err)
		}
		progress(t.stage, t.n, t.n)
	}
	return nil
}
