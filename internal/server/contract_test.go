package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/ratelimit"
)

// wellFormed is one request per operation that passes validation and, with an admin
// token, authorization: what is left to decide it is the database and the server's
// own limits. The contract tests below send each one into a server in a given state
// and check that the answer is the status the spec documents for that state.
type wellFormed struct {
	op, method, path, body string
	secured                bool
}

func wellFormedRequests() []wellFormed {
	id := uuid.NewString()
	return []wellFormed{
		{"registerUser", "POST", "/api/v1/auth/register", `{"email":"contract@example.com","password":"Contract-Pass-1","name":"Contract"}`, false},
		{"loginUser", "POST", "/api/v1/auth/login", `{"email":"contract@example.com","password":"Contract-Pass-1"}`, false},
		{"refreshTokens", "POST", "/api/v1/auth/refresh", `{"refreshToken":"not-a-token-we-issued"}`, false},
		{"logoutUser", "POST", "/api/v1/auth/logout", `{"refreshToken":"not-a-token-we-issued"}`, false},
		{"getCurrentUser", "GET", "/api/v1/auth/me", "", true},
		{"changePassword", "POST", "/api/v1/auth/password", `{"currentPassword":"Contract-Pass-1","newPassword":"Contract-Pass-2"}`, true},
		{"listUsers", "GET", "/api/v1/users", "", true},
		{"getUser", "GET", "/api/v1/users/" + id, "", true},
		{"updateUser", "PATCH", "/api/v1/users/" + id, `{"name":"New Name"}`, true},
		{"deactivateUser", "DELETE", "/api/v1/users/" + id, "", true},
		{"replaceUserProfile", "PUT", "/api/v1/users/" + id + "/profile", `{"city":"Leeds"}`, true},
		{"listProducts", "GET", "/api/v1/products", "", false},
		{"createProduct", "POST", "/api/v1/products", `{"sku":"CONTRACT-1","name":"Contract","priceCents":100,"stock":1}`, true},
		{"getProduct", "GET", "/api/v1/products/" + id, "", false},
		{"updateProduct", "PATCH", "/api/v1/products/" + id, `{"stock":2}`, true},
		{"archiveProduct", "DELETE", "/api/v1/products/" + id, "", true},
		{"listOrders", "GET", "/api/v1/orders", "", true},
		{"createOrder", "POST", "/api/v1/orders", `{"items":[{"productId":"` + id + `","quantity":1}]}`, true},
		{"getOrder", "GET", "/api/v1/orders/" + id, "", true},
		{"cancelOrder", "POST", "/api/v1/orders/" + id + "/cancel", "", true},
		{"updateOrderStatus", "PATCH", "/api/v1/orders/" + id + "/status", `{"status":"paid"}`, true},
		{"listDashboardUsers", "GET", "/api/v1/dashboard/users", "", true},
		{"getDashboardSummary", "GET", "/api/v1/dashboard/summary", "", true},
		{"getHealth", "GET", "/healthz", "", false},
		{"getReadiness", "GET", "/readyz", "", false},
		{"getMetrics", "GET", "/metrics", "", false},
		{"getOpenAPIYAML", "GET", "/openapi.yaml", "", false},
		{"getOpenAPIJSON", "GET", "/openapi.json", "", false},
		{"getDocs", "GET", "/docs", "", false},
		{"getDocsScript", "GET", "/docs/redoc.standalone.js", "", false},
	}
}

// TestEveryOperationHasAWellFormedRequestHere keeps the table above complete.
func TestEveryOperationHasAWellFormedRequestHere(t *testing.T) {
	t.Parallel()
	doc, _, err := apitest.Spec()
	require.NoError(t, err)
	have := map[string]bool{}
	for _, r := range wellFormedRequests() {
		have[r.op] = true
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			require.True(t, have[op.OperationID], "wellFormedRequests lacks %s", op.OperationID)
		}
	}
}

