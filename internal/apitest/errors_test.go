package apitest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
)

// failures records whether an assertion failed, without failing the test running it:
// the helpers are run against answers they must refuse.
type failures struct {
	testing.TB
	failed bool
}

func (f *failures) Errorf(string, ...any) { f.failed = true }
func (f *failures) FailNow()              { f.failed = true; panic(f) }
func (f *failures) Helper()               {}

// fails reports whether check failed f.
func fails(t *testing.T, check func(tb testing.TB)) (failed bool) {
	f := &failures{TB: t}
	defer func() {
		if r := recover(); r != nil && r != f {
			panic(r)
		}
		failed = f.failed
	}()
	check(f)
	return
}

// notFound is the answer of getProduct with the given status and body, decoded as the
// generated client decodes it.
func notFound(t *testing.T, status int, body string) *client.GetProductResponse {
	res := &client.GetProductResponse{Body: []byte(body), HTTPResponse: &http.Response{StatusCode: status}}
	if status == http.StatusNotFound {
		var env client.NotFound
		require.NoError(t, json.Unmarshal([]byte(body), &env))
		res.JSON404 = &env
	}
	return res
}

func TestRequireErrorRefusesEverythingButTheEnvelopeAsked(t *testing.T) {
	t.Parallel()
	const good = `{"success":false,"error":{"code":"NOT_FOUND","message":"No product has this id","requestId":"r1"}}`
	cases := []struct {
		name  string
		res   *client.GetProductResponse
		fails bool
	}{
		{"the envelope asked for passes", notFound(t, 404, good), false},
		{"another status fails", notFound(t, 400, good), true},
		{"a body the client did not decode as the status's envelope fails",
			&client.GetProductResponse{Body: []byte(good), HTTPResponse: &http.Response{StatusCode: 404}}, true},
		{"another code fails", notFound(t, 404, `{"success":false,"error":{"code":"BAD_REQUEST","message":"m","requestId":"r1"}}`), true},
		{"success true fails", notFound(t, 404, `{"success":true,"error":{"code":"NOT_FOUND","message":"m","requestId":"r1"}}`), true},
		{"no message fails", notFound(t, 404, `{"success":false,"error":{"code":"NOT_FOUND","message":"","requestId":"r1"}}`), true},
		{"no request id fails", notFound(t, 404, `{"success":false,"error":{"code":"NOT_FOUND","message":"m","requestId":""}}`), true},
		{"a stack fails", notFound(t, 404, `{"success":false,"error":{"code":"NOT_FOUND","message":"m","requestId":"r1","stack":"main.go:1"}}`), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := fails(t, func(tb testing.TB) { RequireError(tb, tc.res, http.StatusNotFound, client.NOTFOUND) })
			require.Equal(t, tc.fails, got)
		})
	}
}

func TestRequireRawErrorWantsTheRequestIDOfTheHeader(t *testing.T) {
	t.Parallel()
	body := []byte(`{"success":false,"error":{"code":"NOT_FOUND","message":"m","requestId":"r1"}}`)
	for header, fail := range map[string]bool{"r1": false, "r2": true} {
		res := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{"X-Request-Id": {header}}}
		got := fails(t, func(tb testing.TB) { RequireRawError(tb, res, body, http.StatusNotFound, client.NOTFOUND) })
		require.Equal(t, fail, got, "X-Request-Id %s", header)
	}
}

func TestRequireDetailsWantsExactlyTheProblemsNamed(t *testing.T) {
	t.Parallel()
	e := client.ErrorBody{Details: &[]client.ErrorDetail{
		{Field: "name", Location: client.Body, Message: "is too short"},
		{Field: "name", Location: client.Body, Message: "has control characters"},
		{Field: "page", Location: client.Query, Message: "must be at least 1"},
	}}
	cases := []struct {
		want  []string
		fails bool
	}{
		{[]string{"query page", "body name"}, false},
		{[]string{"body name"}, true},
		{[]string{"body name", "query page", "body sku"}, true},
		{[]string{"query name", "query page"}, true},
		{nil, true},
	}
	for _, tc := range cases {
		got := fails(t, func(tb testing.TB) { RequireDetails(tb, e, tc.want...) })
		require.Equal(t, tc.fails, got, "%v", tc.want)
	}
	require.False(t, fails(t, func(tb testing.TB) { RequireDetails(tb, client.ErrorBody{}) }), "no details, none wanted")
	require.True(t, fails(t, func(tb testing.TB) { RequireFieldsIn(tb, e, client.Body, "name", "page") }), "page is in the query")
	require.Equal(t, []string{"name", "page"}, DetailFields(e))
	require.Equal(t, []string{"is too short", "has control characters"}, DetailMessages(e, "name"))
	require.Equal(t, "is too short", DetailMessage(t, e, "name"))
	require.True(t, fails(t, func(tb testing.TB) { DetailMessage(tb, e, "sku") }))
}

func TestRequireDetailsWantsAMessageOnEveryDetail(t *testing.T) {
	t.Parallel()
	e := client.ErrorBody{Details: &[]client.ErrorDetail{{Field: "name", Location: client.Body}}}
	require.True(t, fails(t, func(tb testing.TB) { RequireDetails(tb, e, "body name") }))
}
