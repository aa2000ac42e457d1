package server

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopfloor/shopfloor/internal/config"
)

// NewPool opens the bounded connection pool the whole service shares: at most
// DB_MAX_CONNS connections, idle ones closed after DB_IDLE_TIMEOUT, each connect
// bounded by DB_CONNECT_TIMEOUT and each statement by DB_STATEMENT_TIMEOUT.
func NewPool(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	if cfg.DatabaseURL == "" {
		return nil, fmt.Errorf("DATABASE_URL is not set")
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	pc.MaxConns = cfg.DBMaxConns
	pc.MaxConnIdleTime = cfg.DBIdleTimeout
	pc.HealthCheckPeriod = 15 * time.Second
	pc.ConnConfig.ConnectTimeout = cfg.DBConnectTimeout
	pc.ConnConfig.RuntimeParams["application_name"] = "shopfloor"
	pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.DBStatementTimeout.Milliseconds(), 10)
	// The list queries take optional filters ("$1 IS NULL OR col = $1"); a generic plan
	// cannot drop the filters that are unset and so misses the index that serves the
	// ones that are. Planning each execution with its values costs far less.
	pc.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	pc.ConnConfig.Tracer = queryTracer{}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	return pool, nil
}
