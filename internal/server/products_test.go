package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/server"
)

// The helpers of the catalog, orders and dashboard tests are prefixed "shop" so that
// they cannot clash with the helpers of other test files in this package.

// shopResponse is what every generated *…Response offers.
type shopResponse interface {
	StatusCode() int
	GetBody() []byte
}

// shopRequireError asserts an error response: its status, that the body is the error
// envelope with the given code and no stack, and returns the error body.
func shopRequireError(t *testing.T, res shopResponse, status int, code client.ErrorCode) client.ErrorBody {
	t.Helper()
	require.Equal(t, status, res.StatusCode(), string(res.GetBody()))
	var env client.ErrorEnvelope
	require.NoError(t, json.Unmarshal(res.GetBody(), &env), string(res.GetBody()))
	require.False(t, bool(env.Success))
	require.Equal(t, code, env.Error.Code, string(res.GetBody()))
	require.NotEmpty(t, env.Error.Message)
	require.NotEmpty(t, env.Error.RequestId)
	require.Nil(t, env.Error.Stack, "a stack appeared outside development")
	return env.Error
}

// shopRequireDetails asserts that the error's details name exactly the given
// "location field" pairs (in any order), each with a message.
func shopRequireDetails(t *testing.T, e client.ErrorBody, want ...string) {
	t.Helper()
	var got []string
	if e.Details != nil {
		for _, d := range *e.Details {
			require.NotEmpty(t, d.Message, "detail %s has no message", d.Field)
			if key := string(d.Location) + " " + d.Field; !slices.Contains(got, key) {
				got = append(got, key)
			}
		}
	}
	want = slices.Clone(want)
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 {
		require.Empty(t, got, "details: %+v", e.Details)
		return
	}
	require.Equal(t, want, got, "details: %+v", e.Details)
}

// shopRawError asserts a raw response is the error envelope with the given status
// and code, and that its requestId is the X-Request-Id header.
func shopRawError(t *testing.T, res *http.Response, body []byte, status int, code client.ErrorCode) client.ErrorBody {
	t.Helper()
	require.Equal(t, status, res.StatusCode, string(body))
	var env client.ErrorEnvelope
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	require.False(t, bool(env.Success))
	require.Equal(t, code, env.Error.Code, string(body))
	require.NotEmpty(t, env.Error.Message)
	require.Equal(t, res.Header.Get("X-Request-Id"), env.Error.RequestId)
	return env.Error
}

// shopDetailMessage returns the message of the first detail about field.
func shopDetailMessage(t *testing.T, e client.ErrorBody, field string) string {
	t.Helper()
	require.NotNil(t, e.Details)
	for _, d := range *e.Details {
		if d.Field == field {
			return d.Message
		}
	}
	require.Failf(t, "no detail", "no detail about %s in %+v", field, *e.Details)
	return ""
}

// shopQueryCount reads the number of SQL statements the request sent.
func shopQueryCount(t *testing.T, res *http.Response) int {
	t.Helper()
	h := res.Header.Get(server.QueryCountHeader)
	require.NotEmpty(t, h, "no %s header", server.QueryCountHeader)
	n, err := strconv.Atoi(h)
	require.NoError(t, err)
	return n
}

func shopPtr[T any](v T) *T { return &v }

