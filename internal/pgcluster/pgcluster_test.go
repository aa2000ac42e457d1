package pgcluster_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

func TestFindBinDir(t *testing.T) {
	dir, err := pgcluster.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, tool)); err != nil {
			t.Errorf("FindBinDir() = %s, which lacks %s: %v", dir, tool, err)
		}
	}
}

func TestStartStopStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// os.MkdirTemp rather than t.TempDir: as root the server runs as postgres,
	// which cannot enter t.TempDir's private parent directory.
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, NoFsync: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if c.Port() == 0 {
		t.Fatal("Port() = 0 after Start")
	}
	wantURL := "postgres://postgres@127.0.0.1:" + strconv.Itoa(c.Port()) + "/app?sslmode=disable"
	if got := c.URL("app"); got != wantURL {
		t.Errorf("URL(app) = %q, want %q", got, wantURL)
	}
	selectOne(ctx, t, c.URL("postgres"))

	// Starting again while it runs reuses the server.
	again, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Port() != c.Port() {
		t.Errorf("reused cluster on port %d, want %d", again.Port(), c.Port())
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if conn, err := pgx.Connect(ctx, c.URL("postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped cluster")
	}

	// A fresh Start on the same directory comes back on the remembered port.
	c2, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, NoFsync: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Port() != c.Port() {
		t.Errorf("restarted on port %d, want the remembered %d", c2.Port(), c.Port())
	}
	selectOne(ctx, t, c2.URL("postgres"))
}

func TestStartRefusesUntraversableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the data dir to another user")
	}
	// t.TempDir's parent is mode 0700 and owned by root.
	parent := t.TempDir()
	_, err := pgcluster.Start(context.Background(), pgcluster.Options{DataDir: filepath.Join(parent, "data")})
	if err == nil || !strings.Contains(err.Error(), filepath.Dir(parent)) {
		t.Fatalf("Start under %s: err = %v, want one naming %s", parent, err, filepath.Dir(parent))
	}
}

func selectOne(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}
