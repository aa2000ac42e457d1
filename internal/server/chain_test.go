package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
)

// The middleware chain is wrapped around each route's handler once, at start-up,
// and around the handler of a request that matches no operation per request: every
// request, routed or not, passes it exactly once, so it gets its request id and
// security headers and exactly one request line.
func TestEveryRequestPassesTheChainOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 3})
	for i, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/api/v1/products/" + p.ID.String(), http.StatusOK},   // routed, plain
		{http.MethodGet, "/api/v1/products/not-a-uuid", http.StatusBadRequest}, // routed, validated
		{http.MethodGet, "/api/v1/no-such-thing", http.StatusNotFound},         // no route
		{http.MethodPut, "/api/v1/products", http.StatusMethodNotAllowed},      // no such method
	} {
		id := fmt.Sprintf("chain-once-%d", i)
		res, body := env.Do(c.method, c.path, "", nil, "X-Request-Id", id)
		require.Equal(t, c.status, res.StatusCode, "%s %s: %s", c.method, c.path, body)
		require.Equal(t, []string{id}, res.Header.Values("X-Request-Id"), "%s %s", c.method, c.path)
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), "%s %s", c.method, c.path)
		lines := 0
		for _, l := range linesOf(t, env, id) {
			if l.Request != nil {
				lines++
			}
		}
		require.Equal(t, 1, lines, "request lines of %s %s", c.method, c.path)
	}
}