// shopTag is a short random upper-case tag that keeps generated SKUs and emails unique.
func shopTag() string { return strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", "")[:10]) }

// shopExec runs a setup statement straight on the test database.
func shopExec(t *testing.T, env *apitest.Env, sql string, args ...any) {
	t.Helper()
	_, err := env.Pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// shopCount runs a count(*)-like query and returns its one number.
func shopCount(t *testing.T, env *apitest.Env, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

// shopProductOpts describes a product to insert; zero fields get defaults (a unique
// SKU, a name from it, a price of 1000), except Stock, where 0 means none.
type shopProductOpts struct {
	Sku, Name, Description string
	PriceCents             int64
	Stock                  int32
	Archived               bool
}

// shopCreateProduct inserts a product straight into the database.
func shopCreateProduct(t *testing.T, env *apitest.Env, o shopProductOpts) db.Product {
	t.Helper()
	if o.Sku == "" {
		o.Sku = "P-" + shopTag()
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

// shopCreateProducts inserts n products in one statement, named "Bulk <tag> 001"…,
// and returns their ids in that order.
func shopCreateProducts(t *testing.T, env *apitest.Env, n int, priceCents int64, stock int32) []uuid.UUID {
	t.Helper()
	tag := shopTag()
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

// shopProductInDB reads a product back from the database.
func shopProductInDB(t *testing.T, env *apitest.Env, id uuid.UUID) db.Product {
	t.Helper()
	p, err := db.New(env.Pool).ProductGet(context.Background(), id)
	require.NoError(t, err)
	return p
}

// shopStock returns a product's stock as the database has it.
func shopStock(t *testing.T, env *apitest.Env, id uuid.UUID) int32 {
	t.Helper()
	return shopProductInDB(t, env, id).Stock
}

// shopUsers inserts n users of a role in one statement (no bcrypt: these users never
// log in) and mints an access token for each. It is how the tests get hundreds of
// distinct customers quickly.
func shopUsers(t *testing.T, env *apitest.Env, role string, n int) []apitest.User {
	t.Helper()
	tag := strings.ToLower(shopTag())
	rows, err := env.Pool.Query(context.Background(), `
		INSERT INTO users (email, name, password_hash, role)
		SELECT 'shop-' || $1 || '-' || g || '@example.com', 'Shop User ' || g, 'not-a-bcrypt-hash', $2
		FROM generate_series(1, $3::int) AS g
		RETURNING id, email`, tag, role, n)
	require.NoError(t, err)
	var users []apitest.User
	for rows.Next() {
		var u apitest.User
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

func shopCustomer(t *testing.T, env *apitest.Env) apitest.User {
	t.Helper()
	return shopUsers(t, env, auth.RoleCustomer, 1)[0]
}

func shopStaff(t *testing.T, env *apitest.Env) apitest.User {
	t.Helper()
	return shopUsers(t, env, auth.RoleStaff, 1)[0]
}

// shopNoAuth sends no credentials.
func shopNoAuth(context.Context, *http.Request) error { return nil }

// shopSKUs returns the SKUs of a page of products, sorted, for order-free comparisons.
func shopSKUs(ps []client.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Sku
	}
	sort.Strings(out)
	return out
}

func TestCreateProductByStaffOrAdminReturnsItWithAnETag(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := shopStaff(t, env)
	admin := shopUsers(t, env, auth.RoleAdmin, 1)[0]

	tests := []struct {
		name   string
		caller apitest.User
		body   client.CreateProductRequest
		want   client.Product
	}{
		{
			name:   "staff create a product, with its name trimmed",
			caller: staff,
			body: client.CreateProductRequest{Sku: "WIDGET-42", Name: "  Blue widget  ",
				Description: shopPtr("A widget, in blue."), PriceCents: 1999, Stock: 100},
			want: client.Product{Sku: "WIDGET-42", Name: "Blue widget", Description: "A widget, in blue.", PriceCents: 1999, Stock: 100},
		},
		{
			name:   "an admin creates a product without a description",
			caller: admin,
			body:   client.CreateProductRequest{Sku: "GADGET-1", Name: "Gadget", PriceCents: 500, Stock: 3},
			want:   client.Product{Sku: "GADGET-1", Name: "Gadget", Description: "", PriceCents: 500, Stock: 3},
		},
		{
			name:   "the smallest accepted values are accepted",
			caller: staff,
			body:   client.CreateProductRequest{Sku: "A-1", Name: "Ab", PriceCents: 0, Stock: 0},
			want:   client.Product{Sku: "A-1", Name: "Ab", PriceCents: 0, Stock: 0},
		},
		{
			name:   "the largest accepted values are accepted",
			caller: staff,
			body: client.CreateProductRequest{Sku: strings.Repeat("Z", 32), Name: strings.Repeat("n", 120),
				Description: shopPtr(strings.Repeat("d", 2000)), PriceCents: 100_000_000, Stock: 1_000_000_000},
			want: client.Product{Sku: strings.Repeat("Z", 32), Name: strings.Repeat("n", 120),
				Description: strings.Repeat("d", 2000), PriceCents: 100_000_000, Stock: 1_000_000_000},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			res, err := env.Client.CreateProductWithResponse(ctx, tt.body, tt.caller.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
			etag := res.HTTPResponse.Header.Get("ETag")
			require.NotEmpty(t, etag)
			got := res.JSON201.Data
			require.NotEqual(t, uuid.Nil, got.Id)
			require.False(t, got.Archived)
			require.WithinDuration(t, time.Now(), got.CreatedAt, time.Minute)
			require.True(t, got.CreatedAt.After(before))
			require.Equal(t, time.UTC, got.CreatedAt.Location())
			require.Equal(t, got.CreatedAt, got.UpdatedAt)
			tt.want.Id, tt.want.CreatedAt, tt.want.UpdatedAt = got.Id, got.CreatedAt, got.UpdatedAt
			require.Equal(t, tt.want, got)

			// The product is stored as answered, and reading it gives the same ETag.
			inDB := shopProductInDB(t, env, got.Id)
			require.Equal(t, tt.want.Name, inDB.Name)
			require.Equal(t, tt.want.PriceCents, inDB.PriceCents)
			require.Equal(t, tt.want.Stock, inDB.Stock)
			read, err := env.Client.GetProductWithResponse(ctx, got.Id, nil)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, read.StatusCode())
			require.Equal(t, etag, read.HTTPResponse.Header.Get("ETag"))
			require.Equal(t, got, read.JSON200.Data)
		})
	}
}

func TestCreateProductRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := shopStaff(t, env)
	customer := shopCustomer(t, env)
	taken := shopCreateProduct(t, env, shopProductOpts{Sku: "TAKEN-1", Stock: 1})

	valid := client.CreateProductRequest{Sku: "FRESH-1", Name: "Fresh product", PriceCents: 100, Stock: 1}
	with := func(change func(*client.CreateProductRequest)) client.CreateProductRequest {
		b := valid
		change(&b)
		return b
	}
	tests := []struct {
		name    string
		auth    client.RequestEditorFn
		body    client.CreateProductRequest
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "a customer may not create products", auth: customer.Auth(), body: valid,
			status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", auth: shopNoAuth, body: valid,
			status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
		{name: "a SKU already taken is 409 SKU_TAKEN", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Sku = taken.Sku }),
			status: http.StatusConflict, code: client.SKUTAKEN, details: []string{"body sku"}},
		{name: "a lower-case SKU is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Sku = "fresh-1" }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body sku"}},
		{name: "a SKU of two characters is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Sku = "AB" }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body sku"}},
		{name: "a SKU of 33 characters is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Sku = strings.Repeat("A", 33) }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body sku"}},
		{name: "a SKU with a space or an underscore is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Sku = "AB C_D" }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body sku"}},
		{name: "a name of one character is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Name = "x" }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body name"}},
		{name: "a name that is one character once trimmed is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Name = "   x   " }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body name"}},
		{name: "a name of 121 characters is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Name = strings.Repeat("n", 121) }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body name"}},
		{name: "a description over 2000 characters is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Description = shopPtr(strings.Repeat("d", 2001)) }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body description"}},
		{name: "a negative price is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.PriceCents = -1 }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body priceCents"}},
		{name: "a price over 100 000 000 is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.PriceCents = 100_000_001 }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body priceCents"}},
		{name: "a negative stock is refused", auth: staff.Auth(),
			body:   with(func(b *client.CreateProductRequest) { b.Stock = -1 }),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body stock"}},
		{name: "every problem is reported at once", auth: staff.Auth(),
			body:   client.CreateProductRequest{Sku: "a", Name: "x", PriceCents: -5, Stock: -5},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR,
			details: []string{"body sku", "body name", "body priceCents", "body stock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.CreateProductWithResponse(ctx, tt.body, tt.auth)
			require.NoError(t, err)
			e := shopRequireError(t, res, tt.status, tt.code)
			shopRequireDetails(t, e, tt.details...)
		})
	}

	t.Run("missing fields are each named", func(t *testing.T) {
		res, body := env.Do(http.MethodPost, "/api/v1/products", "application/json", []byte(`{"description":"only this"}`),
			"Authorization", "Bearer "+staff.Token)
		e := shopRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		shopRequireDetails(t, e, "body sku", "body name", "body priceCents", "body stock")
	})
	t.Run("a field the operation does not take is named", func(t *testing.T) {
		res, body := env.Do(http.MethodPost, "/api/v1/products", "application/json",
			[]byte(`{"sku":"FRESH-2","name":"Fresh","priceCents":1,"stock":1,"colour":"red"}`),
			"Authorization", "Bearer "+staff.Token)
		e := shopRawError(t, res, body, http.StatusBadRequest, client.UNKNOWNFIELD)
		shopRequireDetails(t, e, "body colour")
	})

	require.Equal(t, int64(1), shopCount(t, env, `SELECT count(*) FROM products`), "a refused create left a product behind")
}

func TestGetProductWithETagAndIfNoneMatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := shopStaff(t, env)

	created, err := env.Client.CreateProductWithResponse(ctx,
		client.CreateProductRequest{Sku: "ETAG-1", Name: "Tagged", PriceCents: 100, Stock: 1}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode())
	id := created.JSON201.Data.Id
	stale := created.HTTPResponse.Header.Get("ETag")
	changed, err := env.Client.UpdateProductWithResponse(ctx, id, nil,
		client.UpdateProductRequest{PriceCents: shopPtr[int64](150)}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, changed.StatusCode())
	current := changed.HTTPResponse.Header.Get("ETag")
	require.NotEqual(t, stale, current)

	tests := []struct {
		name        string
		ifNoneMatch *string
		status      int
	}{
		{name: "without If-None-Match the product comes with its ETag", status: http.StatusOK},
		{name: "the current ETag gives 304", ifNoneMatch: &current, status: http.StatusNotModified},
		{name: "the weak form of the current ETag gives 304", ifNoneMatch: shopPtr("W/" + current), status: http.StatusNotModified},
		{name: "a list holding the current ETag gives 304", ifNoneMatch: shopPtr(`"nope", ` + current), status: http.StatusNotModified},
		{name: "a star gives 304", ifNoneMatch: shopPtr("*"), status: http.StatusNotModified},
		{name: "a stale ETag gives the current product", ifNoneMatch: &stale, status: http.StatusOK},
		{name: "a garbage ETag gives the current product", ifNoneMatch: shopPtr("garbage"), status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.GetProductWithResponse(ctx, id, &client.GetProductParams{IfNoneMatch: tt.ifNoneMatch})
			require.NoError(t, err)
			require.Equal(t, tt.status, res.StatusCode(), string(res.Body))
			require.Equal(t, current, res.HTTPResponse.Header.Get("ETag"))
			if tt.status == http.StatusNotModified {
				require.Empty(t, res.Body)
				return
			}
			require.Equal(t, id, res.JSON200.Data.Id)
			require.Equal(t, int64(150), res.JSON200.Data.PriceCents)
			require.Equal(t, 1, shopQueryCount(t, res.HTTPResponse))
		})
	}

	t.Run("an unknown id is 404", func(t *testing.T) {
		res, err := env.Client.GetProductWithResponse(ctx, uuid.New(), nil)
		require.NoError(t, err)
		shopRequireError(t, res, http.StatusNotFound, client.NOTFOUND)
	})
	t.Run("a malformed id is 400 naming the path parameter", func(t *testing.T) {
		res, body := env.Do(http.MethodGet, "/api/v1/products/not-a-uuid", "", nil)
		e := shopRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		shopRequireDetails(t, e, "path id")
	})
}

