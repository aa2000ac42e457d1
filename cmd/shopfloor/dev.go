package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/demo"
	"github.com/shopfloor/shopfloor/internal/migrate"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

const devDatabase = "shopfloor"

func devCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := newFlags("dev", "dev [--data-dir .data/postgres] [--addr :8080]", stdout)
	dataDir := fs.String("data-dir", filepath.Join(".data", "postgres"), "where the local PostgreSQL cluster lives when DATABASE_URL is unset")
	addr := fs.String("addr", "", "listen address (overrides HTTP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env := func(k string) string {
		if k == "APP_ENV" && getenv(k) == "" {
			return config.EnvDevelopment
		}
		return getenv(k)
	}
	cfg, err := config.Load(env)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if *addr != "" {
		cfg.HTTPAddr = *addr
	}
	lw := newLogWriter(stdout, 100*time.Millisecond)
	defer lw.Close()
	log := newLogger(cfg, lw)
	if cfg.DatabaseURL == "" {
		abs, err := filepath.Abs(*dataDir)
		if err != nil {
			return err
		}
		log.Info("DATABASE_URL is unset: starting the local PostgreSQL cluster", "dataDir", abs)
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: abs, Logger: log})
		if errors.Is(err, pgcluster.ErrNotTraversable) {
			// As root the server runs as postgres, which cannot reach a checkout under a
			// private home directory: keep the cluster where it can, one per checkout.
			sum := sha256.Sum256([]byte(abs))
			abs = filepath.Join("/var/lib/shopfloor", "dev-"+hex.EncodeToString(sum[:6]))
			log.Warn("the postgres user cannot reach the data dir; using another", "dataDir", abs, "reason", err.Error())
			cluster, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: abs, Logger: log})
		}
		if err != nil {
			return err
		}
		if err := ensureDatabase(ctx, cluster.URL("postgres"), devDatabase); err != nil {
			return err
		}
		cfg.DatabaseURL = cluster.URL(devDatabase)
		log.Info("local PostgreSQL is up; it keeps running after shopfloor stops", "url", cfg.DatabaseURL,
			"stop", "pg_ctl stop -D "+abs)
	}
	if err := migrate.Up(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg, database.Options{})
	if err != nil {
		return err
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost, cfg.BcryptMaxConcurrent)
	if err != nil {
		pool.Close()
		return err
	}
	err = demo.Load(ctx, pool.Pool, hasher)
	pool.Close()
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, func(addr string) {
		if !cfg.Development() {
			return
		}
		fmt.Fprintf(stdout, "\nShopfloor is serving on %s (APP_ENV=development). Demo accounts:\n", addr)
		for _, a := range demo.Accounts {
			fmt.Fprintf(stdout, "  %-9s %-22s password %s\n", a.Role, a.Email, a.Password)
		}
		fmt.Fprintln(stdout)
	})
}

// ensureDatabase creates the named database on first run.
func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}
