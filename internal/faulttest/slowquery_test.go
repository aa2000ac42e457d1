package faulttest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
)

// TestStatementTimeoutEndsAWaitingQuery makes an update wait on a row lock held
// outside the server: DB_STATEMENT_TIMEOUT cancels it, the client gets a 503, and
// the log names the slow query without any of its parameter values.
func TestStatementTimeoutEndsAWaitingQuery(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *config.Config) {
		c.DBStatementTimeout = 100 * time.Millisecond
		c.DBSlowQuery = 50 * time.Millisecond
	})
	staff := env.CreateUser(apitest.UserOpts{Role: auth.RoleStaff})
	id := newProduct(t, env, staff, 5)
	release := lockProduct(t, env.Config.DatabaseURL, id)

	secret := "Confidential " + uuid.NewString()[:8]
	start := time.Now()
	res, err := env.Client.UpdateProductWithResponse(context.Background(), id, nil,
		client.UpdateProductJSONRequestBody{Name: &secret}, staff.Auth())
	took := time.Since(start)
	require.NoError(t, err)
	requireUnavailable(t, response{status: res.StatusCode(), header: res.HTTPResponse.Header, body: res.Body}, "PATCH past the statement timeout")
	require.GreaterOrEqual(t, took, 100*time.Millisecond, "the update cannot end before the statement timeout")
	require.Less(t, took, 2*time.Second, "the statement timeout did not end the update")
	t.Logf("PATCH waiting on a locked row with a 100ms statement timeout → %d in %s", res.StatusCode(), took)

	var slow map[string]any
	for _, line := range apitest.LogLines(t, env) {
		if line["msg"] == "slow query" && line["query"] == "ProductUpdate" {
			slow = line
		}
	}
	require.NotNil(t, slow, "no slow query line names ProductUpdate; logs:\n%s", env.Logs())
	require.Equal(t, true, slow["failed"], "the slow query line says the statement failed")
	require.Equal(t, res.HTTPResponse.Header.Get("X-Request-Id"), slow["requestId"], "the slow query line carries the request id")
	t.Logf("slow query line: %v", slow)

	// Once the lock is gone the same change goes through, and still no parameter
	// value has reached the log.
	release()
	res, err = env.Client.UpdateProductWithResponse(context.Background(), id, nil,
		client.UpdateProductJSONRequestBody{Name: &secret}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, secret, res.JSON200.Data.Name)
	require.NotContains(t, env.Logs(), secret, "a query parameter reached the log")
}
