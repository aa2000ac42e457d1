package main

import (
	"context"
	"fmt"
	"io"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/migrate"
)

func migrateCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := newFlags("migrate", "migrate up|down|status [--database-url URL]", stdout)
	dbURL := fs.String("database-url", "", "PostgreSQL URL (overrides DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if *dbURL != "" {
		cfg.DatabaseURL = *dbURL
	}
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set (or pass --database-url)")
	}
	log := newLogger(cfg, stdout)
	switch fs.Arg(0) {
	case "up":
		return migrate.Up(ctx, cfg.DatabaseURL, log)
	case "down":
		return migrate.Down(ctx, cfg.DatabaseURL, log)
	case "status":
		return migrate.Status(ctx, cfg.DatabaseURL, stdout)
	}
	fs.Usage()
	return fmt.Errorf("migrate needs one of up, down, status; got %q", fs.Arg(0))
}
