package faulttest_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

// testConcurrentMigrations starts `shopfloor migrate up` eight times at once on an
// empty database, as several instances of a deploy job (or operators) would: every
// process succeeds, each migration is applied by exactly one of them, and goose's
// version table holds each version once. The session advisory lock internal/migrate
// holds makes it so: without it the processes run the same DDL together, and all but
// one fail. The processes reach PostgreSQL through a starting gate: the first to
// connect goes through, and the other seven are let through together the moment it
// has created goose's version table (goose retries that step a second later when two
// create it at once, which would otherwise keep them apart by luck), so that seven
// find the same migrations pending at the same moment while the first still runs.
func testConcurrentMigrations(t *testing.T, bin string) {
	dbURL := pgtest.NewEmptyDB(t)
	const n = 8
	gated, err := url.Parse(dbURL)
	require.NoError(t, err)
	var release func()
	gated.Host, release = startingGate(t, gated.Host)
	files, err := fs.Glob(shopfloor.Migrations, "schema/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)

	procs := make([]*process, n)
	for i := range procs {
		procs[i] = startShopfloor(t, bin, map[string]string{"DATABASE_URL": gated.String(), "APP_ENV": "production"}, "migrate", "up")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	eventually(t, time.Minute, time.Millisecond, "the first process creates goose's version table", func() bool {
		var exists bool
		require.NoError(t, conn.QueryRow(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists))
		return exists
	})
	release()

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

// startingGate listens on a port of its own and forwards each connection to target:
// the first at once, every later one only after release is called, all of those
// together. It returns its address and release.
func startingGate(t *testing.T, target string) (addr string, release func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	open := make(chan struct{})
	go func() {
		for first := true; ; first = false {
			conn, err := l.Accept()
			if err != nil {
				return // closed at cleanup
			}
			go func() {
				defer conn.Close()
				if !first {
					<-open
				}
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() {
					_, _ = io.Copy(up, conn)
					_ = up.(*net.TCPConn).CloseWrite()
				}()
				_, _ = io.Copy(conn, up)
			}()
		}
	}()
	var once sync.Once
	return l.Addr().String(), func() { once.Do(func() { close(open) }) }
}
