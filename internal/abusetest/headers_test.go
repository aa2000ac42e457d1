package abusetest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/config"
)

func requireSecurityHeaders(t *testing.T, h http.Header, what string) {
	t.Helper()
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), what)
	require.Equal(t, "DENY", h.Get("X-Frame-Options"), what)
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"), what)
	require.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'", what)
	require.Empty(t, h.Get("Strict-Transport-Security"), "%s: HSTS over plain HTTP", what)
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	user := env.CreateUser(apitest.UserOpts{})
	bearer := "Bearer " + user.Token

	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		noStore bool // Cache-Control: no-store expected
	}{
		{name: "a public API answer", method: http.MethodGet, path: "/api/v1/products", status: http.StatusOK},
		{name: "an unknown route", method: http.MethodGet, path: "/api/v1/nowhere", status: http.StatusNotFound},
		{name: "a wrong method", method: http.MethodPut, path: "/api/v1/products", status: http.StatusMethodNotAllowed},
		{name: "a validation error", method: http.MethodGet, path: "/api/v1/products?limit=0", status: http.StatusBadRequest},
		{name: "a missing token", method: http.MethodGet, path: "/api/v1/auth/me", status: http.StatusUnauthorized},
		{name: "a forged token", method: http.MethodGet, path: "/api/v1/auth/me", headers: []string{"Authorization", "Bearer not.a.token"},
			status: http.StatusUnauthorized, noStore: true},
		{name: "an authenticated answer", method: http.MethodGet, path: "/api/v1/auth/me", headers: []string{"Authorization", bearer},
			status: http.StatusOK, noStore: true},
		{name: "an authenticated error", method: http.MethodGet, path: "/api/v1/users", headers: []string{"Authorization", bearer},
			status: http.StatusForbidden, noStore: true},
		{name: "a login that hands out tokens", method: http.MethodPost, path: "/api/v1/auth/login",
			body: `{"email":"` + user.Email + `","password":"` + user.Password + `"}`, status: http.StatusOK, noStore: true},
		{name: "a registration that hands out tokens", method: http.MethodPost, path: "/api/v1/auth/register",
			body:   `{"email":"` + uniqueEmail("headers") + `","password":"Correct-Horse-9","name":"Header Check"}`,
			status: http.StatusCreated, noStore: true},
		{name: "the liveness check", method: http.MethodGet, path: "/healthz", status: http.StatusOK},
		{name: "the metrics", method: http.MethodGet, path: "/metrics", status: http.StatusOK},
		{name: "the spec", method: http.MethodGet, path: "/openapi.json", status: http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct := ""
			if tc.body != "" {
				ct = "application/json"
			}
			res, body := env.Do(tc.method, tc.path, ct, []byte(tc.body), tc.headers...)
			require.Equal(t, tc.status, res.StatusCode, string(body))
			requireSecurityHeaders(t, res.Header, tc.name)
			if tc.noStore {
				require.Equal(t, "no-store", res.Header.Get("Cache-Control"), "a response with credentials may be cached")
			}
		})
	}
}

// preflight sends a browser's CORS preflight for a POST with the headers an SPA sends
// when placing an order; the answer is not an API operation, so it is not spec-checked.
func preflight(t *testing.T, env *apitest.Env, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, env.URL+"/api/v1/orders", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,idempotency-key,if-match")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}

func TestCORSAllowsOnlyTheConfiguredOrigins(t *testing.T) {
	t.Parallel()
	const shop, evil = "https://shop.example.com", "https://evil.example.net"

	t.Run("with an allowed origin configured", func(t *testing.T) {
		t.Parallel()
		env := apitest.New(t, func(cfg *config.Config) { cfg.CORSOrigins = []string{shop} })

		res := preflight(t, env, shop)
		require.Less(t, res.StatusCode, 300)
		require.Equal(t, shop, res.Header.Get("Access-Control-Allow-Origin"))
		allowed := strings.ToLower(strings.Join(res.Header.Values("Access-Control-Allow-Headers"), ","))
		for _, h := range []string{"authorization", "idempotency-key", "if-match", "content-type", "x-read-after"} {
			require.Contains(t, allowed, h)
		}
		require.Contains(t, res.Header.Get("Access-Control-Allow-Methods"), http.MethodPost)
		requireSecurityHeaders(t, res.Header, "preflight")

		get, body := env.Do(http.MethodGet, "/api/v1/products", "", nil, "Origin", shop)
		require.Equal(t, http.StatusOK, get.StatusCode, string(body))
		require.Equal(t, shop, get.Header.Get("Access-Control-Allow-Origin"))
		require.Contains(t, get.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id")
		require.Contains(t, get.Header.Get("Access-Control-Expose-Headers"), "X-Read-After", "a browser can read a write's position")

		res = preflight(t, env, evil)
		require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"), "a preflight from another origin is allowed")
		require.Empty(t, res.Header.Get("Access-Control-Allow-Headers"))
		get, body = env.Do(http.MethodGet, "/api/v1/products", "", nil, "Origin", evil)
		require.Equal(t, http.StatusOK, get.StatusCode, string(body))
		require.Empty(t, get.Header.Get("Access-Control-Allow-Origin"), "a request from another origin is allowed")
		get, _ = env.Do(http.MethodGet, "/api/v1/products", "", nil, "Origin", "null")
		require.Empty(t, get.Header.Get("Access-Control-Allow-Origin"), "the null origin is allowed")
	})
	t.Run("with no origin configured", func(t *testing.T) {
		t.Parallel()
		env := apitest.New(t)
		for _, origin := range []string{shop, evil, "null"} {
			res := preflight(t, env, origin)
			require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"), origin)
			require.Empty(t, res.Header.Get("Access-Control-Allow-Headers"), origin)
			get, body := env.Do(http.MethodGet, "/api/v1/products", "", nil, "Origin", origin)
			require.Equal(t, http.StatusOK, get.StatusCode, string(body))
			require.Empty(t, get.Header.Get("Access-Control-Allow-Origin"), origin)
		}
	})
}
