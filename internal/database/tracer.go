package database

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

type counterKey struct{}

// WithStatementCounter gives ctx a counter of the statements sent on its behalf, so
// that a request can report how many it sent (no N+1 hides from that).
func WithStatementCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, n), n
}

// CountStatements adds n to ctx's statement counter, if it has one: for statements
// sent on a request's behalf under another context (an order placed in a batch).
func CountStatements(ctx context.Context, n int64) {
	if c, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		c.Add(n)
	}
}

type traceKey struct{}

type traceStart struct {
	name  string
	start time.Time
	span  trace.Span // nil when no span was started
}

// tracer counts statements per request, times each by its sqlc query name, logs
// the slow ones, and, with tracing on, gives each statement of a traced request a
// child span named by its query. Neither the log nor the span ever carries
// parameter values: they may hold personal data.
type tracer struct {
	log     *slog.Logger
	slow    time.Duration
	observe func(name string, d time.Duration)
	// spans is nil with tracing off. Statements outside a traced request (the
	// figures' fold, migrations) start no trace of their own.
	spans trace.Tracer
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	s := traceStart{name: QueryName(data.SQL), start: time.Now()}
	if t.spans != nil && trace.SpanContextFromContext(ctx).IsValid() {
		ctx, s.span = t.spans.Start(ctx, s.name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.DBSystemNamePostgreSQL, semconv.DBQuerySummary(s.name)))
	}
	return context.WithValue(ctx, traceKey{}, s)
}

func (t *tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	s, ok := ctx.Value(traceKey{}).(traceStart)
	if !ok {
		return
	}
	d := time.Since(s.start)
	if s.span != nil {
		if data.Err != nil {
			// Only that it failed: an error's text may quote a value (a unique
			// violation's detail names the duplicate key).
			s.span.SetStatus(codes.Error, "statement failed")
		} else {
			s.span.SetAttributes(semconv.DBResponseReturnedRows(int(data.CommandTag.RowsAffected())))
		}
		s.span.End()
	}
	if t.observe != nil {
		t.observe(s.name, d)
	}
	if t.slow > 0 && d >= t.slow {
		attrs := []any{"query", s.name, "duration", d.String()}
		if data.Err != nil {
			attrs = append(attrs, "failed", true)
		}
		t.log.WarnContext(ctx, "slow query", attrs...)
	}
}

// QueryName is the sqlc name of a generated query ("-- name: UserGet :one"), or the
// statement's first word in lower case for the few statements pgx sends itself
// (begin, commit, rollback, savepoint).
func QueryName(sql string) string {
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		if i := strings.IndexAny(rest, " \n"); i > 0 {
			return rest[:i]
		}
	}
	sql = strings.TrimSpace(sql)
	if i := strings.IndexAny(sql, " \n;"); i > 0 {
		sql = sql[:i]
	}
	if len(sql) > 20 {
		sql = sql[:20]
	}
	return strings.ToLower(sql)
}

// tracerScope names the statements' spans' instrumentation scope.
const tracerScope = "github.com/shopfloor/shopfloor/internal/database"
