// Package pgtest gives every test its own freshly migrated PostgreSQL
// database, cheaply enough to call per test and from parallel tests.
//
// The first call in a test binary finds a server (TEST_DATABASE_URL, or else a
// private cluster started from the installed PostgreSQL binaries in a temporary
// directory with fsync off), creates a template database unique to the process
// and migrates it once; every NewDB afterwards is a CREATE DATABASE … TEMPLATE
// copy of it. Test binaries wire it up with:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopfloor/shopfloor/internal/migrate"
	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

// EnvURL names the variable that points the tests at an existing server
// instead of a private cluster. Its user must be allowed to create databases,
// and its database is only used to issue CREATE and DROP DATABASE.
const EnvURL = "TEST_DATABASE_URL"

// EnvAdminURL names an optional second URL to the same server, used instead of
// TEST_DATABASE_URL for creating, migrating and dropping databases. It is for
// a TEST_DATABASE_URL that goes through PgBouncer in transaction pooling mode:
// the pooler keeps server connections open to every database it has served,
// which PostgreSQL refuses for a CREATE DATABASE template, and it breaks the
// session advisory lock the migrations hold. The tests themselves still
// connect through TEST_DATABASE_URL.
const EnvAdminURL = "TEST_ADMIN_DATABASE_URL"

var (
	mainCalled atomic.Bool

	setupOnce sync.Once
	setupErr  error

	// Set by setup, read-only afterwards.
	adminURL string             // maintenance database: CREATE/DROP DATABASE run here
	testURL  string             // what NewDB's URLs are built from (adminURL unless EnvAdminURL is set)
	template string             // "" until the template exists
	cluster  *pgcluster.Cluster // nil with TEST_DATABASE_URL
	tempDir  string             // the private cluster's data directory

	createMu sync.Mutex // PostgreSQL refuses to copy a template being copied
	dbSeq    atomic.Int64
	procTag  = newProcTag()
)

// Main runs the tests and then drops the template database and stops the
// private cluster, which a plain m.Run would leave behind. Call it from
// TestMain; it does not return.
//
// Each after func runs when the tests passed, before the teardown; an error it
// returns is printed and fails the run (the contract coverage check uses this).
func Main(m *testing.M, after ...func() error) {
	mainCalled.Store(true)
	code := m.Run()
	for _, f := range after {
		if code != 0 {
			break
		}
		if err := f(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if err := teardown(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: teardown: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewDB returns the URL of a new database holding the full schema and no
// rows, private to t and dropped when t ends, so tests never see each other's
// data and may run in parallel. It fails t when no server can be had.
func NewDB(t testing.TB) string {
	t.Helper()
	return withDatabase(testURL, newDB(t, func() string { return "TEMPLATE " + ident(template) }))
}

// NewDBWith is NewDB for a database created with other CREATE DATABASE options,
// such as a default collation: it is created from template0 with options and
// migrated, which takes longer than NewDB's copy of the migrated template.
func NewDBWith(t testing.TB, options string) string {
	t.Helper()
	name := newDB(t, func() string { return "TEMPLATE template0 " + options })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := migrate.Up(ctx, withDatabase(adminURL, name), log); err != nil {
		t.Fatalf("pgtest: migrating database %s, created with %q: %v", name, options, err)
	}
	return withDatabase(testURL, name)
}

// newDB creates a database private to t with the CREATE DATABASE options that
// options returns once the server is found, drops it when t ends, and returns
// its name.
func newDB(t testing.TB, options func() string) string {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pgtest: this package's TestMain must call pgtest.Main(m), which drops the template database and stops the test server after the tests")
	}
	setupOnce.Do(setup)
	if setupErr != nil {
		t.Fatalf("pgtest: no PostgreSQL server for tests: %v\n"+
			"Either set %s to a server where this user may create databases, "+
			"or install the PostgreSQL server binaries (initdb, pg_ctl) so a private cluster can be started.", setupErr, EnvURL)
	}

	name := fmt.Sprintf("shopfloor_test_%s_%d", procTag, dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	createMu.Lock()
	err := adminExec(ctx, "CREATE DATABASE "+ident(name)+" "+options())
	createMu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return name
}

// NewPool returns a pool on a NewDB database, closed before the database is
// dropped, for the common case of a test that just needs a handle.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := NewDB(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Cluster returns the private cluster the tests run against, so fault tests
// can stop and restart it (pgcluster.Start with its Options brings it back on
// the same port). It is nil when TEST_DATABASE_URL is set or no server could
// be started.
func Cluster() *pgcluster.Cluster {
	if !mainCalled.Load() {
		return nil // without Main nothing would stop a cluster started here
	}
	setupOnce.Do(setup)
	return cluster
}

// setup finds a server and builds the migrated template, recording what it
// started before any failure so teardown can undo it.
func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	if u := os.Getenv(EnvURL); u != "" {
		adminURL, testURL = u, u
		if a := os.Getenv(EnvAdminURL); a != "" {
			adminURL = a
			if err := adminExec(ctx, "SELECT 1"); err != nil {
				setupErr = fmt.Errorf("%s is set, but: %w", EnvAdminURL, err)
				return
			}
		}
		if err := execOn(ctx, u, "SELECT 1"); err != nil {
			setupErr = fmt.Errorf("%s is set, but: %w", EnvURL, err)
			return
		}
	} else {
		dir, err := os.MkdirTemp("", "shopfloor-pgtest-")
		if err != nil {
			setupErr = err
			return
		}
		tempDir = dir
		c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, NoFsync: true, Logger: log})
		if err != nil {
			setupErr = fmt.Errorf("%s is not set, and starting a private cluster failed: %w", EnvURL, err)
			return
		}
		cluster = c
		// Should the binary die before Main's teardown (a test timeout, a
		// signal), the watchdog stops the server and removes the directory.
		if err := c.StopWhenProcessExits(true); err != nil {
			log.Warn("no watchdog for the test cluster; a crashed test may leave it running", "err", err)
		}
		adminURL = c.URL("postgres")
		testURL = adminURL
	}

	name := "shopfloor_template_" + procTag
	// template0 rather than template1: it never has connections and holds
	// nothing a server's administrator may have added.
	if err := adminExec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE template0"); err != nil {
		setupErr = fmt.Errorf("creating template database: %w", err)
		return
	}
	template = name
	if err := migrate.Up(ctx, withDatabase(adminURL, name), log); err != nil {
		setupErr = fmt.Errorf("migrating template database: %w", err)
	}
}

