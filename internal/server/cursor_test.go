package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

// listing is one list operation as the cursor tests drive it, through the generated
// client, with one sort and set of filters.
type listing struct {
	name string
	// get fetches one page; page and cursor are sent only when not nil.
	get func(t *testing.T, limit int32, page *int32, cursor *string) ([]uuid.UUID, client.Pagination, *http.Response)
	// oracle lists the ids of every row of the list in its order, from the database.
	oracle string
	args   []any
	// statements is how many SQL statements a page with rows sends.
	statements int
}

// listings builds the lists the cursor tests walk, for a staff caller and a customer.
func listings(env *apitest.Env, staff, customer apitest.User) []listing {
	ctx := context.Background()
	products := func(sort client.ListProductsParamsSort, inStock *bool) func(*testing.T, int32, *int32, *string) ([]uuid.UUID, client.Pagination, *http.Response) {
		return func(t *testing.T, limit int32, page *int32, cursor *string) ([]uuid.UUID, client.Pagination, *http.Response) {
			t.Helper()
			res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{
				Sort: &sort, InStock: inStock, Limit: &limit, Page: page, Cursor: cursor})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			ids := make([]uuid.UUID, len(res.JSON200.Data))
			for i, p := range res.JSON200.Data {
				ids[i] = p.Id
			}
			return ids, res.JSON200.Pagination, res.HTTPResponse
		}
	}
	users := func(sort client.ListUsersParamsSort) func(*testing.T, int32, *int32, *string) ([]uuid.UUID, client.Pagination, *http.Response) {
		return func(t *testing.T, limit int32, page *int32, cursor *string) ([]uuid.UUID, client.Pagination, *http.Response) {
			t.Helper()
			res, err := env.Client.ListUsersWithResponse(ctx, &client.ListUsersParams{
				Sort: &sort, Limit: &limit, Page: page, Cursor: cursor}, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			ids := make([]uuid.UUID, len(res.JSON200.Data))
			for i, u := range res.JSON200.Data {
				ids[i] = u.Id
			}
			return ids, res.JSON200.Pagination, res.HTTPResponse
		}
	}
	orders := func(caller apitest.User, include *client.ListOrdersParamsInclude) func(*testing.T, int32, *int32, *string) ([]uuid.UUID, client.Pagination, *http.Response) {
		return func(t *testing.T, limit int32, page *int32, cursor *string) ([]uuid.UUID, client.Pagination, *http.Response) {
			t.Helper()
			res, err := env.Client.ListOrdersWithResponse(ctx, &client.ListOrdersParams{
				Limit: &limit, Page: page, Cursor: cursor, Include: include}, caller.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			ids := make([]uuid.UUID, len(res.JSON200.Data))
			for i, o := range res.JSON200.Data {
				ids[i] = o.Id
			}
			return ids, res.JSON200.Pagination, res.HTTPResponse
		}
	}
	dashboard := func(t *testing.T, limit int32, page *int32, cursor *string) ([]uuid.UUID, client.Pagination, *http.Response) {
		t.Helper()
		res, err := env.Client.ListDashboardUsersWithResponse(ctx, &client.ListDashboardUsersParams{
			Limit: &limit, Page: page, Cursor: cursor}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		ids := make([]uuid.UUID, len(res.JSON200.Data))
		for i, d := range res.JSON200.Data {
			ids[i] = d.User.Id
		}
		return ids, res.JSON200.Pagination, res.HTTPResponse
	}
	live := "SELECT id FROM products WHERE archived_at IS NULL "
	return []listing{
		{name: "products by name", get: products(client.ListProductsParamsSortName, nil),
			oracle: live + "ORDER BY name, id", statements: 1},
		{name: "newest products", get: products(client.ListProductsParamsSortMinusCreatedAt, nil),
			oracle: live + "ORDER BY created_at DESC, id DESC", statements: 1},
		{name: "cheapest products", get: products(client.ListProductsParamsSortPriceCents, nil),
			oracle: live + "ORDER BY price_cents, id", statements: 1},
		{name: "dearest products in stock", get: products(client.ListProductsParamsSortMinusPriceCents, apitest.Ptr(true)),
			oracle: live + "AND stock > 0 ORDER BY price_cents DESC, id DESC", statements: 1},
		{name: "newest users", get: users(client.ListUsersParamsSortMinusCreatedAt),
			oracle: "SELECT id FROM users ORDER BY created_at DESC, id DESC", statements: 1},
		{name: "oldest users", get: users(client.ListUsersParamsSortCreatedAt),
			oracle: "SELECT id FROM users ORDER BY created_at, id", statements: 1},
		{name: "users by email", get: users(client.ListUsersParamsSortEmail),
			oracle: "SELECT id FROM users ORDER BY lower(email), id", statements: 1},
		{name: "users by name", get: users(client.ListUsersParamsSortName),
			oracle: "SELECT id FROM users ORDER BY lower(name), id", statements: 1},
		{name: "every order, for staff", get: orders(staff, nil),
			oracle: "SELECT id FROM orders ORDER BY created_at DESC, id DESC", statements: 1},
		{name: "a customer's own orders", get: orders(customer, nil),
			oracle: "SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC", args: []any{customer.ID}, statements: 1},
		{name: "a customer's own orders with their lines", get: orders(customer, apitest.Ptr(client.Items)),
			oracle: "SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC", args: []any{customer.ID}, statements: 2},
		{name: "dashboard users", get: dashboard,
			oracle: "SELECT id FROM users ORDER BY created_at DESC, id DESC", statements: 2},
	}
}

// oracleIDs runs a listing's oracle query.
func oracleIDs(t *testing.T, env *apitest.Env, l listing) []uuid.UUID {
	t.Helper()
	rows, err := env.Pool.Query(context.Background(), l.oracle, l.args...)
	require.NoError(t, err)
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

// seedTies fills a database with rows whose sort keys repeat (names, prices, creation
// times), so that only the id decides between them, as it must for a cursor.
func seedTies(t *testing.T, env *apitest.Env, customer, other apitest.User) {
	t.Helper()
	apitest.Exec(t, env, `INSERT INTO products (sku, name, price_cents, stock, created_at, archived_at)
		SELECT 'TIE-' || g, 'Tie ' || (g % 4), (g % 3) * 100, g % 2,
		       timestamptz '2026-01-01 00:00:00+00' + (g % 5) * interval '1 hour',
		       CASE WHEN g > 23 THEN now() END
		FROM generate_series(1, 25) AS g`)
	apitest.Exec(t, env, `INSERT INTO users (email, name, password_hash, role, created_at)
		SELECT 'walk-' || g || '@example.com', CASE WHEN g % 2 = 0 THEN 'Walker ' ELSE 'walker ' END || (g % 3),
		       'not-a-bcrypt-hash', 'customer', timestamptz '2026-01-01 00:00:00+00' + (g % 4) * interval '1 minute'
		FROM generate_series(1, 12) AS g`)
	apitest.Exec(t, env, `INSERT INTO orders (user_id, total_cents, created_at)
		SELECT CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END, g * 100,
		       timestamptz '2026-02-01 00:00:00+00' + (g % 6) * interval '1 minute'
		FROM generate_series(1, 21) AS g`, customer.ID, other.ID)
}

// walkByCursor reads a list from its first page by following nextCursor, checking each
// page's number and statement count, and returns every id in order.
func walkByCursor(t *testing.T, l listing, limit int32, between func()) []uuid.UUID {
	t.Helper()
	var all []uuid.UUID
	var cursor *string
	for page := int32(1); ; page++ {
		require.Less(t, page, int32(1000), "the walk does not end")
		ids, pg, res := l.get(t, limit, nil, cursor)
		require.Equal(t, page, pg.Page, "pagination.page counts cursor pages too")
		require.Equal(t, limit, pg.Limit)
		require.LessOrEqual(t, len(ids), int(limit))
		require.Equal(t, l.statements, apitest.QueryCount(t, res), "a page by cursor costs what a page by number costs")
		all = append(all, ids...)
		if pg.NextCursor == nil {
			return all
		}
		require.Len(t, ids, int(limit), "only the last page is short")
		cursor = pg.NextCursor
		if between != nil {
			between()
		}
	}
}

func TestCursorWalkEqualsPageWalk(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	staff, customer, other := apitest.Staff(t, env), apitest.Customer(t, env), apitest.Customer(t, env)
	seedTies(t, env, customer, other)
	const limit = 4
	for _, l := range listings(env, staff, customer) {
		t.Run(l.name, func(t *testing.T) {
			want := oracleIDs(t, env, l)
			require.Greater(t, len(want), 2*limit, "the list spans several pages")
			pages := int32((len(want) + limit - 1) / limit)

			var byPage []uuid.UUID
			for page := int32(1); page <= pages; page++ {
				ids, pg, _ := l.get(t, limit, &page, nil)
				apitest.RequirePagination(t, client.Pagination{Page: page, Limit: limit, Total: int64(len(want)),
					TotalExact: true, Pages: pages}, pg)
				byPage = append(byPage, ids...)
			}
			require.Equal(t, want, byPage, "pages by number follow the sort, ties broken by id")
			require.Equal(t, byPage, walkByCursor(t, l, limit, nil), "the cursor walk reads the same rows in the same order")
		})
	}
}

func TestCursorWalkIsStableUnderConcurrentInserts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	staff, customer, other := apitest.Staff(t, env), apitest.Customer(t, env), apitest.Customer(t, env)
	seedTies(t, env, customer, other)
	// Between two pages, one row lands in each table, in turn before the cursor, after
	// it, and on the same keys as rows already read (ties): one row per page of three,
	// so that the walk ends.
	n := 0
	insert := func() {
		n++
		apitest.Exec(t, env, `INSERT INTO products (sku, name, price_cents, stock, created_at)
			VALUES ('NEW-' || $1::int, (ARRAY['Aaa', 'Tie 1', 'Tie 2', 'Zzz'])[$1::int % 4 + 1], ($1::int % 4) * 100, 1,
			        CASE WHEN $1::int % 2 = 0 THEN now() ELSE timestamptz '2026-01-01 02:00:00+00' END)`, n)
		apitest.Exec(t, env, `INSERT INTO users (email, name, password_hash, created_at)
			VALUES ('new-' || $1::int || '@example.com', (ARRAY['Aaa', 'walker 1', 'Zzz'])[$1::int % 3 + 1], 'not-a-bcrypt-hash',
			        CASE WHEN $1::int % 2 = 0 THEN now() ELSE timestamptz '2026-01-01 00:01:00+00' END)`, n)
		apitest.Exec(t, env, `INSERT INTO orders (user_id, total_cents, created_at)
			VALUES ($1::uuid, 100, CASE WHEN $2::int % 2 = 0 THEN now() ELSE timestamptz '2026-02-01 00:03:00+00' END)`, customer.ID, n)
	}
	for _, l := range listings(env, staff, customer) {
		t.Run(l.name, func(t *testing.T) {
			before := oracleIDs(t, env, l)
			existed := map[uuid.UUID]bool{}
			for _, id := range before {
				existed[id] = true
			}
			walked := walkByCursor(t, l, 3, insert)
			seen := map[uuid.UUID]bool{}
			var old []uuid.UUID
			for _, id := range walked {
				require.False(t, seen[id], "row %s came twice", id)
				seen[id] = true
				if existed[id] {
					old = append(old, id)
				}
			}
			require.Equal(t, before, old, "every row that existed before the walk came exactly once, in order")
		})
	}
}

func TestCursorAndPageRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	staff, customer, other := apitest.Staff(t, env), apitest.Customer(t, env), apitest.Customer(t, env)
	seedTies(t, env, customer, other)
	first, err := env.Client.ListProductsWithResponse(context.Background(), &client.ListProductsParams{Limit: apitest.Ptr[int32](2)})
	require.NoError(t, err)
	require.NotNil(t, first.JSON200.Pagination.NextCursor)
	cur := *first.JSON200.Pagination.NextCursor
	// altered flips one character in the middle of the cursor, keeping it base64url.
	altered := []byte(cur)
	if altered[len(altered)/2] == 'A' {
		altered[len(altered)/2] = 'B'
	} else {
		altered[len(altered)/2] = 'A'
	}
	// A refusal names the detail's field and a word its message must hold; ok marks a
	// request that must be answered.
	type refusal struct {
		name, path, query string
		field, mentions   string
		ok                bool
	}
	tests := []refusal{
		{name: "a cursor with page is refused", path: "/api/v1/products", query: "limit=2&page=2&cursor=" + cur, field: "cursor", mentions: "page"},
		{name: "an altered cursor is refused", path: "/api/v1/products", query: "limit=2&cursor=" + string(altered), field: "cursor", mentions: "without cursor"},
		{name: "a cursor cut short is refused", path: "/api/v1/products", query: "limit=2&cursor=" + cur[:len(cur)-3], field: "cursor", mentions: "without cursor"},
		{name: "text that was never a cursor is refused", path: "/api/v1/products", query: "limit=2&cursor=bm90LWEtY3Vyc29y", field: "cursor", mentions: "without cursor"},
		{name: "a cursor outside base64url is refused by the spec", path: "/api/v1/products", query: "limit=2&cursor=a.b", field: "cursor"},
		{name: "a cursor of another sort is refused", path: "/api/v1/products", query: "limit=2&sort=name&cursor=" + cur, field: "cursor", mentions: "sort=-createdAt"},
		{name: "a cursor with another filter is refused", path: "/api/v1/products", query: "limit=2&inStock=true&cursor=" + cur, field: "cursor", mentions: "filters"},
		{name: "a cursor with another limit is refused", path: "/api/v1/products", query: "limit=3&cursor=" + cur, field: "cursor", mentions: "limit"},
		{name: "a cursor of the products on the orders is refused", path: "/api/v1/orders", query: "limit=2&cursor=" + cur, field: "cursor", mentions: "filters"},
		{name: "the same cursor with the same request is accepted", path: "/api/v1/products", query: "limit=2&cursor=" + cur, ok: true},
	}
	for _, list := range []string{"/api/v1/products", "/api/v1/orders", "/api/v1/users", "/api/v1/dashboard/users"} {
		tests = append(tests,
			refusal{name: list + ": page × limit over 10 000 is refused, naming the cursor", path: list, query: "page=501&limit=20", field: "page", mentions: "cursor"},
			refusal{name: list + ": page 101 of 100 is refused", path: list, query: "page=101&limit=100", field: "page", mentions: "10000"},
			refusal{name: list + ": page × limit of exactly 10 000 is answered", path: list, query: "page=500&limit=20", ok: true},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := env.Do(http.MethodGet, tt.path+"?"+tt.query, "", nil, "Authorization", "Bearer "+staff.Token)
			if tt.ok {
				require.Equal(t, http.StatusOK, res.StatusCode, string(body))
				return
			}
			e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			apitest.RequireDetails(t, e, "query "+tt.field)
			require.Contains(t, apitest.DetailMessage(t, e, tt.field), tt.mentions)
		})
	}
}