func TestUpdateProduct(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := shopStaff(t, env)
	customer := shopCustomer(t, env)
	other := shopCreateProduct(t, env, shopProductOpts{Sku: "OTHER-1", Stock: 1})

	// fresh creates a product through the API and returns it with its ETag.
	fresh := func(t *testing.T) (client.Product, string) {
		t.Helper()
		res, err := env.Client.CreateProductWithResponse(ctx, client.CreateProductRequest{
			Sku: "UPD-" + shopTag(), Name: "Original name", Description: shopPtr("Original description"),
			PriceCents: 1000, Stock: 10}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		return res.JSON201.Data, res.HTTPResponse.Header.Get("ETag")
	}

	t.Run("a partial update changes only the fields sent and moves the ETag", func(t *testing.T) {
		p, tag := fresh(t)
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, nil,
			client.UpdateProductRequest{PriceCents: shopPtr[int64](1250)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		got := res.JSON200.Data
		require.Equal(t, int64(1250), got.PriceCents)
		require.Equal(t, p.Sku, got.Sku)
		require.Equal(t, p.Name, got.Name)
		require.Equal(t, p.Description, got.Description)
		require.Equal(t, p.Stock, got.Stock)
		require.Equal(t, p.CreatedAt, got.CreatedAt)
		require.False(t, got.UpdatedAt.Before(p.UpdatedAt))
		newTag := res.HTTPResponse.Header.Get("ETag")
		require.NotEmpty(t, newTag)
		require.NotEqual(t, tag, newTag)
		require.Equal(t, int64(1250), shopProductInDB(t, env, p.Id).PriceCents)
	})

	t.Run("every field may be changed at once, and the name is trimmed", func(t *testing.T) {
		p, _ := fresh(t)
		sku := "NEW-" + shopTag()
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, nil, client.UpdateProductRequest{
			Sku: &sku, Name: shopPtr("  New name "), Description: shopPtr(""), PriceCents: shopPtr[int64](0), Stock: shopPtr[int32](0),
		}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		got := res.JSON200.Data
		require.Equal(t, sku, got.Sku)
		require.Equal(t, "New name", got.Name)
		require.Equal(t, "", got.Description)
		require.Equal(t, int64(0), got.PriceCents)
		require.Equal(t, int32(0), got.Stock)
	})

	t.Run("If-Match with the current ETag applies the change and returns a new ETag", func(t *testing.T) {
		p, tag := fresh(t)
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, &client.UpdateProductParams{IfMatch: &tag},
			client.UpdateProductRequest{Stock: shopPtr[int32](42)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, int32(42), res.JSON200.Data.Stock)
		newTag := res.HTTPResponse.Header.Get("ETag")
		require.NotEqual(t, tag, newTag)

		// The new ETag is the one a read returns, and it is good for the next change.
		read, err := env.Client.GetProductWithResponse(ctx, p.Id, nil)
		require.NoError(t, err)
		require.Equal(t, newTag, read.HTTPResponse.Header.Get("ETag"))
		again, err := env.Client.UpdateProductWithResponse(ctx, p.Id, &client.UpdateProductParams{IfMatch: &newTag},
			client.UpdateProductRequest{Stock: shopPtr[int32](43)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, again.StatusCode(), string(again.Body))
	})

	t.Run("If-Match * applies the change", func(t *testing.T) {
		p, _ := fresh(t)
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, &client.UpdateProductParams{IfMatch: shopPtr("*")},
			client.UpdateProductRequest{Stock: shopPtr[int32](7)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	})

	staleCases := []struct {
		name    string
		ifMatch func(stale, current string) string
	}{
		{name: "If-Match with a stale ETag is 412 and changes nothing", ifMatch: func(stale, _ string) string { return stale }},
		{name: "If-Match with the weak form of the current ETag is 412, as If-Match compares strongly",
			ifMatch: func(_, current string) string { return "W/" + current }},
		{name: "If-Match with a garbage ETag is 412", ifMatch: func(string, string) string { return `"garbage"` }},
	}
	for _, tt := range staleCases {
		t.Run(tt.name, func(t *testing.T) {
			p, stale := fresh(t)
			moved, err := env.Client.UpdateProductWithResponse(ctx, p.Id, nil,
				client.UpdateProductRequest{Name: shopPtr("Changed by someone else")}, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, moved.StatusCode())
			current := moved.HTTPResponse.Header.Get("ETag")
			before := shopProductInDB(t, env, p.Id)

			res, err := env.Client.UpdateProductWithResponse(ctx, p.Id,
				&client.UpdateProductParams{IfMatch: shopPtr(tt.ifMatch(stale, current))},
				client.UpdateProductRequest{Name: shopPtr("Lost update"), PriceCents: shopPtr[int64](1)}, staff.Auth())
			require.NoError(t, err)
			shopRequireError(t, res, http.StatusPreconditionFailed, client.PRECONDITIONFAILED)
			require.Equal(t, before, shopProductInDB(t, env, p.Id), "a refused change touched the product")
		})
	}

	refusals := []struct {
		name    string
		id      func(p client.Product) uuid.UUID
		params  *client.UpdateProductParams
		auth    client.RequestEditorFn
		body    client.UpdateProductRequest
		status  int
		code    client.ErrorCode
		details []string
	}{
		{name: "a SKU taken by another product is 409 SKU_TAKEN",
			body:   client.UpdateProductRequest{Sku: shopPtr(other.Sku)},
			status: http.StatusConflict, code: client.SKUTAKEN, details: []string{"body sku"}},
		{name: "a name that is one character once trimmed is refused",
			body:   client.UpdateProductRequest{Name: shopPtr("  y  ")},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body name"}},
		{name: "an empty change is refused",
			body:   client.UpdateProductRequest{},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body body"}},
		{name: "every bad field is reported at once",
			body: client.UpdateProductRequest{Sku: shopPtr("bad sku"), PriceCents: shopPtr[int64](-1),
				Stock: shopPtr[int32](-1), Description: shopPtr(strings.Repeat("d", 2001))},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR,
			details: []string{"body sku", "body priceCents", "body stock", "body description"}},
		{name: "an unknown id is 404", id: func(client.Product) uuid.UUID { return uuid.New() },
			body:   client.UpdateProductRequest{Stock: shopPtr[int32](1)},
			status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "an unknown id with If-Match is 404, not 412", id: func(client.Product) uuid.UUID { return uuid.New() },
			params: &client.UpdateProductParams{IfMatch: shopPtr(`"1"`)},
			body:   client.UpdateProductRequest{Stock: shopPtr[int32](1)},
			status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "a customer may not change products", auth: customer.Auth(),
			body:   client.UpdateProductRequest{PriceCents: shopPtr[int64](1)},
			status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", auth: shopNoAuth,
			body:   client.UpdateProductRequest{PriceCents: shopPtr[int64](1)},
			status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := fresh(t)
			before := shopProductInDB(t, env, p.Id)
			id := p.Id
			if tt.id != nil {
				id = tt.id(p)
			}
			editor := staff.Auth()
			if tt.auth != nil {
				editor = tt.auth
			}
			res, err := env.Client.UpdateProductWithResponse(ctx, id, tt.params, tt.body, editor)
			require.NoError(t, err)
			e := shopRequireError(t, res, tt.status, tt.code)
			shopRequireDetails(t, e, tt.details...)
			require.Equal(t, before, shopProductInDB(t, env, p.Id), "a refused change touched the product")
		})
	}
}

func TestArchiveProduct(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := shopStaff(t, env)
	customer := shopCustomer(t, env)

	p := shopCreateProduct(t, env, shopProductOpts{Sku: "RETIRE-1", Name: "Retiring product", PriceCents: 300, Stock: 9})
	live := shopCreateProduct(t, env, shopProductOpts{Sku: "LIVE-1", Name: "Live product", Stock: 9})
	// An order placed before archiving must stay readable with the product's name.
	old := shopPlaceOrder(t, env, customer, shopItem(p.ID, 2))

	refusals := []struct {
		name   string
		id     uuid.UUID
		auth   client.RequestEditorFn
		status int
		code   client.ErrorCode
	}{
		{name: "a customer may not archive products", id: p.ID, auth: customer.Auth(), status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", id: p.ID, auth: shopNoAuth, status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
		{name: "an unknown id is 404", id: uuid.New(), auth: staff.Auth(), status: http.StatusNotFound, code: client.NOTFOUND},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ArchiveProductWithResponse(ctx, tt.id, tt.auth)
			require.NoError(t, err)
			shopRequireError(t, res, tt.status, tt.code)
			require.Nil(t, shopProductInDB(t, env, p.ID).ArchivedAt)
		})
	}

	res, err := env.Client.ArchiveProductWithResponse(ctx, p.ID, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.True(t, res.JSON200.Data.Archived)
	require.Equal(t, p.ID, res.JSON200.Data.Id)
	require.Equal(t, int32(7), res.JSON200.Data.Stock)

	t.Run("archiving again is harmless", func(t *testing.T) {
		firstAt := shopProductInDB(t, env, p.ID).ArchivedAt
		again, err := env.Client.ArchiveProductWithResponse(ctx, p.ID, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, again.StatusCode())
		require.True(t, again.JSON200.Data.Archived)
		require.Equal(t, firstAt, shopProductInDB(t, env, p.ID).ArchivedAt)
	})
	t.Run("the archived product is hidden from the public list", func(t *testing.T) {
		list, err := env.Client.ListProductsWithResponse(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, list.StatusCode())
		require.Equal(t, []string{live.Sku}, shopSKUs(list.JSON200.Data))
		require.Equal(t, int64(1), list.JSON200.Pagination.Total)
		bySKU, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Q: shopPtr(p.Sku)})
		require.NoError(t, err)
		require.Empty(t, bySKU.JSON200.Data)
		require.Equal(t, int64(0), bySKU.JSON200.Pagination.Total)
	})
	t.Run("the archived product is still readable by id", func(t *testing.T) {
		read, err := env.Client.GetProductWithResponse(ctx, p.ID, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, read.StatusCode())
		require.True(t, read.JSON200.Data.Archived)
		require.Equal(t, p.Name, read.JSON200.Data.Name)
	})
	t.Run("the archived product can no longer be ordered", func(t *testing.T) {
		order, err := env.Client.CreateOrderWithResponse(ctx, nil,
			client.CreateOrderRequest{Items: []client.OrderItemInput{shopItem(live.ID, 1), shopItem(p.ID, 1)}}, customer.Auth())
		require.NoError(t, err)
		e := shopRequireError(t, order, http.StatusBadRequest, client.VALIDATIONERROR)
		shopRequireDetails(t, e, "body items.1.productId")
		require.Contains(t, shopDetailMessage(t, e, "items.1.productId"), "archived")
		require.Equal(t, int32(7), shopStock(t, env, p.ID))
		require.Equal(t, int32(9), shopStock(t, env, live.ID))
	})
	t.Run("orders placed before archiving still show the product", func(t *testing.T) {
		read, err := env.Client.GetOrderWithResponse(ctx, old.Id, customer.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, read.StatusCode())
		require.Len(t, read.JSON200.Data.Items, 1)
		require.Equal(t, p.Name, read.JSON200.Data.Items[0].Name)
		require.Equal(t, p.Sku, read.JSON200.Data.Items[0].Sku)
	})
}

func TestListProductsFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()

	for _, o := range []shopProductOpts{
		{Sku: "WID-BLUE", Name: "Blue Widget", PriceCents: 1500, Stock: 10},
		{Sku: "WID-RED", Name: "Red widget", PriceCents: 2500, Stock: 0},
		{Sku: "GAD-1", Name: "Gadget", PriceCents: 500, Stock: 3},
		{Sku: "SHIRT-100", Name: "100% Cotton Shirt", PriceCents: 3000, Stock: 5},
		{Sku: "MUG-1", Name: "snake_case Mug", PriceCents: 800, Stock: 0},
		{Sku: "MUG-2", Name: "Hundred Percent Mug", PriceCents: 900, Stock: 2},
		{Sku: "WID-OLD", Name: "Archived Widget", PriceCents: 1500, Stock: 10, Archived: true},
	} {
		shopCreateProduct(t, env, o)
	}

	tests := []struct {
		name   string
		params client.ListProductsParams
		want   []string
	}{
		{name: "without filters every live product is listed", params: client.ListProductsParams{},
			want: []string{"GAD-1", "MUG-1", "MUG-2", "SHIRT-100", "WID-BLUE", "WID-RED"}},
		{name: "q matches the name case-insensitively", params: client.ListProductsParams{Q: shopPtr("widget")},
			want: []string{"WID-BLUE", "WID-RED"}},
		{name: "q in capitals matches the same names", params: client.ListProductsParams{Q: shopPtr("WIDGET")},
			want: []string{"WID-BLUE", "WID-RED"}},
		{name: "q matches the SKU case-insensitively", params: client.ListProductsParams{Q: shopPtr("gad-1")},
			want: []string{"GAD-1"}},
		{name: "q matches anywhere in the text", params: client.ListProductsParams{Q: shopPtr("d-b")},
			want: []string{"WID-BLUE"}},
		{name: "a percent sign in q matches only itself", params: client.ListProductsParams{Q: shopPtr("%")},
			want: []string{"SHIRT-100"}},
		{name: "an underscore in q matches only itself", params: client.ListProductsParams{Q: shopPtr("_")},
			want: []string{"MUG-1"}},
		{name: "wildcards in q never match other characters", params: client.ListProductsParams{Q: shopPtr("e_c")},
			want: []string{"MUG-1"}},
		{name: "a backslash in q matches only itself", params: client.ListProductsParams{Q: shopPtr(`\`)},
			want: []string{}},
		{name: "q that matches nothing gives an empty page", params: client.ListProductsParams{Q: shopPtr("nothing like it")},
			want: []string{}},
		{name: "minPriceCents is inclusive", params: client.ListProductsParams{MinPriceCents: shopPtr[int64](900)},
			want: []string{"MUG-2", "SHIRT-100", "WID-BLUE", "WID-RED"}},
		{name: "maxPriceCents is inclusive", params: client.ListProductsParams{MaxPriceCents: shopPtr[int64](900)},
			want: []string{"GAD-1", "MUG-1", "MUG-2"}},
		{name: "a price range keeps what lies within it",
			params: client.ListProductsParams{MinPriceCents: shopPtr[int64](800), MaxPriceCents: shopPtr[int64](1500)},
			want:   []string{"MUG-1", "MUG-2", "WID-BLUE"}},
		{name: "an equal minimum and maximum keep one price",
			params: client.ListProductsParams{MinPriceCents: shopPtr[int64](1500), MaxPriceCents: shopPtr[int64](1500)},
			want:   []string{"WID-BLUE"}},
		{name: "inStock=true keeps products with stock", params: client.ListProductsParams{InStock: shopPtr(true)},
			want: []string{"GAD-1", "MUG-2", "SHIRT-100", "WID-BLUE"}},
		{name: "inStock=false keeps products without stock", params: client.ListProductsParams{InStock: shopPtr(false)},
			want: []string{"MUG-1", "WID-RED"}},
		{name: "filters combine", params: client.ListProductsParams{Q: shopPtr("mug"), InStock: shopPtr(true)},
			want: []string{"MUG-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ListProductsWithResponse(ctx, &tt.params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Equal(t, tt.want, shopSKUs(res.JSON200.Data))
			apitest.RequirePagination(t, client.Pagination{Page: 1, Limit: 20, Total: int64(len(tt.want)), TotalExact: true, Pages: int32((len(tt.want) + 19) / 20)},
				res.JSON200.Pagination)
			require.Equal(t, 1, shopQueryCount(t, res.HTTPResponse), "a product page is one statement")
		})
	}

	refusals := []struct {
		name    string
		query   string
		details []string
	}{
		{name: "a minimum above the maximum is refused", query: "minPriceCents=2000&maxPriceCents=1000", details: []string{"query minPriceCents"}},
		{name: "a negative minimum is refused", query: "minPriceCents=-1", details: []string{"query minPriceCents"}},
		{name: "a maximum over 100 000 000 is refused", query: "maxPriceCents=100000001", details: []string{"query maxPriceCents"}},
		{name: "a price that is not a number is refused", query: "minPriceCents=cheap", details: []string{"query minPriceCents"}},
		{name: "inStock that is not a boolean is refused", query: "inStock=maybe", details: []string{"query inStock"}},
		{name: "an empty q is refused", query: "q=", details: []string{"query q"}},
		{name: "a q over 100 characters is refused", query: "q=" + strings.Repeat("q", 101), details: []string{"query q"}},
		{name: "an unknown sort is refused", query: "sort=price", details: []string{"query sort"}},
		{name: "every bad parameter is reported at once", query: "minPriceCents=-1&maxPriceCents=-1&inStock=maybe&sort=up",
			details: []string{"query minPriceCents", "query maxPriceCents", "query inStock", "query sort"}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res, body := env.Do(http.MethodGet, "/api/v1/products?"+tt.query, "", nil)
			e := shopRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			shopRequireDetails(t, e, tt.details...)
		})
	}
	t.Run("a minimum above the maximum is refused through the client too", func(t *testing.T) {
		res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{
			MinPriceCents: shopPtr[int64](2), MaxPriceCents: shopPtr[int64](1)})
		require.NoError(t, err)
		e := shopRequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		shopRequireDetails(t, e, "query minPriceCents")
	})
}

func TestListProductsSortOrders(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()

	// Names, prices and creation order all disagree, and two prices tie, so that each
	// sort is seen to do its own work. Names differ in their first (capital) letter so
	// that any collation orders them alike.
	for _, o := range []shopProductOpts{
		{Sku: "SORT-D", Name: "Delta", PriceCents: 700},
		{Sku: "SORT-A", Name: "Alpha", PriceCents: 300},
		{Sku: "SORT-G", Name: "Golf", PriceCents: 100},
		{Sku: "SORT-C", Name: "Charlie", PriceCents: 900},
		{Sku: "SORT-F", Name: "Foxtrot", PriceCents: 300},
		{Sku: "SORT-B", Name: "Bravo", PriceCents: 500},
		{Sku: "SORT-E", Name: "Echo", PriceCents: 300},
		{Sku: "SORT-H", Name: "Hotel", PriceCents: 200},
	} {
		o.Stock = 1
		shopCreateProduct(t, env, o)
	}

	byID := func(a, b client.Product) int { return strings.Compare(a.Id.String(), b.Id.String()) }
	tests := []struct {
		name   string
		sort   *client.ListProductsParamsSort
		sorted func(a, b client.Product) int
	}{
		{name: "sort=name orders by name", sort: shopPtr(client.ListProductsParamsSortName),
			sorted: func(a, b client.Product) int { return strings.Compare(a.Name, b.Name) }},
		{name: "sort=priceCents orders by price, cheapest first", sort: shopPtr(client.ListProductsParamsSortPriceCents),
			sorted: func(a, b client.Product) int {
				if c := int(a.PriceCents - b.PriceCents); c != 0 {
					return c
				}
				return byID(a, b)
			}},
		{name: "sort=-priceCents orders by price, dearest first", sort: shopPtr(client.ListProductsParamsSortMinusPriceCents),
			sorted: func(a, b client.Product) int {
				if c := int(b.PriceCents - a.PriceCents); c != 0 {
					return c
				}
				return byID(b, a)
			}},
		{name: "sort=-createdAt orders newest first", sort: shopPtr(client.ListProductsParamsSortMinusCreatedAt),
			sorted: func(a, b client.Product) int {
				if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
					return c
				}
				return byID(b, a)
			}},
		{name: "without sort the newest come first",
			sorted: func(a, b client.Product) int {
				if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
					return c
				}
				return byID(b, a)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Sort: tt.sort})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			got := res.JSON200.Data
			require.Len(t, got, 8)
			want := slices.Clone(got)
			slices.SortStableFunc(want, tt.sorted)
			require.Equal(t, shopSKUsInOrder(want), shopSKUsInOrder(got))

			// The same order holds across pages.
			var paged []client.Product
			for page := int32(1); page <= 3; page++ {
				p, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Sort: tt.sort, Page: &page, Limit: shopPtr[int32](3)})
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, p.StatusCode())
				paged = append(paged, p.JSON200.Data...)
			}
			require.Equal(t, shopSKUsInOrder(got), shopSKUsInOrder(paged))
		})
	}
	t.Run("the sorts give the expected orders", func(t *testing.T) {
		for sort, want := range map[client.ListProductsParamsSort][]string{
			client.ListProductsParamsSortName:            {"SORT-A", "SORT-B", "SORT-C", "SORT-D", "SORT-E", "SORT-F", "SORT-G", "SORT-H"},
			client.ListProductsParamsSortMinusCreatedAt:  {"SORT-H", "SORT-E", "SORT-B", "SORT-F", "SORT-C", "SORT-G", "SORT-A", "SORT-D"},
			client.ListProductsParamsSortPriceCents:      nil,
			client.ListProductsParamsSortMinusPriceCents: nil,
		} {
			res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Sort: &sort})
			require.NoError(t, err)
			got := shopSKUsInOrder(res.JSON200.Data)
			if want != nil {
				require.Equal(t, want, got, "sort=%s", sort)
				continue
			}
			// Prices: G 100, H 200, {A, F, E} 300 in id order, B 500, D 700, C 900.
			if sort == client.ListProductsParamsSortMinusPriceCents {
				slices.Reverse(got)
			}
			require.Equal(t, []string{"SORT-G", "SORT-H"}, got[:2], "sort=%s", sort)
			require.ElementsMatch(t, []string{"SORT-A", "SORT-F", "SORT-E"}, got[2:5], "sort=%s", sort)
			require.Equal(t, []string{"SORT-B", "SORT-D", "SORT-C"}, got[5:], "sort=%s", sort)
		}
	})
}

func shopSKUsInOrder(ps []client.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Sku
	}
	return out
}

func TestListProductsPagination(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	ids := shopCreateProducts(t, env, 25, 100, 1)
	// Twelve of them run out of stock, for a filtered total.
	shopExec(t, env, `UPDATE products SET stock = 0 WHERE id = ANY($1::uuid[])`, ids[:13])

	tests := []struct {
		name       string
		params     client.ListProductsParams
		wantLen    int
		wantPaging client.Pagination
		statements int
	}{
		{name: "the default page holds 20", params: client.ListProductsParams{},
			wantLen: 20, wantPaging: client.Pagination{Page: 1, Limit: 20, Total: 25, TotalExact: true, Pages: 2}, statements: 1},
		{name: "the first page of ten", params: client.ListProductsParams{Limit: shopPtr[int32](10)},
			wantLen: 10, wantPaging: client.Pagination{Page: 1, Limit: 10, Total: 25, TotalExact: true, Pages: 3}, statements: 1},
		{name: "the last page holds the rest", params: client.ListProductsParams{Limit: shopPtr[int32](10), Page: shopPtr[int32](3)},
			wantLen: 5, wantPaging: client.Pagination{Page: 3, Limit: 10, Total: 25, TotalExact: true, Pages: 3}, statements: 1},
		{name: "a page past the end is empty but still counts the total", params: client.ListProductsParams{Limit: shopPtr[int32](10), Page: shopPtr[int32](4)},
			wantLen: 0, wantPaging: client.Pagination{Page: 4, Limit: 10, Total: 25, TotalExact: true, Pages: 3}, statements: 2},
		{name: "a filtered page counts only the matches", params: client.ListProductsParams{Limit: shopPtr[int32](10), InStock: shopPtr(true)},
			wantLen: 10, wantPaging: client.Pagination{Page: 1, Limit: 10, Total: 12, TotalExact: true, Pages: 2}, statements: 1},
		{name: "a page of 100 holds everything", params: client.ListProductsParams{Limit: shopPtr[int32](100)},
			wantLen: 25, wantPaging: client.Pagination{Page: 1, Limit: 100, Total: 25, TotalExact: true, Pages: 1}, statements: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ListProductsWithResponse(ctx, &tt.params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Len(t, res.JSON200.Data, tt.wantLen)
			apitest.RequirePagination(t, tt.wantPaging, res.JSON200.Pagination)
			require.Equal(t, tt.statements, shopQueryCount(t, res.HTTPResponse))
		})
	}

	t.Run("the pages together hold every product once", func(t *testing.T) {
		seen := map[uuid.UUID]bool{}
		for page := int32(1); page <= 3; page++ {
			res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Page: &page, Limit: shopPtr[int32](10)})
			require.NoError(t, err)
			for _, p := range res.JSON200.Data {
				require.False(t, seen[p.Id], "product %s on two pages", p.Sku)
				seen[p.Id] = true
			}
		}
		require.Len(t, seen, 25)
	})

	for _, q := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=101", "limit"}, {"page=0", "page"}, {"page=x", "page"},
	} {
		t.Run(fmt.Sprintf("%s is refused", q.query), func(t *testing.T) {
			res, body := env.Do(http.MethodGet, "/api/v1/products?"+q.query, "", nil)
			e := shopRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			shopRequireDetails(t, e, "query "+q.field)
		})
	}
}
