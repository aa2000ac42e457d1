// Command cluster starts (or stops) the private PostgreSQL cluster the benchmark runs
// against, under bench/.data/postgres, and prints its superuser URL. It is the
// benchmark's counterpart of what `shopfloor dev` does for `make run`: the cluster
// keeps running after the command exits, and `cluster stop` stops it.
//
//	go run ./bench/cluster          # start (or reuse) and print the URL of database "postgres"
//	go run ./bench/cluster standby  # start (or reuse) a streaming replica of it, print its URL
//	go run ./bench/cluster stop     # stop both
//
// --settings k=v,k=v adds postgresql.conf parameters to the servers it starts (the
// read-replica scenario loads pg_stat_statements this way, on both).
//
// Unlike the tests' clusters it keeps fsync on, so that order creation pays for
// durable commits as it would in production.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

func main() {
	dataDir := flag.String("data-dir", filepath.Join("bench", ".data", "postgres"), "the cluster's data directory")
	standbyDir := flag.String("standby-dir", filepath.Join("bench", ".data", "standby"), "the streaming replica's data directory")
	settings := flag.String("settings", "", "comma-separated k=v postgresql.conf parameters for the servers started")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: go run ./bench/cluster [--data-dir DIR] [--standby-dir DIR] [--settings k=v,…] [start|standby|stop]")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conf := map[string]string{}
	for _, kv := range strings.Split(*settings, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			conf[k] = v
		}
	}
	if err := run(ctx, *dataDir, *standbyDir, conf, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "bench/cluster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dataDir, standbyDir string, settings map[string]string, cmd string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch cmd {
	case "", "start":
		c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dataDir, Logger: log, Settings: settings})
		if err != nil {
			return err
		}
		fmt.Println(c.URL("postgres"))
		return nil
	case "standby":
		// The replica of the read-replica scenario: made once by pg_basebackup -R,
		// then reused, following the primary (which must be running).
		c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dataDir, Logger: log, Settings: settings})
		if err != nil {
			return err
		}
		s, err := c.StartStandby(ctx, pgcluster.Options{DataDir: standbyDir, Logger: log, Settings: settings})
		if err != nil {
			return err
		}
		fmt.Println(s.URL("postgres"))
		return nil
	case "stop":
		// The standby first, so that it does not retry its lost primary meanwhile.
		return errors.Join(stop(ctx, standbyDir, log), stop(ctx, dataDir, log))
	}
	flag.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}

// stop stops the cluster in dataDir if it runs.
func stop(ctx context.Context, dataDir string, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err != nil {
		return nil // never made, or not running: nothing to stop
	}
	// Start reuses a running cluster without starting anything; it is how a
	// Cluster for an existing directory is had.
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dataDir, Logger: log})
	if err != nil {
		return err
	}
	return c.Stop(ctx)
}
