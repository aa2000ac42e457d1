package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/logctx"
)

// A line logged with a request's context carries its request id and caller, also
// through With; a line without them carries neither; wrapping twice adds them once.
func TestWrapAddsTheRequestsIDs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logctx.Wrap(logctx.Wrap(slog.New(slog.NewJSONHandler(&buf, nil))))
	user := uuid.New()
	ctx := auth.WithCaller(apperr.WithRequestID(context.Background(), "req-1"), auth.Claims{UserID: user})

	log.With("component", "test").InfoContext(ctx, "order placed")
	log.InfoContext(context.Background(), "started")

	first, second := twoLines(t, &buf)
	require.Equal(t, "req-1", first["requestId"])
	require.Equal(t, user.String(), first["userId"])
	require.Equal(t, "test", first["component"])
	require.Equal(t, 1, bytes.Count(buf.Bytes(), []byte(`"requestId"`)), "wrapped twice, added once")
	require.NotContains(t, second, "requestId")
	require.NotContains(t, second, "userId")
}

// A line logged with a context that carries a span carries its trace and span ids,
// as the W3C hex strings a trace viewer searches by; without a span it carries none.
func TestWrapAddsTheTraceIDs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logctx.Wrap(slog.New(slog.NewJSONHandler(&buf, nil)))
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	log.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "traced")
	log.InfoContext(context.Background(), "untraced")

	first, second := twoLines(t, &buf)
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", first["traceId"])
	require.Equal(t, "00f067aa0ba902b7", first["spanId"])
	require.NotContains(t, second, "traceId")
	require.NotContains(t, second, "spanId")
}

// twoLines decodes the two JSON lines a test logged.
func twoLines(t *testing.T, buf *bytes.Buffer) (first, second map[string]any) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	require.NoError(t, json.Unmarshal(lines[0], &first))
	require.NoError(t, json.Unmarshal(lines[1], &second))
	return first, second
}
