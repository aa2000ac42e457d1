package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/profiling"
)

// serveProfiles opens DEBUG_ADDR's private listener for net/http/pprof, when it is
// set, and returns the function that closes it. Profiles are never served on the
// public listener; a DEBUG_ADDR that cannot be opened stops the program at start.
func serveProfiles(cfg config.Config, log *slog.Logger) (stop func(), err error) {
	if cfg.DebugAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("DEBUG_ADDR %s: %w", cfg.DebugAddr, err)
	}
	srv := &http.Server{
		Handler:           profiling.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		// No write timeout: a CPU profile or trace writes after its ?seconds=N.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("the profiling listener stopped", "addr", cfg.DebugAddr, "err", err)
		}
	}()
	log.Info("serving profiles (net/http/pprof)", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
