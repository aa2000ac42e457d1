// Package migrate applies the goose migrations embedded in the shopfloor
// package (schema/*.sql), so that the server, the command line and the test
// harness all bring a database to the schema sqlc generated code against in
// exactly the same way.
//
// Every operation holds a PostgreSQL advisory lock for its duration, so several
// server instances starting at once migrate one after the other, not together.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/shopfloor/shopfloor"
)

// Up applies every pending migration, so the database matches the schema this
// binary was built with. A database that is already current is left alone.
func Up(ctx context.Context, databaseURL string, log *slog.Logger) error {
	log = orDiscard(log)
	return withProvider(ctx, databaseURL, func(p *goose.Provider) error {
		results, err := p.Up(ctx)
		if partial, ok := errors.AsType[*goose.PartialError](err); ok {
			logResults(ctx, log, partial.Applied)
			return fmt.Errorf("migrate: up: %s failed: %w", name(partial.Failed.Source), partial.Err)
		}
		if err != nil {
			return fmt.Errorf("migrate: up: %w", err)
		}
		logResults(ctx, log, results)
		version, err := p.GetDBVersion(ctx)
		if err != nil {
			return fmt.Errorf("migrate: up: %w", err)
		}
		log.InfoContext(ctx, "database schema is current", "version", version, "applied", len(results))
		return nil
	})
}

// Down rolls back the most recently applied migration, one step at a time so
// that a mistaken call cannot empty a database. It fails when nothing is applied.
func Down(ctx context.Context, databaseURL string, log *slog.Logger) error {
	log = orDiscard(log)
	return withProvider(ctx, databaseURL, func(p *goose.Provider) error {
		result, err := p.Down(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			return fmt.Errorf("migrate: down: no applied migration to roll back: %w", err)
		}
		if partial, ok := errors.AsType[*goose.PartialError](err); ok {
			return fmt.Errorf("migrate: down: %s failed: %w", name(partial.Failed.Source), partial.Err)
		}
		if err != nil {
			return fmt.Errorf("migrate: down: %w", err)
		}
		logResults(ctx, log, []*goose.MigrationResult{result})
		return nil
	})
}

// Status writes a table of every known migration with the time it was applied,
// or "pending", so an operator can see at a glance what Up would do.
func Status(ctx context.Context, databaseURL string, w io.Writer) error {
	return withProvider(ctx, databaseURL, func(p *goose.Provider) error {
		statuses, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate: status: %w", err)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED AT")
		for _, s := range statuses {
			applied := "pending"
			if s.State == goose.StateApplied {
				applied = s.AppliedAt.UTC().Format(time.DateTime + " MST")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Source.Version, name(s.Source), applied)
		}
		return tw.Flush()
	})
}

// withProvider opens the database and a goose provider over the embedded
// migrations for the duration of fn.
func withProvider(ctx context.Context, databaseURL string, fn func(*goose.Provider) error) (err error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("migrate: database URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer func() { err = errors.Join(err, db.Close()) }()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("migrate: connecting to %s: %w", redact(cfg), err)
	}
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	return fn(p)
}

func newProvider(db *sql.DB) (*goose.Provider, error) {
	migrations, err := fs.Sub(shopfloor.Migrations, "schema")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true), // only the embedded SQL files, never stray Go registrations
	)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

// logResults writes one structured line per migration run.
func logResults(ctx context.Context, log *slog.Logger, results []*goose.MigrationResult) {
	for _, r := range results {
		log.InfoContext(ctx, "applied migration",
			"direction", r.Direction,
			"version", r.Source.Version,
			"name", name(r.Source),
			"empty", r.Empty,
			"duration", r.Duration,
		)
	}
}

func name(s *goose.Source) string {
	if s == nil {
		return "?"
	}
	return filepath.Base(s.Path)
}

// redact names the server and database without the password, for error messages.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
