package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
)

func TestCreateProductByStaffOrAdminReturnsItWithAnETag(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := apitest.Staff(t, env)
	admin := apitest.CreateUsers(t, env, auth.RoleAdmin, 1)[0]

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
				Description: apitest.Ptr("A widget, in blue."), PriceCents: 1999, Stock: 100},
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
				Description: apitest.Ptr(strings.Repeat("d", 2000)), PriceCents: 100_000_000, Stock: 1_000_000_000},
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
			inDB := apitest.ProductInDB(t, env, got.Id)
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
	staff := apitest.Staff(t, env)
	customer := apitest.Customer(t, env)
	taken := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "TAKEN-1", Stock: 1})

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
		{name: "an anonymous caller must authenticate", auth: apitest.NoAuth, body: valid,
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
			body:   with(func(b *client.CreateProductRequest) { b.Description = apitest.Ptr(strings.Repeat("d", 2001)) }),
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
			e := apitest.RequireError(t, res, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
		})
	}

	t.Run("missing fields are each named", func(t *testing.T) {
		res, body := env.Do(http.MethodPost, "/api/v1/products", "application/json", []byte(`{"description":"only this"}`),
			"Authorization", "Bearer "+staff.Token)
		e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "body sku", "body name", "body priceCents", "body stock")
	})
	t.Run("a field the operation does not take is named", func(t *testing.T) {
		res, body := env.Do(http.MethodPost, "/api/v1/products", "application/json",
			[]byte(`{"sku":"FRESH-2","name":"Fresh","priceCents":1,"stock":1,"colour":"red"}`),
			"Authorization", "Bearer "+staff.Token)
		e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.UNKNOWNFIELD)
		apitest.RequireDetails(t, e, "body colour")
	})

	require.Equal(t, int64(1), apitest.Count(t, env, `SELECT count(*) FROM products`), "a refused create left a product behind")
}

func TestGetProductWithETagAndIfNoneMatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := apitest.Staff(t, env)

	created, err := env.Client.CreateProductWithResponse(ctx,
		client.CreateProductRequest{Sku: "ETAG-1", Name: "Tagged", PriceCents: 100, Stock: 1}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode())
	id := created.JSON201.Data.Id
	stale := created.HTTPResponse.Header.Get("ETag")
	changed, err := env.Client.UpdateProductWithResponse(ctx, id, nil,
		client.UpdateProductRequest{PriceCents: apitest.Ptr[int64](150)}, staff.Auth())
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
		{name: "the weak form of the current ETag gives 304", ifNoneMatch: apitest.Ptr("W/" + current), status: http.StatusNotModified},
		{name: "a list holding the current ETag gives 304", ifNoneMatch: apitest.Ptr(`"nope", ` + current), status: http.StatusNotModified},
		{name: "a star gives 304", ifNoneMatch: apitest.Ptr("*"), status: http.StatusNotModified},
		{name: "a stale ETag gives the current product", ifNoneMatch: &stale, status: http.StatusOK},
		{name: "a garbage ETag gives the current product", ifNoneMatch: apitest.Ptr("garbage"), status: http.StatusOK},
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
			require.Equal(t, 1, apitest.QueryCount(t, res.HTTPResponse))
		})
	}

	t.Run("an unknown id is 404", func(t *testing.T) {
		res, err := env.Client.GetProductWithResponse(ctx, uuid.New(), nil)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusNotFound, client.NOTFOUND)
	})
	t.Run("a malformed id is 400 naming the path parameter", func(t *testing.T) {
		res, body := env.Do(http.MethodGet, "/api/v1/products/not-a-uuid", "", nil)
		e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "path id")
	})
}

