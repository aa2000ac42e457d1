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
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shopfloor/shopfloor/internal/account"
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
}

// Handler answers every operation of the API.
type Handler struct {
	Deps
	q           *db.Queries
	metricsHTTP http.Handler
}

// New returns a Handler over the given dependencies.
func New(d Deps) *Handler {
	return &Handler{Deps: d, q: db.New(d.Pool),
		metricsHTTP: promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})}
}

// inTx runs fn in a transaction that commits when fn returns nil and rolls back
// otherwise.
func (h *Handler) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return fn(h.q.WithTx(tx)) })
}

// constraintErrors maps unique constraints to the specific conflict a client can act on.
var constraintErrors = map[string]func() *apperr.Error{
	"users_email_key": account.EmailTaken,
	"products_sku_key": func() *apperr.Error {
		return apperr.Conflict(api.SKUTAKEN, "A product with this SKU already exists",
			apperr.Detail("sku", api.Body, "is already used by another product"))
	},
}

// dbError translates what the database said into what the API says, once, so that
// pgx and pgconn types never reach the HTTP layer. notFound is the message for a
// missing row.
func dbError(err error, notFound string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFound(notFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if mk, ok := constraintErrors[pgErr.ConstraintName]; ok {
			return mk()
		}
		return apperr.Conflict(api.CONFLICT, "This conflicts with an existing record")
	}
	if apperr.As(err) != nil {
		return err
	}
	return apperr.Internal(err)
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

// pagination computes the envelope's pagination block.
func pagination(page, limit int32, total int64) api.Pagination {
	pages := int32((total + int64(limit) - 1) / int64(limit))
	return api.Pagination{Page: page, Limit: limit, Total: total, Pages: pages}
}

// pageTotal is the total count behind a page: carried by every row of the page's own
// query, or, for a page past the end that has no rows, counted by one more query.
func pageTotal(rows int, fromRows func() int64, page int32, count func() (int64, error)) (int64, error) {
	switch {
	case rows > 0:
		return fromRows(), nil
	case page > 1:
		n, err := count()
		return n, dbError(err, "")
	}
	return 0, nil
}

// pageParams applies the spec's defaults to optional page and limit.
func pageParams(page, limit *int32) (int32, int32) {
	p, l := int32(1), int32(20)
	if page != nil {
		p = *page
	}
	if limit != nil {
		l = *limit
	}
	return p, l
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
