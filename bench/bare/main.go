// Command bare is the benchmark's reference point: GET /api/v1/products/{id} served
// by net/http and pgx alone, with no middleware, no spec validation, no auth, no
// logging and no metrics. It runs the server's own generated query (internal/db's
// ProductGet) on a pool set up like the server's (same size, prepared statements on
// PostgreSQL's cached plan), and writes the same JSON envelope and ETag, so that
// Shopfloor's throughput as a fraction of this one is the price of everything else
// it does.
//
//	DATABASE_URL=… go run ./bench/bare --addr 127.0.0.1:8090
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	maxConns := flag.Int("max-conns", 20, "pool size (the server's DB_MAX_CONNS default)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv("DATABASE_URL"), *addr, int32(*maxConns)); err != nil {
		log.Fatal("bench/bare: ", err)
	}
}

func run(ctx context.Context, dbURL, addr string, maxConns int32) error {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	cfg.MaxConns = maxConns
	// The server's type registrations (uuids in binary), so that the reference
	// pays what the server pays for the same query.
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		database.RegisterTypes(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	q := db.New(pool)

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
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("bench/bare listening on %s", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"success":false,"error":{"code":%q}}`+"\n", code)
}
