package abusetest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// requireRateLimited asserts a 429 RATE_LIMITED envelope with a Retry-After of whole
// seconds, at least 1 and at most the rule's window, and returns that figure.
func requireRateLimited(t *testing.T, res *http.Response, body []byte, windowSeconds int) int {
	t.Helper()
	apitest.RequireRawError(t, res, body, http.StatusTooManyRequests, client.RATELIMITED)
	raw := res.Header.Get("Retry-After")
	secs, err := strconv.Atoi(raw)
	require.NoError(t, err, "Retry-After %q is not a whole number of seconds", raw)
	require.GreaterOrEqual(t, secs, 1)
	require.LessOrEqual(t, secs, windowSeconds)
	return secs
}

// jsonBody marshals v for a raw request.
func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// login sends one login attempt, optionally as if forwarded for the given client IP.
func login(t *testing.T, env *apitest.Env, email, password, forwardedFor string) (*http.Response, []byte) {
	t.Helper()
	var headers []string
	if forwardedFor != "" {
		headers = []string{"X-Forwarded-For", forwardedFor}
	}
	return env.Do(http.MethodPost, "/api/v1/auth/login", "application/json",
		jsonBody(t, map[string]string{"email": email, "password": password}), headers...)
}

// requireServes asserts the server still answers an ordinary request.
func requireServes(t *testing.T, env *apitest.Env) {
	t.Helper()
	res, err := env.Client.GetHealthWithResponse(context.Background())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	list, err := env.Client.ListProductsWithResponse(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
}
