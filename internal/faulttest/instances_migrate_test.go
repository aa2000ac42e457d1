package faulttest_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

// testConcurrentMigrations starts `shopfloor migrate up` four times at once on an
// empty database, as four instances of a deploy job (or four operators) would: every
// process succeeds, each migration is applied by exactly one of them, and goose's
// version table holds each version once. The session advisory lock internal/migrate
// holds makes it so: without it the processes run the same DDL together and fail, or
// record a version twice.
func testConcurrentMigrations(t *testing.T, bin string) {
	dbURL := pgtest.NewEmptyDB(t)
	files, err := fs.Glob(shopfloor.Migrations, "schema/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)

	const n = 4
	procs := make([]*process, n)
	for i := range procs {
		procs[i] = startShopfloor(t, bin, map[string]string{"DATABASE_URL": dbURL, "APP_ENV": "production"}, "migrate", "up")
	}
	applied := map[int64]int{} // version → processes that applied it
	for i, p := range procs {
		code, _ := p.wait(t, 3*time.Minute) // the lock's waiters poll it every 5 s
		require.Equal(t, 0, code, "migrate process %d failed:\n%s", i, p.out)
		for _, line := range strings.Split(strings.TrimSpace(p.out.String()), "\n") {
			var entry struct {
				Msg     string `json:"msg"`
				Version int64  `json:"version"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &entry), "a log line that is not JSON: %s", line)
			if entry.Msg == "applied migration" {
				applied[entry.Version]++
			}
		}
		require.Contains(t, p.out.String(), `"msg":"database schema is current"`, "process %d", i)
	}
	t.Logf("%d processes of migrate up at once: applied %v (version: processes)", n, applied)
	for v := int64(1); v <= int64(len(files)); v++ {
		require.Equal(t, 1, applied[v], "migration %d was applied by %d processes", v, applied[v])
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version_id, count(*) FROM goose_db_version GROUP BY version_id ORDER BY version_id`)
	require.NoError(t, err)
	recorded, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]int64, error) {
		var v [2]int64
		err := r.Scan(&v[0], &v[1])
		return v, err
	})
	require.NoError(t, err)
	require.Len(t, recorded, len(files)+1, "goose_db_version: %v", recorded) // version 0 and one per file
	for i, r := range recorded {
		require.Equal(t, [2]int64{int64(i), 1}, r, "goose_db_version holds version %d %d times", r[0], r[1])
	}
	var users, figures bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT to_regclass('users') IS NOT NULL, to_regclass('counters') IS NOT NULL`).Scan(&users, &figures))
	require.True(t, users && figures, "the schema's first and last migrations' tables exist")
}
