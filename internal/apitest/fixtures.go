package apitest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

// Ptr returns a pointer to v, for the optional fields of request bodies.
func Ptr[T any](v T) *T { return &v }

// Tag is a short random upper-case tag that keeps generated SKUs and emails unique
// across the tests sharing a database and across runs.
func Tag() string { return strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", "")[:10]) }

// UniqueEmail returns an address no other test (or earlier run) uses.
func UniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%s@example.com", prefix, uuid.NewString()[:12])
}

// ProductOpts describes a product to insert; zero fields get defaults (a unique SKU, a
// name from it, a price of 1000), except Stock, where 0 means none.
type ProductOpts struct {
	Sku, Name, Description string
	PriceCents             int64
	Stock                  int32
	Archived               bool
}

// CreateProduct inserts a product straight into the database, so that a test of
// orders or lists states only the product fields it is about.
func CreateProduct(t testing.TB, env *Env, o ProductOpts) db.Product {
	t.Helper()
	if o.Sku == "" {
		o.Sku = "P-" + Tag()
	}
	if o.Name == "" {
		o.Name = "Product " + o.Sku
	}
	if o.PriceCents == 0 {
		o.PriceCents = 1000
	}
	ctx := context.Background()
	q := db.New(env.Pool)
	p, err := q.ProductCreate(ctx, db.ProductCreateParams{
		Sku: o.Sku, Name: o.Name, Description: o.Description, PriceCents: o.PriceCents, Stock: o.Stock,
	})
	require.NoError(t, err)
	if o.Archived {
		p, err = q.ProductArchive(ctx, p.ID)
		require.NoError(t, err)
	}
	return p
}

// CreateProducts inserts n products in one statement, named "Bulk <tag> 001"…, and
// returns their ids in that order: how tests get pages and hundred-line orders fast.
func CreateProducts(t testing.TB, env *Env, n int, priceCents int64, stock int32) []uuid.UUID {
	t.Helper()
	tag := Tag()
	rows, err := env.Pool.Query(context.Background(), `
		INSERT INTO products (sku, name, price_cents, stock)
		SELECT 'BULK-' || $1 || '-' || lpad(g::text, 4, '0'), 'Bulk ' || $1 || ' ' || lpad(g::text, 4, '0'), $2, $3
		FROM generate_series(1, $4::int) AS g
		RETURNING id, sku`, tag, priceCents, stock, n)
	require.NoError(t, err)
	type row struct {
		id  uuid.UUID
		sku string
	}
	var got []row
	for rows.Next() {
		var r row
		require.NoError(t, rows.Scan(&r.id, &r.sku))
		got = append(got, r)
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, n)
	sort.Slice(got, func(i, j int) bool { return got[i].sku < got[j].sku })
	ids := make([]uuid.UUID, n)
	for i, r := range got {
		ids[i] = r.id
	}
	return ids
}

// ProductInDB reads a product back from the database, to see what a request stored.
func ProductInDB(t testing.TB, env *Env, id uuid.UUID) db.Product {
	t.Helper()
	p, err := db.New(env.Pool).ProductGet(context.Background(), id)
	require.NoError(t, err)
	return p
}

// Stock returns a product's stock as the database has it.
func Stock(t testing.TB, env *Env, id uuid.UUID) int32 {
	t.Helper()
	return ProductInDB(t, env, id).Stock
}

// CreateUsers inserts n users of a role in one statement and mints an access token
// for each. Their password hash is not a bcrypt hash, so they cannot log in: it is how
// tests get hundreds of distinct callers quickly (CreateUser makes one that can).
func CreateUsers(t testing.TB, env *Env, role string, n int) []User {
	t.Helper()
	tag := strings.ToLower(Tag())
	rows, err := env.Pool.Query(context.Background(), `
		INSERT INTO users (email, name, password_hash, role)
		SELECT 'shop-' || $1 || '-' || g || '@example.com', 'Shop User ' || g, 'not-a-bcrypt-hash', $2
		FROM generate_series(1, $3::int) AS g
		RETURNING id, email`, tag, role, n)
	require.NoError(t, err)
	var users []User
	for rows.Next() {
		var u User
		require.NoError(t, rows.Scan(&u.ID, &u.Email))
		u.Role = role
		users = append(users, u)
	}
	require.NoError(t, rows.Err())
	require.Len(t, users, n)
	for i := range users {
		token, _, err := env.Tokens.Issue(users[i].ID, role, time.Now())
		require.NoError(t, err)
		users[i].Token = token
	}
	return users
}

// Customer is one CreateUsers customer.
func Customer(t testing.TB, env *Env) User {
	t.Helper()
	return CreateUsers(t, env, auth.RoleCustomer, 1)[0]
}

// Staff is one CreateUsers staff member.
func Staff(t testing.TB, env *Env) User {
	t.Helper()
	return CreateUsers(t, env, auth.RoleStaff, 1)[0]
}

// DeactivateInDB switches a user off without revoking anything, so a test can prove
// that the active flag itself is checked.
func DeactivateInDB(t testing.TB, env *Env, id uuid.UUID) {
	t.Helper()
	inactive := false
	n, err := db.New(env.Pool).UserUpdate(context.Background(), db.UserUpdateParams{ID: id, Active: &inactive})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

// SetCreatedAt moves the creation time of a user or an order, so that tests can state
// when things happened.
func SetCreatedAt(t testing.TB, env *Env, table string, id uuid.UUID, at time.Time) {
	t.Helper()
	switch table {
	case "users", "orders":
	default:
		t.Fatalf("SetCreatedAt: unexpected table %q", table)
	}
	Exec(t, env, `UPDATE `+table+` SET created_at = $2 WHERE id = $1`, id, at)
}
