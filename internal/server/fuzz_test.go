package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/config"
)

// fuzzOps are the operations FuzzValidateRequest aims at: a public JSON body, a
// nested JSON body with an array, and query parameters only.
var fuzzOps = []struct{ method, path string }{
	{http.MethodPost, "/api/v1/auth/register"},
	{http.MethodPost, "/api/v1/orders"},
	{http.MethodGet, "/api/v1/products"},
}

// fuzzBodyLimit is small so that the fuzzer reaches the 413 path too.
const fuzzBodyLimit = 2048

// fuzzEcho is the request-checking half of the server (request ids, the spec
// validator, the one error handler) in front of a handler that accepts whatever
// reaches it and echoes the body it was given.
func fuzzEcho(tb testing.TB) (*echo.Echo, *openapi3.Schema) {
	tb.Helper()
	doc, ops, err := loadOperations(shopfloor.OpenAPIYAML)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{cfg: config.Config{Env: config.EnvProduction, BodyLimitBytes: fuzzBodyLimit},
		log: slog.New(slog.DiscardHandler), ops: ops, validation: newValidationOptions(),
		failures: newFailureLog(slog.New(slog.DiscardHandler))}
	e := echo.New()
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.validateRequest)
	accept := func(c echo.Context) error {
		body, _ := io.ReadAll(c.Request().Body)
		if len(body) == 0 {
			body = []byte(`{}`)
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	}
	for _, op := range fuzzOps {
		e.Add(op.method, op.path, accept)
	}
	return e, doc.Components.Schemas["ErrorEnvelope"].Value
}

// statusCodes are the error codes each status may carry on this path.
var statusCodes = map[int][]api.ErrorCode{
	http.StatusBadRequest:            {api.VALIDATIONERROR, api.BADREQUEST, api.UNKNOWNFIELD},
	http.StatusRequestEntityTooLarge: {api.PAYLOADTOOLARGE},
	http.StatusUnsupportedMediaType:  {api.UNSUPPORTEDMEDIATYPE},
}

