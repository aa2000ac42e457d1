package tracing_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/tracing"
)

func load(t *testing.T, kv map[string]string) config.Config {
	t.Helper()
	kv["JWT_SECRET"] = "tracing-test-secret-of-at-least-32-bytes"
	cfg, err := config.Load(func(k string) string { return kv[k] })
	require.NoError(t, err)
	return cfg
}

// With no OTEL_* variable set there is no provider at all (so the server, the pool
// and the hasher leave their tracing code out) and nothing was started: no
// exporter, no batching goroutine.
func TestTracingOffStartsNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	tp, shutdown, err := tracing.Provider(context.Background(), load(t, map[string]string{}), "test", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Nil(t, tp)
	require.Equal(t, before, runtime.NumGoroutine())
	require.NoError(t, shutdown(context.Background()))
}

// With an endpoint, spans reach it (OTLP/HTTP, read by the exporter from the
// standard variables), and shutdown flushes the batch.
func TestTracingOnExportsToTheEndpoint(t *testing.T) {
	var exports atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/v1/traces" {
			exports.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "60000") // only shutdown's flush sends
	cfg := load(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL})
	tp, shutdown, err := tracing.Provider(context.Background(), cfg, "test", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NotNil(t, tp)
	_, span := tp.Tracer("test").Start(context.Background(), "one")
	span.End()
	require.Zero(t, exports.Load(), "batched, not sent at once")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, shutdown(ctx))
	require.EqualValues(t, 1, exports.Load(), "shutdown flushed the batch")
}
