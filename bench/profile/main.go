// Command profile serves Shopfloor wired as `shopfloor serve` wires it (the same
// configuration from the environment, pool, server.New handler and http.Server
// timeouts) and, on a second, loopback-only address, net/http/pprof, so that a CPU or
// allocation profile can be taken under load. The production binary has no pprof
// endpoint on purpose; this one exists only for the benchmark.
//
//	DATABASE_URL=… JWT_SECRET=… go run ./bench/profile --pprof 127.0.0.1:6060
//	go tool pprof -top 'http://127.0.0.1:6060/debug/pprof/profile?seconds=15'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/logjson"
	"github.com/shopfloor/shopfloor/internal/metrics"
	"github.com/shopfloor/shopfloor/internal/server"
)

func main() {
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "address of the pprof endpoints")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *pprofAddr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/profile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, pprofAddr string) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(logjson.New(os.Stdout, &slog.HandlerOptions{Level: level}))
	m := metrics.New()
	pool, err := database.Open(ctx, cfg, database.Options{Log: log, ObserveQuery: m.ObserveQuery})
	if err != nil {
		return err
	}
	defer pool.Close()
	srv, err := server.New(cfg, pool, log, m)
	if err != nil {
		return err
	}
	defer srv.Close()

	debug := http.NewServeMux()
	debug.HandleFunc("/debug/pprof/", pprof.Index)
	debug.HandleFunc("/debug/pprof/profile", pprof.Profile)
	debug.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	debug.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		err := (&http.Server{Addr: pprofAddr, Handler: debug, ReadHeaderTimeout: 5 * time.Second}).ListenAndServe()
		log.Error("pprof server stopped", "err", err)
	}()

	httpServer := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpServer.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
