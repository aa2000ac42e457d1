package server

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/config"
)

// QueryCountHeader carries the number of SQL statements a request sent, outside
// production only, so tests can prove that no endpoint issues N+1 queries.
const QueryCountHeader = "X-Query-Count"

type queryCounterKey struct{}

// queryTracer counts the statements sent on behalf of each request; requests carry
// their counter in the context.
type queryTracer struct{}

func (queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if n, ok := ctx.Value(queryCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return ctx
}

func (queryTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countQueries gives the request a statement counter and, outside production, writes
// it in a header just before the response starts.
func countQueries(cfg config.Config) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if cfg.Env == config.EnvProduction {
			return next
		}
		return func(c echo.Context) error {
			n := new(atomic.Int64)
			req := c.Request()
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), queryCounterKey{}, n)))
			c.Response().Before(func() {
				c.Response().Header().Set(QueryCountHeader, strconv.FormatInt(n.Load(), 10))
			})
			return next(c)
		}
	}
}
