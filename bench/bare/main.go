// Command bare serves the benchmark's reference point (package bench/bareref: GET
// /api/v1/products/{id} by net/http and pgx alone) on a pool set up like the
// server's (same size, prepared statements on PostgreSQL's cached plan, uuids in
// binary), so that Shopfloor's throughput as a fraction of this one is the price of
// everything else it does.
//
//	DATABASE_URL=… go run ./bench/bare --addr 127.0.0.1:8090
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shopfloor/shopfloor/bench/bareref"
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
	pool, err := bareref.NewPool(ctx, dbURL, maxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	q := db.New(pool)

	srv := &http.Server{Addr: addr, Handler: bareref.Handler(q), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
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
