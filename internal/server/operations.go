package server

import (
	"fmt"
	"regexp"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
)

// operation is what the validator and the auth middleware know about one route.
type operation struct {
	route        *routers.Route
	needsBearer  bool
	jsonBody     bool
	bodyRequired bool
	queryParams  map[string]bool
	bodySchema   *openapi3.Schema // the JSON body's, when the operation takes one
}

// operations maps Echo's method and route ("/path/:param") to the spec's operation,
// so that the request is routed once (by Echo) rather than again by a kin-openapi
// router.
type operations map[opKey]*operation

// opKey is a struct rather than one "METHOD path" string so that a lookup, which
// several middlewares make on every request, allocates nothing.
type opKey struct{ method, route string }

func loadOperations(spec []byte) (*openapi3.T, operations, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	ops := operations{}
	for path, item := range doc.Paths.Map() {
		echoPath := specPathToEcho(path)
		for method, op := range item.Operations() {
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			o := &operation{
				route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
			}
			for _, req := range security {
				if _, ok := req["bearerAuth"]; ok {
					o.needsBearer = true
				}
			}
			o.queryParams = map[string]bool{}
			for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range params {
					if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
						o.queryParams[p.Value.Name] = true
					}
				}
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					o.jsonBody, o.bodySchema = true, mt.Schema.Value
				}
				o.bodyRequired = rb.Value.Required
			}
			ops[opKey{method, echoPath}] = o
		}
	}
	return doc, ops, nil
}

var specParam = regexp.MustCompile(`\{([^}]+)\}`)

func specPathToEcho(p string) string { return specParam.ReplaceAllString(p, ":$1") }

// lookup returns the operation of the route Echo matched, or nil (unknown routes).
func (ops operations) lookup(c echo.Context) *operation {
	return ops[opKey{c.Request().Method, c.Path()}]
}
