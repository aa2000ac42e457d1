// Package bareref is the benchmark's reference point: GET /api/v1/products/{id}
// served by net/http and pgx alone, with no middleware, no spec validation, no auth,
// no logging and no metrics. It runs the server's own generated query (internal/db's
// ProductGet) and writes the same JSON envelope and ETag, so that Shopfloor's
// throughput as a fraction of this one is the price of everything else it does.
// bench/bare serves it for wrk; BenchmarkGetProductVsBare in internal/server runs it
// in process beside the whole server.
package bareref

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
)

// NewPool opens a pool set up like the server's: maxConns connections (the server's
// DB_MAX_CONNS), prepared statements on PostgreSQL's cached plan (pgx's default), and
// the server's type registrations (uuids in binary), so that the reference pays what
// the server pays for the same query.
func NewPool(ctx context.Context, dbURL string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	cfg.MaxConns = maxConns
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		database.RegisterTypes(conn.TypeMap())
		return nil
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// Handler serves GET /api/v1/products/{id} from q and answers anything else 404.
func Handler(q *db.Queries) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR")
			return
		}
		p, err := q.ProductGet(r.Context(), id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			writeError(w, http.StatusNotFound, "NOT_FOUND")
			return
		case err != nil:
			writeError(w, http.StatusInternalServerError, "INTERNAL")
			return
		}
		w.Header().Set("ETag", `"`+strconv.Itoa(int(p.Version))+`"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(api.ProductEnvelope{Success: api.True, Data: api.Product{
			Id: p.ID, Sku: p.Sku, Name: p.Name, Description: p.Description, PriceCents: p.PriceCents,
			Stock: p.Stock, Archived: p.ArchivedAt != nil, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
		}})
	})
	return mux
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"success":false,"error":{"code":%q}}`+"\n", code)
}
