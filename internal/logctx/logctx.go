// Package logctx adds what a request's context knows about the request (its id, the
// authenticated caller, and its trace) to every log line written with that context,
// so that no call site adds them by hand and none forgets them.
package logctx

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
)

// Wrap returns a logger whose lines carry "requestId" and "userId" when the context
// they are logged with has them (apperr.WithRequestID, auth.WithCaller), and
// "traceId" and "spanId" when it carries a span (tracing on), so that a log search
// leads to the trace and back. Wrapping a
// logger Wrap returned returns it unchanged, so every layer that logs request work
// (the pool, the server) may wrap what it is given.
func Wrap(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(handler); ok {
		return l
	}
	return slog.New(handler{l.Handler()})
}

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := apperr.RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("requestId", id))
	}
	if c, ok := auth.Caller(ctx); ok {
		r.AddAttrs(slog.String("userId", c.UserID.String()))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("traceId", sc.TraceID().String()), slog.String("spanId", sc.SpanID().String()))
	}
	return h.next.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler { return handler{h.next.WithAttrs(attrs)} }

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }
