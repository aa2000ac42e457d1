//go:build unix

package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/logctx"
	"github.com/shopfloor/shopfloor/internal/logjson"
)

// The cost of one request line, by the handler that writes it (run with -benchmem):
//
//	go test -run '^$' -bench RequestLine -benchmem ./internal/server
//
// "none" is the same request without a request logger, so each other case less
// "none" is what its line costs. Besides wall time each case reports cpu-ns/op, the
// CPU time the process used per line: on a shared machine wall time measures the
// neighbours too. BENCHMARKS.md holds the figures.
func BenchmarkRequestLine(b *testing.B) {
	handlers := []struct {
		name string
		h    func(io.Writer) slog.Handler
	}{
		{"slog-echo+slog.JSONHandler", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
		{"slog-echo+logjson", func(w io.Writer) slog.Handler { return logjson.New(w, nil) }},
	}
	id := "2f1b6f8e-3c2a-4d7e-9a4b-8c1d2e3f4a5b"
	run := func(b *testing.B, mw []echo.MiddlewareFunc) {
		e := echo.New()
		e.GET("/api/v1/products/:id", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, mw...)
		req := httptest.NewRequest(http.MethodGet, "/api/v1/products/"+id, nil)
		req = req.WithContext(apperr.WithRequestID(req.Context(), "bench-request-id"))
		req.RemoteAddr = "10.1.2.3:45678"
		b.ReportAllocs()
		start := cpuNanos()
		for b.Loop() {
			e.ServeHTTP(httptest.NewRecorder(), req)
		}
		reportCPU(b, start)
	}
	b.Run("none", func(b *testing.B) { run(b, nil) })
	for _, h := range handlers {
		b.Run(h.name, func(b *testing.B) {
			run(b, []echo.MiddlewareFunc{requestLine(logctx.Wrap(slog.New(h.h(io.Discard))))})
		})
	}
	// The handler alone, given the record slog-echo builds for this request.
	for _, h := range handlers {
		b.Run("handler-only/"+h.name, func(b *testing.B) {
			log := logctx.Wrap(slog.New(h.h(io.Discard)))
			ctx := apperr.WithRequestID(context.Background(), "bench-request-id")
			start := time.Now()
			b.ReportAllocs()
			cpu := cpuNanos()
			for b.Loop() {
				log.LogAttrs(ctx, slog.LevelInfo, "Incoming request",
					slog.Group("request", slog.Time("time", start), slog.String("method", "GET"),
						slog.String("host", "example.com"), slog.String("path", "/api/v1/products/"+id),
						slog.String("query", ""), slog.Any("params", map[string]string{"id": id}),
						slog.String("route", "/api/v1/products/:id"), slog.String("ip", "10.1.2.3"),
						slog.String("referer", ""), slog.Int("length", 0)),
					slog.Group("response", slog.Time("time", start), slog.Duration("latency", 1234567),
						slog.Int("status", 200), slog.Int("length", 321)))
			}
			reportCPU(b, cpu)
		})
	}
}

// cpuNanos is the CPU time the process has used so far, in every thread (the
// garbage collector's included), in user and system mode.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU reports the CPU time per iteration since start.
func reportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}
