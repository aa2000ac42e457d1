// Command cluster starts (or stops) the private PostgreSQL cluster the benchmark runs
// against, under bench/.data/postgres, and prints its superuser URL. It is the
// benchmark's counterpart of what `shopfloor dev` does for `make run`: the cluster
// keeps running after the command exits, and `cluster stop` stops it.
//
//	go run ./bench/cluster          # start (or reuse) and print the URL of database "postgres"
//	go run ./bench/cluster stop
//
// Unlike the tests' clusters it keeps fsync on, so that order creation pays for
// durable commits as it would in production.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

func main() {
	dataDir := flag.String("data-dir", filepath.Join("bench", ".data", "postgres"), "the cluster's data directory")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: go run ./bench/cluster [--data-dir DIR] [start|stop]")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dataDir, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "bench/cluster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dataDir, cmd string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch cmd {
	case "", "start":
		c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dataDir, Logger: log})
		if err != nil {
			return err
		}
		fmt.Println(c.URL("postgres"))
		return nil
	case "stop":
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
	flag.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}
