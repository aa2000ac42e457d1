package migrate_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/migrate"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestUpStatusDownUp(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t) // already migrated by the harness
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	if err := migrate.Up(ctx, dbURL, log); err != nil {
		t.Fatalf("Up on a current database: %v", err)
	}
	if strings.Contains(logs.String(), `"msg":"applied migration"`) {
		t.Errorf("Up on a current database applied something:\n%s", logs.String())
	}
	status := statusOf(ctx, t, dbURL)
	if !strings.Contains(status, "00001_accounts.sql") || strings.Contains(status, "pending") {
		t.Errorf("status after Up:\n%s", status)
	}

	// Down one step at a time, through every migration.
	files, err := fs.Glob(shopfloor.Migrations, "schema/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded migrations: %v", err)
	}
	for range files {
		if err := migrate.Down(ctx, dbURL, log); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	if hasUsers(ctx, t, dbURL) {
		t.Error("users table still present after every Down")
	}
	if status := statusOf(ctx, t, dbURL); strings.Count(status, "pending") != len(files) {
		t.Errorf("status after every Down does not show all %d pending:\n%s", len(files), status)
	}

	logs.Reset()
	if err := migrate.Up(ctx, dbURL, log); err != nil {
		t.Fatalf("Up after Down: %v", err)
	}
	if !hasUsers(ctx, t, dbURL) {
		t.Error("users table missing after Up")
	}
	for i, f := range files {
		want := fmt.Sprintf(`"msg":"applied migration","direction":"up","version":%d,"name":"%s"`, i+1, path.Base(f))
		if !strings.Contains(logs.String(), want) {
			t.Errorf("Up did not log %s:\n%s", path.Base(f), logs.String())
		}
	}
	t.Logf("status:\n%s", statusOf(ctx, t, dbURL))
}

func TestDownWithNothingApplied(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	for {
		if err := migrate.Down(ctx, dbURL, nil); err != nil {
			if !strings.Contains(err.Error(), "no applied migration") {
				t.Fatalf("Down past the first migration: %v", err)
			}
			break
		}
	}
}

func statusOf(ctx context.Context, t *testing.T, dbURL string) string {
	t.Helper()
	var b bytes.Buffer
	if err := migrate.Status(ctx, dbURL, &b); err != nil {
		t.Fatalf("Status: %v", err)
	}
	return b.String()
}

func hasUsers(ctx context.Context, t *testing.T, dbURL string) bool {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('users') IS NOT NULL").Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
