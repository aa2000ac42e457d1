// Package tracing builds the OpenTelemetry tracer provider that the OTEL_* variables
// ask for. With tracing off (no OTLP endpoint, or OTEL_SDK_DISABLED=true) there is
// no provider at all: the server, the pool and the password hasher then skip their
// tracing code entirely, so that tracing off costs nothing measurable (no spans, no
// exporter, no goroutines).
package tracing

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/internal/config"
)

// Scope is the instrumentation scope of every tracer Shopfloor asks for.
const Scope = "github.com/shopfloor/shopfloor"

// Provider returns the tracer provider for cfg.Tracing, and the function that
// flushes the spans still buffered and stops the exporter (call it at shutdown).
// With tracing off it returns a nil provider and a shutdown that does nothing.
//
// The exporter and the SDK read the details from the standard variables themselves:
// the endpoint and its headers, timeout and certificates (OTEL_EXPORTER_OTLP_*), the
// sampler (OTEL_TRACES_SAMPLER, default parentbased_always_on), the batch sizes
// (OTEL_BSP_*) and the resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
// Export failures are logged to log as warnings, never written to stderr as text.
func Provider(ctx context.Context, cfg config.Config, version string, log *slog.Logger) (trace.TracerProvider, func(context.Context) error, error) {
	if !cfg.Tracing.Enabled {
		return nil, func(context.Context) error { return nil }, nil
	}
	// The SDK reports export failures through OpenTelemetry's one error handler;
	// set once, at start, it logs them as JSON lines like everything else.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("trace export failed", "err", err)
	}))
	var (
		exp *otlptrace.Exporter
		err error
	)
	if cfg.Tracing.Protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	// The defaults first: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override them.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("shopfloor"), semconv.ServiceVersion(version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	log.Info("tracing on", "protocol", cfg.Tracing.Protocol)
	return tp, tp.Shutdown, nil
}
