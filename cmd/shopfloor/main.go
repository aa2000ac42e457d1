// Command shopfloor is the one binary operators run: the API server and the commands
// around it (migrations, the first admin, a local development stack, a contract check of
// a deployment, version).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/logjson"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `shopfloor — the Shopfloor API service

Usage:
  shopfloor serve                 run the API server (needs DATABASE_URL, JWT_SECRET)
  shopfloor dev                   local PostgreSQL under .data/ (when DATABASE_URL is unset),
                                  migrate, demo data, serve with APP_ENV=development
  shopfloor migrate up|down|status
  shopfloor user create --email E --name N [--role admin|staff] [--password P | password on stdin]
  shopfloor seed [--users N] [--products M] [--orders K] [--seed S] [--password P]
                                  load a large deterministic data set into an empty database
  shopfloor contract --base URL [--admin-email E] [--junit FILE] [--timeout D]
                                  check a deployment against openapi.yaml (a tour of the API)
  shopfloor version

Every command takes --help. Settings come from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "shopfloor:", err)
			os.Exit(1)
		}
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return errors.New("a command is required")
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], stdout, getenv)
	case "dev":
		return devCmd(ctx, args[1:], stdout, getenv)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, getenv)
	case "user":
		return userCmd(ctx, args[1:], stdin, stdout, getenv)
	case "seed":
		return seedCmd(ctx, args[1:], stdout, getenv)
	case "contract":
		return contractCmd(ctx, args[1:], stdout, getenv)
	case "version", "--version":
		fmt.Fprintln(stdout, "shopfloor", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func buildVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				v += " (" + s.Value + ")"
			}
		}
	}
	return v
}

// newLogger writes JSON lines (or text) on stdout at the configured level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	// logjson writes what slog.JSONHandler would, for less CPU a line (the request
	// line is written for every request).
	return slog.New(logjson.New(w, opts))
}

// newFlags makes a flag set whose --help prints the command's own usage.
func newFlags(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: shopfloor %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
