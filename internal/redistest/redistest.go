// Package redistest finds a Redis for tests that need one: the machine's own on
// 127.0.0.1:6379 when it answers, else a throwaway redis-server started from the
// installed program. It never skips: a test that needs Redis and can have none fails,
// saying what to install, because a skipped test would let shared rate limits go
// unproven without anyone noticing (.ci/run installs redis-server).
package redistest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SharedURL is the Redis the machine runs, when it runs one.
const SharedURL = "redis://127.0.0.1:6379/0"

// Answers reports whether a Redis at url replies to PING within a second.
func Answers(url string) bool {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return false
	}
	opts.DialTimeout, opts.MaxRetries = 500*time.Millisecond, -1
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Ping(ctx).Err() == nil
}

// URL returns the URL of a Redis to test against: the machine's own, else a private
// one started for t. Keys a test writes to the machine's Redis are seen by every other
// test run on the machine, so tests name their keys uniquely and delete them.
func URL(t testing.TB) string {
	t.Helper()
	if Answers(SharedURL) {
		return SharedURL
	}
	return Start(t).URL
}

// Server is a redis-server a test started; Stop kills it.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a throwaway redis-server on a Unix socket, with no persistence, and
// stops it when t ends. It fails t when the redis-server program is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redistest: no Redis answers on 127.0.0.1:6379 and redis-server is not on PATH, so shared rate limits " +
			"cannot be tested; install it (Debian/Ubuntu: apt-get install redis-server; .ci/run installs it) and run the tests again")
	}
	// A short directory: Unix socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "sf-redis-")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redistest: starting %s: %v", bin, err)
	}
	s := &Server{URL: "unix://" + sock + "?db=0", cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for !Answers(s.URL) {
		select {
		case <-s.done:
			t.Fatalf("redistest: redis-server exited before answering")
		case <-time.After(20 * time.Millisecond): // waiting for start-up, not for a result
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: redis-server did not answer on %s within 10s", sock)
		}
	}
	return s
}

// Stop kills the redis-server (only the process the test started) and waits for it.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// DeleteKeys removes every key matching pattern from the Redis at url when t ends, so
// that a test leaves nothing in a Redis it shares with others.
func DeleteKeys(t testing.TB, url, pattern string) {
	t.Helper()
	t.Cleanup(func() {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return
		}
		c := redis.NewClient(opts)
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, pattern, 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
}
