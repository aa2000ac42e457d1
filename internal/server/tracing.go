package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/internal/auth"
)

// Option adds an optional part to the server.
type Option func(*options)

type options struct {
	tracing trace.TracerProvider
}

// WithTracing gives every request a server span from tp, in the caller's trace when
// its W3C traceparent header names one; the pool and the password hasher add their
// child spans to it. Without it (tracing off) the server has no tracing code on its
// path at all.
func WithTracing(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracing = tp }
}

// traceRequests starts the request's server span, named by method and the spec's
// route template ("GET /api/v1/products/{id}", never the raw path with its ids),
// and puts it in the request's context for everything below: statement spans, and
// the traceId and spanId of every log line (logctx), the request line included.
// At the end the span gets the status and, for an authenticated request, the
// caller's user id; a 5xx marks it failed.
func (s *Server) traceRequests(tp trace.TracerProvider) echo.MiddlewareFunc {
	tracer := tp.Tracer("github.com/shopfloor/shopfloor/internal/server")
	propagator := propagation.TraceContext{}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ctx := propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
			var span trace.Span
			if op := s.ops.lookup(c); op != nil {
				ctx, span = tracer.Start(ctx, op.spanName, op.spanStart...)
			} else {
				ctx, span = tracer.Start(ctx, req.Method, trace.WithSpanKind(trace.SpanKindServer),
					trace.WithAttributes(semconv.HTTPRequestMethodKey.String(req.Method)))
			}
			defer span.End()
			c.SetRequest(req.WithContext(ctx))
			err := next(c)
			status := c.Response().Status
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			if caller, ok := auth.Caller(c.Request().Context()); ok {
				span.SetAttributes(semconv.UserID(caller.UserID.String()))
			}
			if status >= http.StatusInternalServerError {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			return err
		}
	}
}
