package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/internal/speccheck"
)

// operation is what the validator and the auth middleware know about one route.
type operation struct {
	route        *routers.Route
	needsBearer  bool
	jsonBody     bool
	bodyRequired bool
	queryParams  map[string]bool
	bodySchema   *openapi3.Schema // the JSON body's, when the operation takes one
	// takesPlain is set when the operation takes no body, its path parameters (if
	// any) are plain `format: uuid` and every other parameter is optional;
	// sentParams are its optional header and cookie parameters (header names
	// canonical). A request to it with no query string, none of sentParams and a
	// UUID in every path parameter is valid without asking kin-openapi (see
	// plainRequest).
	takesPlain bool
	sentParams []param
	// spanName and spanStart are the request span's name ("GET /api/v1/products/{id}")
	// and start options with tracing on, made once.
	spanName  string
	spanStart []trace.SpanStartOption
}

// param is a parameter's place and name (a header's in canonical form).
type param struct{ in, name string }

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
				route:    &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
				spanName: method + " " + path,
				spanStart: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
					semconv.HTTPRoute(path), semconv.HTTPRequestMethodKey.String(method))},
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
			o.takesPlain = op.RequestBody == nil
			for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range params {
					switch {
					case p.Value == nil:
						o.takesPlain = false
					case p.Value.In == openapi3.ParameterInPath:
						o.takesPlain = o.takesPlain && isPlainUUID(p.Value)
					case p.Value.Required:
						o.takesPlain = false
					case p.Value.In == openapi3.ParameterInHeader:
						o.sentParams = append(o.sentParams, param{p.Value.In, http.CanonicalHeaderKey(p.Value.Name)})
					case p.Value.In == openapi3.ParameterInCookie:
						o.sentParams = append(o.sentParams, param{p.Value.In, p.Value.Name})
					}
					// an optional query parameter: a plain request has no query string
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

// isPlainUUID reports whether p's schema says `type: string, format: uuid` and
// nothing else a value could fail (documentation aside), in the simple style.
func isPlainUUID(p *openapi3.Parameter) bool {
	if p.Schema == nil || p.Schema.Value == nil || p.Content != nil || (p.Style != "" && p.Style != openapi3.SerializationSimple) {
		return false
	}
	bare := *p.Schema.Value
	bare.Title, bare.Description, bare.Example, bare.Examples, bare.Extensions = "", "", nil, nil, nil
	got, err := json.Marshal(&bare)
	return err == nil && string(got) == `{"format":"uuid","type":"string"}`
}

// plainRequest reports whether a request to op, routed by Echo, is one the spec
// accepts as it stands: op takes plain requests, the request sends no query string
// and none of op's optional header and cookie parameters, and every path parameter
// is a UUID. kin-openapi would check exactly that and
// accept it; the validator skips it for such requests (a GET of one product, say).
func (op *operation) plainRequest(c echo.Context) bool {
	if !op.takesPlain || c.Request().URL.RawQuery != "" {
		return false
	}
	for _, p := range op.sentParams {
		if p.in == openapi3.ParameterInHeader {
			if _, sent := c.Request().Header[p.name]; sent {
				return false
			}
		} else if _, err := c.Request().Cookie(p.name); err == nil {
			return false
		}
	}
	values := c.ParamValues()
	for i := range c.ParamNames() {
		if !speccheck.IsUUID(values[i]) {
			return false
		}
	}
	return true
}

var specParam = regexp.MustCompile(`\{([^}]+)\}`)

func specPathToEcho(p string) string { return specParam.ReplaceAllString(p, ":$1") }

// lookup returns the operation of the route Echo matched, or nil (unknown routes).
func (ops operations) lookup(c echo.Context) *operation {
	return ops[opKey{c.Request().Method, c.Path()}]
}