// teardown undoes what setup did; it is a no-op when no test used a database.
func teardown() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if template != "" {
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(template)+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("dropping template %s: %w", template, err))
		}
	}
	if cluster != nil {
		if err := cluster.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if tempDir != "" {
		if err := os.RemoveAll(tempDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// adminExec runs one statement on the maintenance database over a connection
// of its own, so it keeps working across a restart of the cluster.
func adminExec(ctx context.Context, sql string) error {
	return execOn(ctx, adminURL, sql)
}

// execOn runs one statement over a connection of its own to dbURL, with the
// simple protocol, which every pooler passes through.
func execOn(ctx context.Context, dbURL, sql string) error {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns the connection string u pointed at database name,
// whether u is a URL or a keyword=value string.
func withDatabase(u, name string) string {
	if parsed, err := url.Parse(u); err == nil && (parsed.Scheme == "postgres" || parsed.Scheme == "postgresql") {
		parsed.Path = "/" + name
		parsed.RawPath = ""
		return parsed.String()
	}
	return u + " dbname=" + name // later keywords win
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// newProcTag returns a name part unique to this process, since several test
// binaries share one server at once.
func newProcTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.ToLower(fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b)))
}

// PrivateCluster starts a PostgreSQL cluster of t's own in a fresh temporary
// directory, for tests that stop, crash or replicate their server and would disturb
// every other test on a shared one: start is pgcluster.Start, or a primary's
// StartStandby. A watchdog stops it should the test binary die; otherwise it is
// stopped and deleted when t ends.
func PrivateCluster(t testing.TB, opts pgcluster.Options, start func(context.Context, pgcluster.Options) (*pgcluster.Cluster, error)) *pgcluster.Cluster {
	t.Helper()
	// os.MkdirTemp rather than t.TempDir: as root the server runs as postgres,
	// which cannot enter t.TempDir's private parent directory.
	dir, err := os.MkdirTemp("", "shopfloor-private-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts.DataDir = dir
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	c, err := start(ctx, opts)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("starting a private cluster: %v", err)
	}
	if err := c.StopWhenProcessExits(true); err != nil {
		t.Logf("no watchdog for the private cluster: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stopping the private cluster: %v", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing the private cluster: %v", err)
		}
	})
	return c
}