// send sends r with an admin token (when the operation is secured and withToken),
// optionally changing its query, content type or body.
func send(env *apitest.Env, admin apitest.User, r wellFormed, withToken bool, query, contentType, body string) *http.Response {
	env.T.Helper()
	if body == "" {
		body = r.body
	}
	if contentType == "" && body != "" {
		contentType = "application/json"
	}
	headers := []string{}
	if r.secured && withToken {
		headers = append(headers, "Authorization", "Bearer "+admin.Token)
	}
	res, _ := env.Do(r.method, r.path+query, contentType, []byte(body), headers...)
	return res
}

func documents(t *testing.T, opID string, status int) bool {
	doc, _, err := apitest.Spec()
	require.NoError(t, err)
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == opID {
				return op.Responses.Value(fmt.Sprint(status)) != nil
			}
		}
	}
	t.Fatalf("no operation %s", opID)
	return false
}

func TestEveryOperationAnswersTheGenericStatusesItDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		// opts configures the server for the state under test; prepare may change the
		// database after it starts; send shapes each request.
		opts    []apitest.Option
		prepare func(t *testing.T, env *apitest.Env)
		send    func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response
		applies func(r wellFormed) bool
	}{
		{
			name: "a healthy server answers every operation that needs no prior state with 2xx", status: 200,
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "", "", "")
			},
			applies: func(r wellFormed) bool { return !strings.HasPrefix(r.path, "/api/") },
		},
		{
			name: "a query parameter the operation does not take is a 400", status: 400,
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "?bogus=1", "", "")
			},
		},
		{
			name: "a secured operation without a token is a 401", status: 401,
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, false, "", "", "")
			},
			applies: func(r wellFormed) bool { return r.secured },
		},
		{
			name: "a body over the limit is a 413", status: 413,
			opts: []apitest.Option{func(c *config.Config) { c.BodyLimitBytes = 1024 }},
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "", "", `{"pad":"`+strings.Repeat("x", 2048)+`"}`)
			},
			applies: func(r wellFormed) bool { return r.body != "" },
		},
		{
			name: "a body that is not JSON is a 415", status: 415,
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "", "text/plain", "")
			},
			applies: func(r wellFormed) bool { return r.body != "" },
		},
		{
			name: "a client over the global rate limit gets 429", status: 429,
			opts: []apitest.Option{func(c *config.Config) {
				c.RateLimitGlobal = ratelimit.Rule{Name: "global", Limit: 1, Window: time.Hour}
			}},
			prepare: func(t *testing.T, env *apitest.Env) {
				res, _ := env.Do("GET", "/api/v1/products", "", nil)
				require.Equal(t, 200, res.StatusCode, "the first request is within the limit")
			},
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "", "", "")
			},
		},
		{
			name: "a database that lost its tables makes every query a 500", status: 500,
			prepare: func(t *testing.T, env *apitest.Env) {
				_, err := env.Pool.Exec(context.Background(), "DROP SCHEMA public CASCADE")
				require.NoError(t, err)
			},
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "", "", "")
			},
		},
		{
			name: "a database that cannot be reached makes every query a 503", status: 503,
			opts: []apitest.Option{func(c *config.Config) {
				c.DatabaseURL = "postgres://postgres@127.0.0.1:1/unreachable?sslmode=disable"
				c.DBConnectTimeout = time.Second
			}},
			send: func(env *apitest.Env, admin apitest.User, r wellFormed) *http.Response {
				return send(env, admin, r, true, "", "", "")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, tc.opts...)
			admin := env.Tokenized(apitest.UserOpts{Role: "admin"})
			if tc.prepare != nil {
				tc.prepare(t, env)
			}
			checked := 0
			for _, r := range wellFormedRequests() {
				if tc.applies != nil && !tc.applies(r) || !documents(t, r.op, tc.status) {
					continue
				}
				res := tc.send(env, admin, r)
				require.Equal(t, tc.status, res.StatusCode, "%s %s (%s)", r.method, r.path, r.op)
				checked++
			}
			require.Positive(t, checked, "the spec documents %d for some operation", tc.status)
		})
	}
}
