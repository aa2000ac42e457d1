package server

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
)

// QueryCountHeader carries the number of SQL statements a request sent, outside
// production only, so tests can prove that no endpoint issues N+1 queries.
const QueryCountHeader = "X-Query-Count"

// countQueries gives the request a statement counter and, outside production, writes
// it in a header just before the response starts.
func countQueries(cfg config.Config) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if cfg.Env == config.EnvProduction {
			return next
		}
		return func(c echo.Context) error {
			ctx, n := database.WithStatementCounter(c.Request().Context())
			c.SetRequest(c.Request().WithContext(ctx))
			c.Response().Before(func() {
				c.Response().Header().Set(QueryCountHeader, strconv.FormatInt(n.Load(), 10))
			})
			return next(c)
		}
	}
}
