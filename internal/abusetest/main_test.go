package abusetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// requireError asserts that a raw response is the error envelope with the given status
// and code, that its requestId is the X-Request-Id header, and returns the error body.
func requireError(t *testing.T, res *http.Response, body []byte, status int, code client.ErrorCode) client.ErrorBody {
	t.Helper()
	require.Equal(t, status, res.StatusCode, string(body))
	var env client.ErrorEnvelope
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	require.False(t, bool(env.Success), string(body))
	require.Equal(t, code, env.Error.Code, string(body))
	require.NotEmpty(t, env.Error.Message)
	require.Equal(t, res.Header.Get("X-Request-Id"), env.Error.RequestId)
	require.Nil(t, env.Error.Stack, "a stack trace appeared outside development")
	return env.Error
}

// requireRateLimited asserts a 429 RATE_LIMITED envelope with a Retry-After of whole
// seconds, at least 1 and at most the rule's window, and returns that figure.
func requireRateLimited(t *testing.T, res *http.Response, body []byte, windowSeconds int) int {
	t.Helper()
	requireError(t, res, body, http.StatusTooManyRequests, client.RATELIMITED)
	raw := res.Header.Get("Retry-After")
	secs, err := strconv.Atoi(raw)
	require.NoError(t, err, "Retry-After %q is not a whole number of seconds", raw)
	require.GreaterOrEqual(t, secs, 1)
	require.LessOrEqual(t, secs, windowSeconds)
	return secs
}

// detailFields lists the fields an error's details name, in order.
func detailFields(e client.ErrorBody) []string {
	var fields []string
	if e.Details != nil {
		for _, d := range *e.Details {
			fields = append(fields, d.Field)
		}
	}
	return fields
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

// countRows returns the number of rows in each named table.
func countRows(t *testing.T, env *apitest.Env, tables ...string) map[string]int {
	t.Helper()
	counts := make(map[string]int, len(tables))
	for _, table := range tables {
		var n int
		// The table names are constants of the tests, never input.
		require.NoError(t, env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
		counts[table] = n
	}
	return counts
}

// uniqueEmail returns an address no other test (or earlier run) uses.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%s@example.com", prefix, uuid.NewString()[:12])
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
