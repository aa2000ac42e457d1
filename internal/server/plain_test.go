package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor"
)

// The validator lets a plain request (no body, no query string, none of the
// optional parameters, a UUID in every path parameter) through without
// kin-openapi. This checks that kin-openapi accepts every such request of every
// operation, and that a request that sends anything more, or something other than
// a UUID in the path, is not plain and goes to kin-openapi.
func TestPlainRequestsAreValidBySpec(t *testing.T) {
	_, ops, err := loadOperations(shopfloor.OpenAPIYAML)
	require.NoError(t, err)
	opts := newValidationOptions()
	e := echo.New()
	plain := 0
	for key, op := range ops {
		if !op.takesPlain {
			continue
		}
		plain++
		var names, values []string
		path := op.route.Path
		for _, part := range strings.Split(key.route, "/") {
			if name, ok := strings.CutPrefix(part, ":"); ok {
				id := uuid.NewString()
				names, values = append(names, name), append(values, id)
				path = strings.Replace(path, "{"+name+"}", id, 1)
			}
		}
		request := func(target string) (echo.Context, *http.Request) {
			req := httptest.NewRequest(key.method, target, nil)
			c := e.NewContext(req, httptest.NewRecorder())
			c.SetPath(key.route)
			c.SetParamNames(names...)
			c.SetParamValues(values...)
			return c, req
		}
		c, req := request(path)
		require.True(t, op.plainRequest(c), "%s %s", key.method, path)
		params := map[string]string{}
		for i, n := range names {
			params[n] = values[i]
		}
		err := openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: op.route, Options: opts,
		})
		require.NoError(t, err, "kin-openapi refuses the plain request %s %s", key.method, path)

		c, _ = request(path + "?page=1")
		require.False(t, op.plainRequest(c), "%s with a query string", key.method)
		for _, p := range op.sentParams {
			if p.in == "header" {
				c, req := request(path)
				req.Header.Set(p.name, "x")
				require.False(t, op.plainRequest(c), "%s %s with header %s", key.method, path, p.name)
			}
		}
		if len(names) > 0 {
			c, _ := request(path)
			bad := append([]string(nil), values...)
			bad[0] = strings.ToUpper(bad[0][:35]) // 35 characters: not a UUID
			c.SetParamValues(bad...)
			require.False(t, op.plainRequest(c), "%s %s with a path parameter that is no UUID", key.method, path)
		}
	}
	require.True(t, ops[opKey{http.MethodGet, "/api/v1/products/:id"}].takesPlain, "GET one product is plain")
	t.Logf("%d of %d operations take plain requests", plain, len(ops))
}