func TestUpdateProduct(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := apitest.Staff(t, env)
	customer := apitest.Customer(t, env)
	other := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "OTHER-1", Stock: 1})

	// fresh creates a product through the API and returns it with its ETag.
	fresh := func(t *testing.T) (client.Product, string) {
		t.Helper()
		res, err := env.Client.CreateProductWithResponse(ctx, client.CreateProductRequest{
			Sku: "UPD-" + apitest.Tag(), Name: "Original name", Description: apitest.Ptr("Original description"),
			PriceCents: 1000, Stock: 10}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		return res.JSON201.Data, res.HTTPResponse.Header.Get("ETag")
	}

	t.Run("a partial update changes only the fields sent and moves the ETag", func(t *testing.T) {
		p, tag := fresh(t)
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, nil,
			client.UpdateProductRequest{PriceCents: apitest.Ptr[int64](1250)}, staff.Auth())
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
		require.Equal(t, int64(1250), apitest.ProductInDB(t, env, p.Id).PriceCents)
	})

	t.Run("every field may be changed at once, and the name is trimmed", func(t *testing.T) {
		p, _ := fresh(t)
		sku := "NEW-" + apitest.Tag()
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, nil, client.UpdateProductRequest{
			Sku: &sku, Name: apitest.Ptr("  New name "), Description: apitest.Ptr(""), PriceCents: apitest.Ptr[int64](0), Stock: apitest.Ptr[int32](0),
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
			client.UpdateProductRequest{Stock: apitest.Ptr[int32](42)}, staff.Auth())
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
			client.UpdateProductRequest{Stock: apitest.Ptr[int32](43)}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, again.StatusCode(), string(again.Body))
	})

	t.Run("If-Match * applies the change", func(t *testing.T) {
		p, _ := fresh(t)
		res, err := env.Client.UpdateProductWithResponse(ctx, p.Id, &client.UpdateProductParams{IfMatch: apitest.Ptr("*")},
			client.UpdateProductRequest{Stock: apitest.Ptr[int32](7)}, staff.Auth())
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
				client.UpdateProductRequest{Name: apitest.Ptr("Changed by someone else")}, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, moved.StatusCode())
			current := moved.HTTPResponse.Header.Get("ETag")
			before := apitest.ProductInDB(t, env, p.Id)

			res, err := env.Client.UpdateProductWithResponse(ctx, p.Id,
				&client.UpdateProductParams{IfMatch: apitest.Ptr(tt.ifMatch(stale, current))},
				client.UpdateProductRequest{Name: apitest.Ptr("Lost update"), PriceCents: apitest.Ptr[int64](1)}, staff.Auth())
			require.NoError(t, err)
			apitest.RequireError(t, res, http.StatusPreconditionFailed, client.PRECONDITIONFAILED)
			require.Equal(t, before, apitest.ProductInDB(t, env, p.Id), "a refused change touched the product")
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
			body:   client.UpdateProductRequest{Sku: apitest.Ptr(other.Sku)},
			status: http.StatusConflict, code: client.SKUTAKEN, details: []string{"body sku"}},
		{name: "a name that is one character once trimmed is refused",
			body:   client.UpdateProductRequest{Name: apitest.Ptr("  y  ")},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body name"}},
		{name: "an empty change is refused",
			body:   client.UpdateProductRequest{},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, details: []string{"body body"}},
		{name: "every bad field is reported at once",
			body: client.UpdateProductRequest{Sku: apitest.Ptr("bad sku"), PriceCents: apitest.Ptr[int64](-1),
				Stock: apitest.Ptr[int32](-1), Description: apitest.Ptr(strings.Repeat("d", 2001))},
			status: http.StatusBadRequest, code: client.VALIDATIONERROR,
			details: []string{"body sku", "body priceCents", "body stock", "body description"}},
		{name: "an unknown id is 404", id: func(client.Product) uuid.UUID { return uuid.New() },
			body:   client.UpdateProductRequest{Stock: apitest.Ptr[int32](1)},
			status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "an unknown id with If-Match is 404, not 412", id: func(client.Product) uuid.UUID { return uuid.New() },
			params: &client.UpdateProductParams{IfMatch: apitest.Ptr(`"1"`)},
			body:   client.UpdateProductRequest{Stock: apitest.Ptr[int32](1)},
			status: http.StatusNotFound, code: client.NOTFOUND},
		{name: "a customer may not change products", auth: customer.Auth(),
			body:   client.UpdateProductRequest{PriceCents: apitest.Ptr[int64](1)},
			status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", auth: apitest.NoAuth,
			body:   client.UpdateProductRequest{PriceCents: apitest.Ptr[int64](1)},
			status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := fresh(t)
			before := apitest.ProductInDB(t, env, p.Id)
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
			e := apitest.RequireError(t, res, tt.status, tt.code)
			apitest.RequireDetails(t, e, tt.details...)
			require.Equal(t, before, apitest.ProductInDB(t, env, p.Id), "a refused change touched the product")
		})
	}
}

