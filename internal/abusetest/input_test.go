package abusetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/db"
)

// tables is every table a hostile request could write to.
var tables = []string{"users", "profiles", "refresh_tokens", "products", "orders", "order_items", "idempotency_keys"}

// Hostile bodies are refused before any handler runs, each with the error its abuse
// deserves, quickly, and without a row written; the server serves on afterwards.
func TestHostileBodiesAreRefusedAndWriteNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t) // BODY_LIMIT_BYTES at its default, 1 MiB
	ctx := context.Background()
	limit := int(env.Config.BodyLimitBytes)
	customer := env.CreateUser(apitest.UserOpts{})
	product, err := db.New(env.Pool).ProductCreate(ctx, db.ProductCreateParams{Sku: "HOSTILE-1", Name: "Target", PriceCents: 500, Stock: 10})
	require.NoError(t, err)

	register := func(name string) string {
		return fmt.Sprintf(`{"email":%q,"password":"Correct-Horse-9","name":"%s"}`, apitest.UniqueEmail("hostile"), name)
	}
	order := func(items int) []byte {
		var b strings.Builder
		b.WriteString(`{"items":[`)
		for i := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"productId":%q,"quantity":1}`, uuid.NewString())
		}
		b.WriteString(`]}`)
		return []byte(b.String())
	}
	nested := func(depth int) []byte {
		return []byte(`{"email":"deep@example.com","password":"Correct-Horse-9","name":` +
			strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
	}

	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		chunked     bool // sent with no Content-Length, in chunks
		auth        bool
		status      int
		code        client.ErrorCode
		fields      []string // detail fields the answer must name
	}{
		{name: "a body over the limit with a Content-Length is 413",
			path: "/api/v1/auth/register", body: []byte(register(strings.Repeat("a", 2*limit))),
			status: http.StatusRequestEntityTooLarge, code: client.PAYLOADTOOLARGE},
		{name: "a body over the limit sent chunked, with no Content-Length, is 413",
			path: "/api/v1/auth/register", body: []byte(register(strings.Repeat("a", 2*limit))), chunked: true,
			status: http.StatusRequestEntityTooLarge, code: client.PAYLOADTOOLARGE},
		{name: "an order body over the limit is 413 too",
			path: "/api/v1/orders", auth: true, body: order(limit / 40), chunked: true,
			status: http.StatusRequestEntityTooLarge, code: client.PAYLOADTOOLARGE},
		{name: "JSON sent as text/plain is 415",
			path: "/api/v1/auth/register", contentType: "text/plain", body: []byte(register("Plain Text")),
			status: http.StatusUnsupportedMediaType, code: client.UNSUPPORTEDMEDIATYPE},
		{name: "JSON sent as a form is 415",
			path: "/api/v1/orders", auth: true, contentType: "application/x-www-form-urlencoded", body: order(1),
			status: http.StatusUnsupportedMediaType, code: client.UNSUPPORTEDMEDIATYPE},
		{name: "JSON nested 100 levels deep is 400",
			path: "/api/v1/auth/register", body: nested(100),
			status: http.StatusBadRequest, code: client.BADREQUEST},
		{name: "JSON nested 400 000 levels deep is 400",
			path: "/api/v1/auth/register", body: nested(400_000),
			status: http.StatusBadRequest, code: client.BADREQUEST},
		{name: "invalid UTF-8 bytes in a string are 400",
			path: "/api/v1/auth/register", body: []byte(register("Bad \xff\xfe Bytes")),
			status: http.StatusBadRequest, code: client.BADREQUEST},
		{name: "a raw NUL byte in a string is 400",
			path: "/api/v1/auth/register", body: []byte(register("Raw \x00 Byte")),
			status: http.StatusBadRequest, code: client.BADREQUEST},
		{name: "two JSON documents in one body are 400",
			path: "/api/v1/auth/register", body: []byte(register("First Doc") + register("Second Doc")),
			status: http.StatusBadRequest, code: client.BADREQUEST},
		{name: "an order of 5 000 items is 400 naming items",
			path: "/api/v1/orders", auth: true, body: order(5000),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, fields: []string{"items"}},
		{name: "an escaped NUL in a name is 400 naming the field",
			path: "/api/v1/auth/register", body: []byte(register(`Nul\u0000Name`)),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, fields: []string{"name"}},
		{name: "an escaped NUL in an order note is 400 naming the field",
			path: "/api/v1/orders", auth: true,
			body:   []byte(fmt.Sprintf(`{"items":[{"productId":%q,"quantity":1}],"note":"gift\u0000wrap"}`, product.ID)),
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, fields: []string{"note"}},
		{name: "a NUL in a query parameter is 400 naming it",
			method: http.MethodGet, path: "/api/v1/products?q=abc%00def",
			status: http.StatusBadRequest, code: client.VALIDATIONERROR, fields: []string{"q"}},
	}
	before := apitest.CountRows(t, env, tables...)
	stock := func() int32 {
		p, err := db.New(env.Pool).ProductGet(ctx, product.ID)
		require.NoError(t, err)
		return p.Stock
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, env.URL+tc.path, bytes.NewReader(tc.body))
			require.NoError(t, err)
			if tc.chunked {
				req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
			}
			if tc.body != nil {
				ct := tc.contentType
				if ct == "" {
					ct = "application/json"
				}
				req.Header.Set("Content-Type", ct)
			}
			if tc.auth {
				req.Header.Set("Authorization", "Bearer "+customer.Token)
			}
			start := time.Now()
			res, err := env.HTTP.Do(req)
			require.NoError(t, err)
			took := time.Since(start)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)

			e := apitest.RequireRawError(t, res, body, tc.status, tc.code)
			for _, f := range tc.fields {
				require.Contains(t, apitest.DetailFields(e), f, string(body))
			}
			require.Less(t, took, 2*time.Second, "refusing it took too long")
			require.Equal(t, before, apitest.CountRows(t, env, tables...), "the refused request wrote to the database")
			require.Equal(t, int32(10), stock(), "no stock moved")
			requireServes(t, env)
		})
	}
}