func TestListTotalsAreExactUpTo10000AndFromCountersWithoutFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff, customer := apitest.Staff(t, env), apitest.Customer(t, env)
	// 10 000 products named Exact…, 10 001 named Lower…, and a few others; 10 001
	// orders of one customer and 3 of another; 10 001 more customers.
	// Bulk inserts that update trigram indexes may outlast the pool's statement timeout
	// on a busy machine: they run in one transaction without it.
	tx, err := env.Pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op once committed
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"SET LOCAL statement_timeout = 0", nil},
		{`INSERT INTO products (sku, name, price_cents, stock)
		SELECT 'EX-' || g, 'Exact ' || g, 100, 1 FROM generate_series(1, 10000) AS g
		UNION ALL SELECT 'LB-' || g, 'Lower ' || g, 200, 0 FROM generate_series(1, 10001) AS g
		UNION ALL SELECT 'OT-' || g, 'Other ' || g, 300, 1 FROM generate_series(1, 5) AS g`, nil},
		{`UPDATE products SET archived_at = now() WHERE sku IN ('OT-1', 'OT-2')`, nil},
		{`INSERT INTO orders (user_id, total_cents) SELECT $1::uuid, 100 FROM generate_series(1, 10001)`, []any{customer.ID}},
		{`INSERT INTO orders (user_id, total_cents) SELECT $1::uuid, 100 FROM generate_series(1, 3)`, []any{staff.ID}},
		{`INSERT INTO users (email, name, password_hash)
		SELECT 'many-' || g || '@example.com', 'Many ' || g, 'not-a-bcrypt-hash' FROM generate_series(1, 10001) AS g`, nil},
	} {
		_, err := tx.Exec(ctx, stmt.sql, stmt.args...)
		require.NoError(t, err, stmt.sql)
	}
	require.NoError(t, tx.Commit(ctx))
	liveProducts := apitest.Count(t, env, "SELECT count(*) FROM products WHERE archived_at IS NULL")
	allOrders := apitest.Count(t, env, "SELECT count(*) FROM orders")
	allUsers := apitest.Count(t, env, "SELECT count(*) FROM users")
	staffOrders := apitest.Count(t, env, "SELECT count(*) FROM orders WHERE user_id = $1", staff.ID)
	require.Greater(t, liveProducts, int64(20000))

	type total struct {
		Total int64
		Exact bool
	}
	get := func(t *testing.T, path string, q url.Values) client.Pagination {
		t.Helper()
		q.Set("limit", "20")
		res, body := env.Do(http.MethodGet, path+"?"+q.Encode(), "", nil, "Authorization", "Bearer "+staff.Token)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		var env struct{ Pagination client.Pagination }
		require.NoError(t, json.Unmarshal(body, &env))
		return env.Pagination
	}
	tests := []struct {
		name string
		path string
		q    url.Values
		want total
	}{
		{"every live product, more than 10 000, is counted exactly", "/api/v1/products", url.Values{}, total{liveProducts, true}},
		{"exactly 10 000 matches are an exact total", "/api/v1/products", url.Values{"q": {"exact"}}, total{10000, true}},
		{"10 001 matches make 10 000 a lower bound", "/api/v1/products", url.Values{"q": {"lower"}}, total{10000, false}},
		{"a price range over 10 000 matches is a lower bound", "/api/v1/products", url.Values{"minPriceCents": {"150"}}, total{10000, false}},
		{"a filter with few matches is exact", "/api/v1/products", url.Values{"q": {"other"}}, total{3, true}},
		{"every order, more than 10 000, is counted exactly", "/api/v1/orders", url.Values{}, total{allOrders, true}},
		{"a user's 10 001 orders make 10 000 a lower bound", "/api/v1/orders", url.Values{"userId": {customer.ID.String()}}, total{10000, false}},
		{"a user's few orders are exact", "/api/v1/orders", url.Values{"userId": {staff.ID.String()}}, total{staffOrders, true}},
		{"every user, more than 10 000, is counted exactly", "/api/v1/users", url.Values{}, total{allUsers, true}},
		{"more than 10 000 customers make 10 000 a lower bound", "/api/v1/users", url.Values{"role": {"customer"}}, total{10000, false}},
		{"a search with few matches is exact", "/api/v1/users", url.Values{"q": {"many-1000"}}, total{3, true}}, // many-1000, -10000, -10001
		{"the dashboard counts every user exactly", "/api/v1/dashboard/users", url.Values{}, total{allUsers, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := get(t, tt.path, tt.q)
			require.Equal(t, tt.want, total{pg.Total, pg.TotalExact})
			require.Equal(t, int32((tt.want.Total+19)/20), pg.Pages, "pages follow from total")
		})
	}

	t.Run("the last numbered page of a lower bound leads on by cursor", func(t *testing.T) {
		res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{
			Q: apitest.Ptr("lower"), Sort: apitest.Ptr(client.ListProductsParamsSortName), Limit: apitest.Ptr[int32](20), Page: apitest.Ptr[int32](500)})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Len(t, res.JSON200.Data, 20)
		require.NotNil(t, res.JSON200.Pagination.NextCursor, "a 10 001st match follows")
		next, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{
			Q: apitest.Ptr("lower"), Sort: apitest.Ptr(client.ListProductsParamsSortName), Limit: apitest.Ptr[int32](20), Cursor: res.JSON200.Pagination.NextCursor})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, next.StatusCode(), string(next.Body))
		require.Equal(t, int32(501), next.JSON200.Pagination.Page)
		require.Len(t, next.JSON200.Data, 1)
		require.Nil(t, next.JSON200.Pagination.NextCursor)
		var lastName string
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT name FROM products WHERE name LIKE 'Lower %' ORDER BY name DESC, id DESC LIMIT 1`).Scan(&lastName))
		require.Equal(t, lastName, next.JSON200.Data[0].Name)
	})

	t.Run("archiving and creating move the unfiltered total with the table", func(t *testing.T) {
		apitest.Exec(t, env, `UPDATE products SET archived_at = now() WHERE sku = 'OT-3'`)
		apitest.CreateProduct(t, env, apitest.ProductOpts{})
		apitest.CreateProduct(t, env, apitest.ProductOpts{})
		pg := get(t, "/api/v1/products", url.Values{})
		require.Equal(t, apitest.Count(t, env, "SELECT count(*) FROM products WHERE archived_at IS NULL"), pg.Total)
		require.Equal(t, liveProducts+1, pg.Total)
	})
}

// TestTheLongestSortKeyStillMakesAValidCursor sorts by name products whose names are
// as long as the spec allows and made of the characters JSON writes longest (control
// characters become \u00XX): the cursor after them must still be one the API accepts.
func TestTheLongestSortKeyStillMakesAValidCursor(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	name := strings.Repeat("\u0001", 120)
	for range 2 {
		apitest.CreateProduct(t, env, apitest.ProductOpts{Name: name, Stock: 1})
	}
	sort := client.ListProductsParamsSortName
	limit := int32(1)
	first, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Sort: &sort, Limit: &limit})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, first.StatusCode(), string(first.Body))
	next := first.JSON200.Pagination.NextCursor
	require.NotNil(t, next)
	second, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Sort: &sort, Limit: &limit, Cursor: next})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, second.StatusCode(), "a cursor of %d characters: %s", len(*next), second.Body)
	require.Len(t, second.JSON200.Data, 1)
	require.NotEqual(t, first.JSON200.Data[0].Id, second.JSON200.Data[0].Id)
}
