package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
)

// traceEnv is a server whose spans go to an in-memory exporter, synchronously.
func traceEnv(t *testing.T) (*apitest.Env, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return apitest.NewTraced(t, tp), exp
}

// traceSpans waits for the server span named name (it ends just after the response
// is written) and returns every span of its trace.
func traceSpans(t *testing.T, exp *tracetest.InMemoryExporter, name string) (server tracetest.SpanStub, all []tracetest.SpanStub) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, s := range exp.GetSpans() {
			if s.Name == name && s.SpanKind == trace.SpanKindServer {
				server = s
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "no server span %q", name)
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID() == server.SpanContext.TraceID() {
			all = append(all, s)
		}
	}
	return server, all
}

func spanAttr(s tracetest.SpanStub, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func childrenOf(parent tracetest.SpanStub, all []tracetest.SpanStub) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range all {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() {
			out = append(out, s)
		}
	}
	return out
}

// tracedLine is the part of a log line the tracing tests read.
type tracedLine struct {
	Msg       string `json:"msg"`
	RequestID string `json:"requestId"`
	TraceID   string `json:"traceId"`
	SpanID    string `json:"spanId"`
	Request   *struct {
		Route string `json:"route"`
	} `json:"request"`
}

// linesOf returns the log lines written for the request with this X-Request-Id.
func linesOf(t *testing.T, env *apitest.Env, requestID string) []tracedLine {
	t.Helper()
	var out []tracedLine
	sc := bufio.NewScanner(strings.NewReader(env.Logs()))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		var l tracedLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		if l.RequestID == requestID {
			out = append(out, l)
		}
	}
	return out
}

// One GET of a product sent with a W3C traceparent: the server span continues the
// caller's trace under the caller's span, is named by the route template and says
// method, route and status; the one statement is its child, named by the sqlc
// query; no span carries the id the request and the statement were about; and the
// request line carries the trace and server span ids.
func TestTracingAProductGetContinuesTheCallersTrace(t *testing.T) {
	t.Parallel()
	env, exp := traceEnv(t)
	p := apitest.CreateProduct(t, env, apitest.ProductOpts{Stock: 3})
	const (
		callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		callerSpan  = "00f067aa0ba902b7"
	)
	res, err := env.Client.GetProductWithResponse(context.Background(), p.ID, nil,
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))

	server, all := traceSpans(t, exp, "GET /api/v1/products/{id}")
	require.Equal(t, callerTrace, server.SpanContext.TraceID().String(), "the caller's trace goes on")
	require.Equal(t, callerSpan, server.Parent.SpanID().String(), "the caller's span is the parent")
	require.True(t, server.Parent.IsRemote())
	for key, want := range map[attribute.Key]attribute.Value{
		"http.request.method":       attribute.StringValue("GET"),
		"http.route":                attribute.StringValue("/api/v1/products/{id}"),
		"http.response.status_code": attribute.IntValue(http.StatusOK),
	} {
		got, ok := spanAttr(server, key)
		require.True(t, ok, "the server span lacks %s", key)
		require.Equal(t, want, got, key)
	}
	_, hasUser := spanAttr(server, "user.id")
	require.False(t, hasUser, "an anonymous request names no user")

	children := childrenOf(server, all)
	require.Len(t, children, 1, "one statement, one child span: %+v", children)
	stmt := children[0]
	require.Equal(t, "ProductGet", stmt.Name)
	require.Equal(t, trace.SpanKindClient, stmt.SpanKind)
	system, _ := spanAttr(stmt, "db.system.name")
	require.Equal(t, "postgresql", system.AsString())
	summary, _ := spanAttr(stmt, "db.query.summary")
	require.Equal(t, "ProductGet", summary.AsString())

	for _, s := range all {
		for _, kv := range s.Attributes {
			require.NotContains(t, kv.Value.Emit(), p.ID.String(), "span %s attribute %s carries a parameter value", s.Name, kv.Key)
		}
	}

	lines := linesOf(t, env, res.HTTPResponse.Header.Get("X-Request-Id"))
	require.NotEmpty(t, lines)
	var requestLines int
	for _, l := range lines {
		require.Equal(t, callerTrace, l.TraceID, "line %q", l.Msg)
		require.Equal(t, server.SpanContext.SpanID().String(), l.SpanID, "line %q", l.Msg)
		if l.Request != nil {
			requestLines++
		}
	}
	require.Equal(t, 1, requestLines, "the request line carries the ids")
}

// A login without a traceparent starts a trace of its own; the wait for a
// password-check slot is a span in it beside the statements, and an authenticated
// request's server span names the caller.
func TestTracingALoginShowsThePasswordSlotAndTheCaller(t *testing.T) {
	t.Parallel()
	env, exp := traceEnv(t)
	u := env.CreateUser(apitest.UserOpts{})
	ctx := context.Background()
	in, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(u.Email), Password: u.Password})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, in.StatusCode(), string(in.Body))

	login, all := traceSpans(t, exp, "POST /api/v1/auth/login")
	require.False(t, login.Parent.IsValid(), "no traceparent: the server span is the root")
	var names []string
	for _, s := range childrenOf(login, all) {
		names = append(names, s.Name)
	}
	require.Contains(t, names, auth.SlotSpan)
	require.Contains(t, names, "UserCredentialsByEmail")
	for _, s := range childrenOf(login, all) {
		if s.Name == auth.SlotSpan {
			queued, ok := spanAttr(s, "shopfloor.password.queued")
			require.True(t, ok)
			require.False(t, queued.AsBool(), "one login alone does not queue")
		}
	}

	me, err := env.Client.GetCurrentUserWithResponse(ctx, u.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
	server, _ := traceSpans(t, exp, "GET /api/v1/auth/me")
	user, ok := spanAttr(server, "user.id")
	require.True(t, ok, "an authenticated request's span names the caller")
	require.Equal(t, u.ID.String(), user.AsString())
	require.NotEqual(t, login.SpanContext.TraceID(), server.SpanContext.TraceID(), "each request its own trace")
}

// With tracing off (no provider, the default) a traceparent changes nothing and no
// log line carries trace ids.
func TestTracingOffLeavesNoTraceIDsInTheLogs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	res, err := env.Client.GetProductWithResponse(context.Background(), apitest.CreateProduct(t, env, apitest.ProductOpts{}).ID, nil,
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	lines := linesOf(t, env, res.HTTPResponse.Header.Get("X-Request-Id"))
	require.NotEmpty(t, lines)
	for _, l := range lines {
		require.Empty(t, l.TraceID, "line %q", l.Msg)
		require.Empty(t, l.SpanID, "line %q", l.Msg)
	}
}
