// Package handler implements the operations of openapi.yaml (api.StrictServerInterface)
// on top of the sqlc queries. Business rules that span several queries, such as
// rotating a refresh token, live here; HTTP concerns do not.
package handler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/metrics"
)

var _ api.StrictServerInterface = (*Handler)(nil)

// Deps is what a Handler needs; every field is required.
type Deps struct {
	Pool *database.Pool
	// Log receives the events (login, order placed …); logged with the request's
	// context, so a logctx logger adds the request id and the caller.
	Log        *slog.Logger
	Hasher     *auth.Hasher
	Tokens     *auth.TokenIssuer
	RefreshTTL time.Duration
	SpecYAML   []byte
	SpecJSON   []byte
	Metrics    *metrics.Metrics
	// CursorKey signs list cursors (see CursorKey).
	CursorKey []byte
}

// Handler answers every operation of the API.
type Handler struct {
	Deps
	q           *db.Queries
	placer      *placer
	metricsHTTP http.Handler
}

// New returns a Handler over the given dependencies.
func New(d Deps) *Handler {
	q := db.New(d.Pool)
	return &Handler{Deps: d, q: q, placer: newPlacer(d.Pool, q, d.Metrics),
		metricsHTTP: promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})}
}

// inTx runs fn in a transaction that commits when fn returns nil and rolls back
// otherwise. What fn returns is translated already; a failure to begin or commit is
// translated here.
func (h *Handler) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return dbError(pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return fn(h.q.WithTx(tx)) }))
}

// callerOf returns the authenticated caller; the auth middleware guarantees one on
// every operation the spec secures, so its absence is a wiring bug.
func callerOf(ctx context.Context) (auth.Claims, error) {
	c, ok := auth.Caller(ctx)
	if !ok {
		return c, apperr.Internal(errors.New("secured operation reached without a caller"))
	}
	return c, nil
}

// likePattern makes a case-insensitive "contains" pattern from user text, with LIKE's
// wildcards escaped so that "%" and "_" match themselves.
func likePattern(q *string) *string {
	if q == nil {
		return nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	p := "%" + r.Replace(*q) + "%"
	return &p
}

// pageTotal is the total behind a page and whether it came from a maintained counter:
// carried by every row of the page's own query, or, for a page past the end that has
// no rows, asked of the list's count query.
func pageTotal[C interface {
	~struct {
		Total            int64
		TotalFromCounter bool
	}
}](rows int, fromRows func() (int64, bool), r pageReq, count func() (C, error)) (int64, bool, error) {
	switch {
	case rows > 0:
		total, fromCounter := fromRows()
		return total, fromCounter, nil
	case r.page > 1:
		c, err := count()
		if err != nil {
			return 0, false, dbError(err)
		}
		v := struct {
			Total            int64
			TotalFromCounter bool
		}(c)
		return v.Total, v.TotalFromCounter, nil
	}
	return 0, true, nil
}

// timeKey writes a timestamp as the list queries read a cursor's after_key
// (::text::timestamptz), to the microsecond PostgreSQL keeps.
func timeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