// FuzzValidateRequest feeds arbitrary bodies, content types and query strings to the
// validator. Whatever arrives, the answer is never a panic or a 5xx; a refusal is the
// error envelope with a code that fits its status; and what is let through to the
// handler is well-formed JSON.
func FuzzValidateRequest(f *testing.F) {
	const ct = "application/json"
	f.Add(uint8(0), ct, "", []byte(`{"email":"ada@example.com","password":"Correct-Horse-9","name":"Ada Lovelace"}`))
	f.Add(uint8(0), ct, "", []byte(`{"email":"not-an-email","password":"short","name":"x","admin":true}`))
	f.Add(uint8(0), ct, "", []byte(`{"email":"nul@example.com","password":"Correct-Horse-9","name":"A\u0000B"}`))
	f.Add(uint8(0), ct, "", []byte("{\"email\":\"a@example.com\",\"password\":\"Correct-Horse-9\",\"name\":\"Bad \xff\"}"))
	f.Add(uint8(0), ct, "", []byte(`{"email":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`))
	f.Add(uint8(0), "text/plain", "", []byte(`{"email":"a@example.com"}`))
	f.Add(uint8(0), ct+"; charset=utf-8", "", []byte(`{} {}`))
	f.Add(uint8(0), ct, "", []byte(`{"email":"a@example.com","email":"b@example.com","password":1e999,"name":null}`))
	f.Add(uint8(1), ct, "", []byte(`{"items":[{"productId":"0b6f2f4e-3c1a-4b8e-9d7f-2a5c6e8f1a2b","quantity":2}],"note":"gift"}`))
	f.Add(uint8(1), ct, "", []byte(`{"items":[{"productId":"0b6f2f4e-3c1a-4b8e-9d7f-2a5c6e8f1a2b","quantity":1.5},{"productId":"x","quantity":-1,"price":0}]}`))
	f.Add(uint8(1), ct, "", []byte(`{"items":[]}`))
	f.Add(uint8(1), "", "", []byte(``))
	f.Add(uint8(1), ct, "", []byte(`[{"items":"\ud800"}]`))
	f.Add(uint8(2), "", "q=lamp&minPriceCents=10&maxPriceCents=99&inStock=true&sort=-priceCents&page=2&limit=5", []byte(nil))
	f.Add(uint8(2), "", "q=%00&minPriceCents=ten&inStock=maybe&sort=;drop&page=-1&limit=1000000000000000000000", []byte(nil))
	f.Add(uint8(2), "", "q=%ff%fe&unknown=1&page=1&page=2&limit=%zz", []byte(`ignored`))

	e, envelope := fuzzEcho(f)
	f.Fuzz(func(t *testing.T, op uint8, contentType, query string, body []byte) {
		target := fuzzOps[int(op)%len(fuzzOps)]
		req := httptest.NewRequest(target.method, target.path, strings.NewReader(string(body)))
		req.URL.RawQuery = query
		if contentType != "" {
			req.Header.Set(echo.HeaderContentType, contentType)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)

		res := rec.Body.Bytes()
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%q with %q → %d: %s", target.method, target.path, query, body, rec.Code, res)
		}
		if !json.Valid(res) {
			t.Fatalf("→ %d with a body that is not JSON: %q", rec.Code, res)
		}
		if rec.Code < 300 {
			return // the handler echoed what it was given, and it was JSON
		}
		var v any
		_ = json.Unmarshal(res, &v)
		if err := envelope.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			t.Fatalf("→ %d with a body that is not the error envelope: %v\n%s", rec.Code, err, res)
		}
		var env api.ErrorEnvelope
		if err := json.Unmarshal(res, &env); err != nil {
			t.Fatal(err)
		}
		codes, known := statusCodes[rec.Code]
		if !known {
			t.Fatalf("unexpected status %d: %s", rec.Code, res)
		}
		if !env.Error.Code.Valid() || !containsCode(codes, env.Error.Code) {
			t.Fatalf("status %d with code %s: %s", rec.Code, env.Error.Code, res)
		}
		if env.Error.RequestId == "" || env.Error.RequestId != rec.Header().Get(echo.HeaderXRequestID) {
			t.Fatalf("requestId %q is not the X-Request-Id header %q", env.Error.RequestId, rec.Header().Get(echo.HeaderXRequestID))
		}
		if env.Error.Stack != nil {
			t.Fatalf("a stack outside development: %s", res)
		}
	})
}

func containsCode(codes []api.ErrorCode, c api.ErrorCode) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// The fuzz harness is worth its invariants only if it lets good requests through and
// refuses bad ones as the real server does.
func TestFuzzHarnessTellsGoodFromBad(t *testing.T) {
	e, _ := fuzzEcho(t)
	cases := []struct {
		name        string
		op          int
		contentType string
		query       string
		body        string
		status      int
	}{
		{"a valid registration is accepted", 0, "application/json", "", `{"email":"ada@example.com","password":"Correct-Horse-9","name":"Ada"}`, http.StatusOK},
		{"a valid order is accepted", 1, "application/json", "", `{"items":[{"productId":"0b6f2f4e-3c1a-4b8e-9d7f-2a5c6e8f1a2b","quantity":2}]}`, http.StatusOK},
		{"a valid product query is accepted", 2, "", "q=lamp&limit=5&sort=name", "", http.StatusOK},
		{"text/plain is refused", 0, "text/plain", "", `{}`, http.StatusUnsupportedMediaType},
		{"a body over the limit is refused", 0, "application/json", "", `{"name":"` + strings.Repeat("a", fuzzBodyLimit) + `"}`, http.StatusRequestEntityTooLarge},
		{"a NUL is refused", 0, "application/json", "", `{"email":"ada@example.com","password":"Correct-Horse-9","name":"A\u0000da"}`, http.StatusBadRequest},
		{"a bad query is refused", 2, "", "limit=0", "", http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := fuzzOps[tc.op]
			req := httptest.NewRequest(op.method, op.path+"?"+tc.query, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set(echo.HeaderContentType, tc.contentType)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("got %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
}
