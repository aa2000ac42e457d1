package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/seed"
)

func seedCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := newFlags("seed", "seed [--users N] [--products M] [--orders K] [--seed S] [--password P] [--database-url URL]", stdout)
	users := fs.Int("users", 10000, "accounts to create: user000001@seed.test is an admin, every hundredth staff, the rest customers")
	products := fs.Int("products", 50000, "products to create (SKU-000001 …)")
	orders := fs.Int("orders", 200000, "orders to create, spread over the last 365 days")
	seedValue := fs.Int64("seed", 1, "the same seed and sizes always give the same data")
	password := fs.String("password", "Seed-Password-1", "password of every seeded account")
	dbURL := fs.String("database-url", "", "PostgreSQL URL (overrides DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("seed takes no arguments, got %q", fs.Args())
	}
	if problems := auth.CheckPasswordStrength(*password); len(problems) > 0 {
		return fmt.Errorf("--password %s", strings.Join(problems, "; "))
	}
	cfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if *dbURL != "" {
		cfg.DatabaseURL = *dbURL
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (or pass --database-url)")
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost, 1)
	if err != nil {
		return fmt.Errorf("BCRYPT_COST: %w", err)
	}
	hash, err := hasher.Hash(ctx, *password)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stdout)
	// No slow-query log: loading is meant to take long, and the lines would hide the progress.
	pool, err := database.Open(ctx, cfg, database.Options{})
	if err != nil {
		return err
	}
	defer pool.Close()

	var progress func(string, int, int)
	if isTerminal(stdout) {
		progress = terminalProgress(stdout)
	} else {
		progress = logProgress(log)
	}
	stats, err := seed.Run(ctx, pool.Pool, seed.Options{
		Users: *users, Products: *products, Orders: *orders, Seed: *seedValue, PasswordHash: hash,
	}, progress)
	if err != nil {
		return err
	}
	log.Info("seeded", "users", stats.Users, "profiles", stats.Profiles, "products", stats.Products,
		"orders", stats.Orders, "orderItems", stats.OrderItems, "seed", *seedValue,
		"elapsed", stats.Elapsed.Round(time.Millisecond).String(), "admin", "user000001@seed.test")
	return nil
}

// isTerminal reports whether w is a terminal, where a progress line can redraw itself.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// terminalProgress redraws one line per stage and ends it when the stage is done.
func terminalProgress(w io.Writer) func(string, int, int) {
	var started time.Time
	return func(stage string, done, total int) {
		if done == 0 {
			started = time.Now()
		}
		pct := 100
		if total > 0 {
			pct = done * 100 / total
		}
		fmt.Fprintf(w, "\r%-12s %9d / %-9d %3d%%  %6.1fs", stage, done, total, pct, time.Since(started).Seconds())
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// logProgress writes one log line as each stage ends, for logs that are not a screen.
func logProgress(log *slog.Logger) func(string, int, int) {
	var started time.Time
	return func(stage string, done, total int) {
		if done == 0 {
			started = time.Now()
		}
		if done < total {
			return
		}
		elapsed := time.Since(started).Round(time.Millisecond).String()
		switch stage {
		case seed.StageIndexes:
			log.Info("seed stage done", "stage", stage, "indexesAndForeignKeys", total, "elapsed", elapsed)
		case seed.StageAnalyze, seed.StageFigures:
			log.Info("seed stage done", "stage", stage, "elapsed", elapsed)
		default:
			log.Info("seed stage done", "stage", stage, "rows", total, "elapsed", elapsed)
		}
	}
}
