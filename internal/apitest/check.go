package apitest

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/shopfloor/shopfloor/internal/speccheck"
)

var (
	coverageMu sync.Mutex
	coverage   = map[string]int{} // "operationId status" → responses seen that validated
)

// Spec returns the parsed openapi.yaml and a router over its paths.
func Spec() (*openapi3.T, routers.Router, error) { return speccheck.Spec() }

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
	body, err := speccheck.ReadBody(res)
	if err != nil {
		return nil, err
	}
	if problem := CheckResponse(req, res.StatusCode, res.Header, body); problem != "" {
		ct.t.Errorf("response does not match openapi.yaml: %s %s → %d: %s\nbody: %s",
			req.Method, req.URL.Path, res.StatusCode, problem, truncate(body))
	}
	return res, nil
}

// CheckResponse returns "" when the response is one the spec describes for the
// request, and otherwise what is wrong (speccheck.Check), and counts the (operation,
// status) pairs that validated for CheckCoverage.
func CheckResponse(req *http.Request, status int, header http.Header, body []byte) string {
	res := speccheck.Check(req, status, header, body)
	if res.Problem == "" && res.OperationID != "" {
		coverageMu.Lock()
		coverage[res.OperationID+" "+strconv.Itoa(status)]++
		coverageMu.Unlock()
	}
	return res.Problem
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
