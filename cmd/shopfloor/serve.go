package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/figures"
	"github.com/shopfloor/shopfloor/internal/metrics"
	"github.com/shopfloor/shopfloor/internal/ratelimit"
	"github.com/shopfloor/shopfloor/internal/server"
	"github.com/shopfloor/shopfloor/internal/tracing"
)

// flushTraces sends the spans still buffered, for at most five seconds, once the
// last request has finished.
func flushTraces(stop func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		log.Warn("flushing traces at shutdown failed", "err", err)
	}
}

func serveCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := newFlags("serve", "serve [--addr :8080]", stdout)
	addr := fs.String("addr", "", "listen address (overrides HTTP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if *addr != "" {
		cfg.HTTPAddr = *addr
	}
	lw := newLogWriter(stdout, 100*time.Millisecond)
	defer lw.Close()
	return serve(ctx, cfg, newLogger(cfg, lw), nil)
}

// reserveBcryptProcs gives the Go scheduler one P more for each low-priority bcrypt
// worker (auth.ReservedProcs), once, before serving: a worker the kernel holds back
// while it holds a P would otherwise hold that P back from request handling, and
// reads' latency during a login flood would suffer (BENCHMARKS.md, scenario 5). It
// turns off the runtime's own GOMAXPROCS updates when a container's CPU limit
// changes; BCRYPT_NICE=0 keeps them (and bcrypt at normal priority).
func reserveBcryptProcs(cfg config.Config, log *slog.Logger) {
	extra := auth.ReservedProcs(auth.HasherOptions{MaxConcurrent: cfg.BcryptMaxConcurrent, Nice: cfg.BcryptNice})
	if extra == 0 {
		return
	}
	procs := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(procs + extra)
	log.Info("GOMAXPROCS raised for the low-priority bcrypt workers", "from", procs, "to", procs+extra)
}

// serve runs the API until ctx ends (SIGTERM or SIGINT), then stops accepting, lets
// in-flight requests finish within SHUTDOWN_TIMEOUT, and closes the pool. ready, when
// not nil, is called once the listener is open.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, ready func(addr string)) error {
	if cfg.RedisURL != "" {
		ratelimit.LogRedisThrough(log)
	}
	reserveBcryptProcs(cfg, log)
	m := metrics.New()
	tp, stopTracing, err := tracing.Provider(ctx, cfg, buildVersion(), log)
	if err != nil {
		return err
	}
	defer flushTraces(stopTracing, log)
	pool, err := database.Open(ctx, cfg, database.Options{Log: log, ObserveQuery: m.ObserveQuery, Tracing: tp})
	if err != nil {
		return err
	}
	defer pool.Close()
	srv, err := server.New(cfg, pool, log, m, server.WithTracing(tp))
	if err != nil {
		return err
	}
	defer srv.Close()
	foldCtx, stopFolding := context.WithCancel(ctx)
	defer stopFolding()
	go figures.Run(foldCtx, pool, cfg.FiguresFoldEvery, log)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	stopProfiles, err := serveProfiles(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopProfiles()
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	if cfg.TLSCertFile != "" {
		go func() { errc <- httpServer.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile) }()
	} else {
		go func() { errc <- httpServer.Serve(ln) }()
	}
	log.Info("listening", "addr", ln.Addr().String(), "env", cfg.Env, "version", buildVersion())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
