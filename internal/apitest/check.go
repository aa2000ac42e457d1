package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/server"
)

// requestIDPattern is the X-Request-Id every response must carry (openapi.yaml's
// info describes it): the caller's well-formed id, or a new one.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error

	coverageMu sync.Mutex
	coverage   = map[string]int{} // "operationId status" → responses seen that validated
)

// Spec returns the parsed openapi.yaml and a router over its paths.
func Spec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		// The docs page, its script and the YAML contract are text; check them as
		// strings, as the spec declares them (kin-openapi would decode YAML).
		for _, ct := range []string{"text/html", "text/javascript", "application/yaml"} {
			openapi3filter.RegisterBodyDecoder(ct, func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
				data, err := io.ReadAll(body)
				return string(data), err
			})
		}
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(shopfloor.OpenAPIYAML)
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(loader.Context); specErr != nil {
			return
		}
		specDoc.Servers = nil // match paths on any host: test servers listen on random ports
		specRouter, specErr = legacy.NewRouter(specDoc)
	})
	return specDoc, specRouter, specErr
}

// checkingTransport validates every response against the spec before the client
// sees it, and records which (operation, status) pairs the tests produced.
type checkingTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (ct *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := ct.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if problem := CheckResponse(req, res.StatusCode, res.Header, body); problem != "" {
		ct.t.Errorf("response does not match openapi.yaml: %s %s → %d: %s\nbody: %s",
			req.Method, req.URL.Path, res.StatusCode, problem, truncate(body))
	}
	return res, nil
}

// ClientFor returns the generated client for a server this process did not start (a
// built binary run as a subprocess), and a plain client for raw requests, both sending
// through next and checking every response against the spec, as Env's clients do.
func ClientFor(t testing.TB, baseURL string, next http.RoundTripper) (*client.ClientWithResponses, *http.Client) {
	t.Helper()
	hc := &http.Client{Transport: &checkingTransport{t: t, next: next}, Timeout: 30 * time.Second}
	c, err := client.NewClientWithResponses(baseURL, client.WithHTTPClient(hc))
	if err != nil {
		t.Fatalf("apitest: client for %s: %v", baseURL, err)
	}
	return c, hc
}

// CheckResponse returns "" when the response is one the spec describes for the
// request, and otherwise what is wrong. Responses to paths the spec does not have
// must be the error envelope.
func CheckResponse(req *http.Request, status int, header http.Header, body []byte) string {
	doc, router, err := Spec()
	if err != nil {
		return "spec: " + err.Error()
	}
	if id := header.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
		return fmt.Sprintf("X-Request-Id %q is missing or malformed", id)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Unknown path or method: the body must still be the error envelope.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Sprintf("no operation matches, yet status is %d", status)
		}
		return checkSchema(doc, "ErrorEnvelope", body)
	}
	if route.Operation.Responses.Value(strconv.Itoa(status)) == nil {
		return fmt.Sprintf("operation %s does not document status %d", route.Operation.OperationID, status)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: server.SchemaOptions(),
		},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return err.Error()
	}
	if status >= 400 {
		// Every error body is the envelope, whichever response the spec names.
		if problem := checkSchema(doc, "ErrorEnvelope", body); problem != "" {
			return problem
		}
	}
	coverageMu.Lock()
	coverage[route.Operation.OperationID+" "+strconv.Itoa(status)]++
	coverageMu.Unlock()
	return ""
}

func checkSchema(doc *openapi3.T, name string, body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "body is not JSON: " + err.Error()
	}
	if err := doc.Components.Schemas[name].Value.VisitJSON(v, append(server.SchemaOptions(), openapi3.MultiErrors())...); err != nil {
		return "body is not a valid " + name + ": " + err.Error()
	}
	return ""
}

// Covered returns the "operationId status" pairs that validated responses have shown
// so far in this test binary, sorted.
func Covered() []string {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	out := make([]string, 0, len(coverage))
	for k := range coverage {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// CheckCoverage fails when some (operationId, documented status) pair of the spec was
// not produced by a validated response in this test binary, listing what is missing.
// It judges only a full run: with -run, -skip or -short it says nothing.
func CheckCoverage() error {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return nil
		}
	}
	if testing.Short() {
		return nil
	}
	doc, _, err := Spec()
	if err != nil {
		return err
	}
	coverageMu.Lock()
	defer coverageMu.Unlock()
	var missing []string
	total := 0
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for status := range op.Responses.Map() {
				total++
				if coverage[op.OperationID+" "+status] == 0 {
					missing = append(missing, op.OperationID+" "+status)
				}
			}
		}
	}
	sort.Strings(missing)
	fmt.Fprintf(os.Stderr, "contract coverage: %d of %d documented (operation, status) pairs produced and validated\n",
		total-len(missing), total)
	if len(missing) > 0 {
		return fmt.Errorf("contract coverage: no test produced these documented responses:\n  %s",
			strings.Join(missing, "\n  "))
	}
	return nil
}
