package pgcluster_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/pgcluster"
)

// A standby made by StartStandby is a hot standby that follows the primary: it has
// what the primary had, then what the primary writes afterwards, it refuses writes,
// it takes its own settings (a delay on purpose), and after a stop it comes back on
// its port still following.
func TestStartStandbyFollowsThePrimary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	primary := startTemp(ctx, t, pgcluster.Options{NoFsync: true})
	exec(ctx, t, primary.URL("postgres"), "CREATE TABLE notes (n int)", "INSERT INTO notes VALUES (1)")

	standby := startStandby(ctx, t, primary, pgcluster.Options{NoFsync: true,
		Settings: map[string]string{"recovery_min_apply_delay": "50ms"}})
	if standby.Port() == primary.Port() {
		t.Fatalf("standby on the primary's port %d", primary.Port())
	}
	conn := connect(ctx, t, standby.URL("postgres"))
	var inRecovery bool
	var delay string
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery(), current_setting('recovery_min_apply_delay')").Scan(&inRecovery, &delay); err != nil {
		t.Fatal(err)
	}
	if !inRecovery || delay != "50ms" {
		t.Fatalf("standby: in recovery %v, recovery_min_apply_delay %q; want true, 50ms", inRecovery, delay)
	}
	waitForCount(ctx, t, conn, 1)
	if _, err := conn.Exec(ctx, "INSERT INTO notes VALUES (9)"); err == nil {
		t.Fatal("the standby accepted a write")
	}

	exec(ctx, t, primary.URL("postgres"), "INSERT INTO notes VALUES (2)")
	waitForCount(ctx, t, conn, 2)
	conn.Close(ctx)

	if err := standby.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	exec(ctx, t, primary.URL("postgres"), "INSERT INTO notes VALUES (3)")
	again, err := pgcluster.Start(ctx, standby.Options())
	if err != nil {
		t.Fatal(err)
	}
	if again.Port() != standby.Port() {
		t.Errorf("standby restarted on port %d, want %d", again.Port(), standby.Port())
	}
	conn = connect(ctx, t, again.URL("postgres"))
	defer conn.Close(ctx)
	waitForCount(ctx, t, conn, 3)
}

func startTemp(ctx context.Context, t *testing.T, opts pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	opts.DataDir = tempDataDir(t)
	opts.Logger = testLogger(t)
	c, err := pgcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

func startStandby(ctx context.Context, t *testing.T, primary *pgcluster.Cluster, opts pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	opts.DataDir = tempDataDir(t)
	opts.Logger = testLogger(t)
	c, err := primary.StartStandby(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

// tempDataDir is os.MkdirTemp rather than t.TempDir: as root the server runs as
// postgres, which cannot enter t.TempDir's private parent directory.
func tempDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func exec(ctx context.Context, t *testing.T, url string, sql ...string) {
	t.Helper()
	conn := connect(ctx, t, url)
	defer conn.Close(ctx)
	for _, s := range sql {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// waitForCount waits until the standby has replayed want rows of notes.
func waitForCount(ctx context.Context, t *testing.T, conn *pgx.Conn, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM notes").Scan(&n)
		if err == nil && n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby has %d notes (err %v), want %d", n, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