func TestArchiveProduct(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	staff := apitest.Staff(t, env)
	customer := apitest.Customer(t, env)

	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "RETIRE-1", Name: "Retiring product", PriceCents: 300, Stock: 9})
	live := apitest.CreateProduct(t, env, apitest.ProductOpts{Sku: "LIVE-1", Name: "Live product", Stock: 9})
	// An order placed before archiving must stay readable with the product's name.
	old := apitest.PlaceOrder(t, env, customer, apitest.Item(p.ID, 2))

	refusals := []struct {
		name   string
		id     uuid.UUID
		auth   client.RequestEditorFn
		status int
		code   client.ErrorCode
	}{
		{name: "a customer may not archive products", id: p.ID, auth: customer.Auth(), status: http.StatusForbidden, code: client.FORBIDDEN},
		{name: "an anonymous caller must authenticate", id: p.ID, auth: apitest.NoAuth, status: http.StatusUnauthorized, code: client.UNAUTHENTICATED},
		{name: "an unknown id is 404", id: uuid.New(), auth: staff.Auth(), status: http.StatusNotFound, code: client.NOTFOUND},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ArchiveProductWithResponse(ctx, tt.id, tt.auth)
			require.NoError(t, err)
			apitest.RequireError(t, res, tt.status, tt.code)
			require.Nil(t, apitest.ProductInDB(t, env, p.ID).ArchivedAt)
		})
	}

	res, err := env.Client.ArchiveProductWithResponse(ctx, p.ID, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.True(t, res.JSON200.Data.Archived)
	require.Equal(t, p.ID, res.JSON200.Data.Id)
	require.Equal(t, int32(7), res.JSON200.Data.Stock)

	t.Run("archiving again is harmless", func(t *testing.T) {
		firstAt := apitest.ProductInDB(t, env, p.ID).ArchivedAt
		again, err := env.Client.ArchiveProductWithResponse(ctx, p.ID, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, again.StatusCode())
		require.True(t, again.JSON200.Data.Archived)
		require.Equal(t, firstAt, apitest.ProductInDB(t, env, p.ID).ArchivedAt)
	})
	t.Run("the archived product is hidden from the public list", func(t *testing.T) {
		list, err := env.Client.ListProductsWithResponse(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, list.StatusCode())
		require.Equal(t, []string{live.Sku}, apitest.SKUs(list.JSON200.Data))
		require.Equal(t, int64(1), list.JSON200.Pagination.Total)
		bySKU, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Q: apitest.Ptr(p.Sku)})
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
			client.CreateOrderRequest{Items: []client.OrderItemInput{apitest.Item(live.ID, 1), apitest.Item(p.ID, 1)}}, customer.Auth())
		require.NoError(t, err)
		e := apitest.RequireError(t, order, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "body items.1.productId")
		require.Contains(t, apitest.DetailMessage(t, e, "items.1.productId"), "archived")
		require.Equal(t, int32(7), apitest.Stock(t, env, p.ID))
		require.Equal(t, int32(9), apitest.Stock(t, env, live.ID))
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

	for _, o := range []apitest.ProductOpts{
		{Sku: "WID-BLUE", Name: "Blue Widget", PriceCents: 1500, Stock: 10},
		{Sku: "WID-RED", Name: "Red widget", PriceCents: 2500, Stock: 0},
		{Sku: "GAD-1", Name: "Gadget", PriceCents: 500, Stock: 3},
		{Sku: "SHIRT-100", Name: "100% Cotton Shirt", PriceCents: 3000, Stock: 5},
		{Sku: "MUG-1", Name: "snake_case Mug", PriceCents: 800, Stock: 0},
		{Sku: "MUG-2", Name: "Hundred Percent Mug", PriceCents: 900, Stock: 2},
		{Sku: "WID-OLD", Name: "Archived Widget", PriceCents: 1500, Stock: 10, Archived: true},
	} {
		apitest.CreateProduct(t, env, o)
	}

	tests := []struct {
		name   string
		params client.ListProductsParams
		want   []string
	}{
		{name: "without filters every live product is listed", params: client.ListProductsParams{},
			want: []string{"GAD-1", "MUG-1", "MUG-2", "SHIRT-100", "WID-BLUE", "WID-RED"}},
		{name: "q matches the name case-insensitively", params: client.ListProductsParams{Q: apitest.Ptr("widget")},
			want: []string{"WID-BLUE", "WID-RED"}},
		{name: "q in capitals matches the same names", params: client.ListProductsParams{Q: apitest.Ptr("WIDGET")},
			want: []string{"WID-BLUE", "WID-RED"}},
		{name: "q matches the SKU case-insensitively", params: client.ListProductsParams{Q: apitest.Ptr("gad-1")},
			want: []string{"GAD-1"}},
		{name: "q matches anywhere in the text", params: client.ListProductsParams{Q: apitest.Ptr("d-b")},
			want: []string{"WID-BLUE"}},
		{name: "a percent sign in q matches only itself", params: client.ListProductsParams{Q: apitest.Ptr("%")},
			want: []string{"SHIRT-100"}},
		{name: "an underscore in q matches only itself", params: client.ListProductsParams{Q: apitest.Ptr("_")},
			want: []string{"MUG-1"}},
		{name: "wildcards in q never match other characters", params: client.ListProductsParams{Q: apitest.Ptr("e_c")},
			want: []string{"MUG-1"}},
		{name: "a backslash in q matches only itself", params: client.ListProductsParams{Q: apitest.Ptr(`\`)},
			want: []string{}},
		{name: "q that matches nothing gives an empty page", params: client.ListProductsParams{Q: apitest.Ptr("nothing like it")},
			want: []string{}},
		{name: "minPriceCents is inclusive", params: client.ListProductsParams{MinPriceCents: apitest.Ptr[int64](900)},
			want: []string{"MUG-2", "SHIRT-100", "WID-BLUE", "WID-RED"}},
		{name: "maxPriceCents is inclusive", params: client.ListProductsParams{MaxPriceCents: apitest.Ptr[int64](900)},
			want: []string{"GAD-1", "MUG-1", "MUG-2"}},
		{name: "a price range keeps what lies within it",
			params: client.ListProductsParams{MinPriceCents: apitest.Ptr[int64](800), MaxPriceCents: apitest.Ptr[int64](1500)},
			want:   []string{"MUG-1", "MUG-2", "WID-BLUE"}},
		{name: "an equal minimum and maximum keep one price",
			params: client.ListProductsParams{MinPriceCents: apitest.Ptr[int64](1500), MaxPriceCents: apitest.Ptr[int64](1500)},
			want:   []string{"WID-BLUE"}},
		{name: "inStock=true keeps products with stock", params: client.ListProductsParams{InStock: apitest.Ptr(true)},
			want: []string{"GAD-1", "MUG-2", "SHIRT-100", "WID-BLUE"}},
		{name: "inStock=false keeps products without stock", params: client.ListProductsParams{InStock: apitest.Ptr(false)},
			want: []string{"MUG-1", "WID-RED"}},
		{name: "filters combine", params: client.ListProductsParams{Q: apitest.Ptr("mug"), InStock: apitest.Ptr(true)},
			want: []string{"MUG-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ListProductsWithResponse(ctx, &tt.params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Equal(t, tt.want, apitest.SKUs(res.JSON200.Data))
			apitest.RequirePagination(t, client.Pagination{Page: 1, Limit: 20, Total: int64(len(tt.want)), TotalExact: true, Pages: int32((len(tt.want) + 19) / 20)},
				res.JSON200.Pagination)
			require.Equal(t, 1, apitest.QueryCount(t, res.HTTPResponse), "a product page is one statement")
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
			e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			apitest.RequireDetails(t, e, tt.details...)
		})
	}
	t.Run("a minimum above the maximum is refused through the client too", func(t *testing.T) {
		res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{
			MinPriceCents: apitest.Ptr[int64](2), MaxPriceCents: apitest.Ptr[int64](1)})
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireDetails(t, e, "query minPriceCents")
	})
}

func TestListProductsSortOrders(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()

	// Names, prices and creation order all disagree, and two prices tie, so that each
	// sort is seen to do its own work. Names differ in their first (capital) letter so
	// that any collation orders them alike.
	for _, o := range []apitest.ProductOpts{
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
		apitest.CreateProduct(t, env, o)
	}

	byID := func(a, b client.Product) int { return strings.Compare(a.Id.String(), b.Id.String()) }
	tests := []struct {
		name   string
		sort   *client.ListProductsParamsSort
		sorted func(a, b client.Product) int
	}{
		{name: "sort=name orders by name", sort: apitest.Ptr(client.ListProductsParamsSortName),
			sorted: func(a, b client.Product) int { return strings.Compare(a.Name, b.Name) }},
		{name: "sort=priceCents orders by price, cheapest first", sort: apitest.Ptr(client.ListProductsParamsSortPriceCents),
			sorted: func(a, b client.Product) int {
				if c := int(a.PriceCents - b.PriceCents); c != 0 {
					return c
				}
				return byID(a, b)
			}},
		{name: "sort=-priceCents orders by price, dearest first", sort: apitest.Ptr(client.ListProductsParamsSortMinusPriceCents),
			sorted: func(a, b client.Product) int {
				if c := int(b.PriceCents - a.PriceCents); c != 0 {
					return c
				}
				return byID(b, a)
			}},
		{name: "sort=-createdAt orders newest first", sort: apitest.Ptr(client.ListProductsParamsSortMinusCreatedAt),
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
			require.Equal(t, apitest.SKUsInOrder(want), apitest.SKUsInOrder(got))

			// The same order holds across pages.
			var paged []client.Product
			for page := int32(1); page <= 3; page++ {
				p, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Sort: tt.sort, Page: &page, Limit: apitest.Ptr[int32](3)})
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, p.StatusCode())
				paged = append(paged, p.JSON200.Data...)
			}
			require.Equal(t, apitest.SKUsInOrder(got), apitest.SKUsInOrder(paged))
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
			got := apitest.SKUsInOrder(res.JSON200.Data)
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

func TestListProductsPagination(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	ids := apitest.CreateProducts(t, env, 25, 100, 1)
	// Twelve of them run out of stock, for a filtered total.
	apitest.Exec(t, env, `UPDATE products SET stock = 0 WHERE id = ANY($1::uuid[])`, ids[:13])

	tests := []struct {
		name       string
		params     client.ListProductsParams
		wantLen    int
		wantPaging client.Pagination
		statements int
	}{
		{name: "the default page holds 20", params: client.ListProductsParams{},
			wantLen: 20, wantPaging: client.Pagination{Page: 1, Limit: 20, Total: 25, TotalExact: true, Pages: 2}, statements: 1},
		{name: "the first page of ten", params: client.ListProductsParams{Limit: apitest.Ptr[int32](10)},
			wantLen: 10, wantPaging: client.Pagination{Page: 1, Limit: 10, Total: 25, TotalExact: true, Pages: 3}, statements: 1},
		{name: "the last page holds the rest", params: client.ListProductsParams{Limit: apitest.Ptr[int32](10), Page: apitest.Ptr[int32](3)},
			wantLen: 5, wantPaging: client.Pagination{Page: 3, Limit: 10, Total: 25, TotalExact: true, Pages: 3}, statements: 1},
		{name: "a page past the end is empty but still counts the total", params: client.ListProductsParams{Limit: apitest.Ptr[int32](10), Page: apitest.Ptr[int32](4)},
			wantLen: 0, wantPaging: client.Pagination{Page: 4, Limit: 10, Total: 25, TotalExact: true, Pages: 3}, statements: 2},
		{name: "a filtered page counts only the matches", params: client.ListProductsParams{Limit: apitest.Ptr[int32](10), InStock: apitest.Ptr(true)},
			wantLen: 10, wantPaging: client.Pagination{Page: 1, Limit: 10, Total: 12, TotalExact: true, Pages: 2}, statements: 1},
		{name: "a page of 100 holds everything", params: client.ListProductsParams{Limit: apitest.Ptr[int32](100)},
			wantLen: 25, wantPaging: client.Pagination{Page: 1, Limit: 100, Total: 25, TotalExact: true, Pages: 1}, statements: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.Client.ListProductsWithResponse(ctx, &tt.params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Len(t, res.JSON200.Data, tt.wantLen)
			apitest.RequirePagination(t, tt.wantPaging, res.JSON200.Pagination)
			require.Equal(t, tt.statements, apitest.QueryCount(t, res.HTTPResponse))
		})
	}

	t.Run("the pages together hold every product once", func(t *testing.T) {
		seen := map[uuid.UUID]bool{}
		for page := int32(1); page <= 3; page++ {
			res, err := env.Client.ListProductsWithResponse(ctx, &client.ListProductsParams{Page: &page, Limit: apitest.Ptr[int32](10)})
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
			e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			apitest.RequireDetails(t, e, "query "+q.field)
		})
	}
}
