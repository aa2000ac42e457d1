// Package pgcluster runs a private PostgreSQL cluster from the server binaries
// already installed on the machine (initdb, pg_ctl, postgres), so that local
// development and tests need neither Docker nor a configured system database.
//
// A cluster lives entirely in its data directory: it listens only on
// 127.0.0.1, trusts every local connection as the superuser "postgres", and
// keeps its Unix socket, its log and the port it was given inside that directory.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Files that pgcluster keeps inside the data directory, next to PostgreSQL's own.
const (
	portFile = "shopfloor.port"         // the port chosen on first start, so URLs stay stable
	confFile = "shopfloor.conf"         // settings rewritten on every start, included by postgresql.conf
	logFile  = "shopfloor-postgres.log" // the server's stderr, appended to by pg_ctl -l
	include  = "include_if_exists 'shopfloor.conf'"
)

// maxSocketPath is the longest Unix socket path every supported OS accepts
// (sun_path is 104 bytes on macOS, 108 on Linux, including the NUL).
const maxSocketPath = 103

// Options configures Start. Only DataDir is required.
type Options struct {
	// DataDir is the cluster's directory. It is created and initialised on
	// first use and reused afterwards, so a persistent path keeps its data.
	DataDir string
	// Port is the TCP port on 127.0.0.1. Zero reuses the port remembered in
	// DataDir, or picks a free one the first time, so URLs stay stable across runs.
	Port int
	// NoFsync turns off fsync and full_page_writes. It makes the cluster several
	// times faster but an OS crash can corrupt it, so set it only for throwaway
	// test data. synchronous_commit stays on: a commit has reached the OS before
	// it is acknowledged, so a crash of PostgreSQL alone (pg_ctl stop -m
	// immediate, as the fault tests do) loses no committed transaction.
	NoFsync bool
	// BinDir holds initdb and pg_ctl; empty means FindBinDir, and setting it
	// lets a caller pin a specific PostgreSQL version.
	BinDir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Settings are extra postgresql.conf parameters written on every start, such
	// as shared_preload_libraries, or recovery_min_apply_delay on a standby made
	// by StartStandby (which makes it lag on purpose).
	Settings map[string]string
}

// Cluster is a running PostgreSQL cluster. It holds no process handle, only the
// data directory and port, so any Cluster for a directory can stop the server
// and a later Start on the same directory brings it back on the same port.
type Cluster struct {
	opts Options
	log  *slog.Logger
	cred *syscall.Credential // the server's identity when we are root, else nil
}

// Start initialises DataDir if it holds no cluster yet and starts the server,
// or reuses the server when one is already running on that directory, so that
// callers need not track whether a previous run left it up.
//
// PostgreSQL refuses to run as root, so when the process is root the server
// runs as the "postgres" user and DataDir is handed over to it.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	if err := c.boot(ctx, c.initdb); err != nil {
		return nil, err
	}
	return c, nil
}

// newCluster resolves opts (absolute DataDir, BinDir, logger, the server's
// identity) and prepares the data directory.
func newCluster(opts Options) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir is required")
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data dir: %w", err)
	}
	opts.DataDir = dir
	if opts.BinDir == "" {
		if opts.BinDir, err = FindBinDir(); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{opts: opts, log: opts.Logger.With("component", "pgcluster", "data_dir", dir)}
	if c.cred, err = serverCredential(); err != nil {
		return nil, err
	}
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	return c, nil
}

// boot fills an empty data directory with create, or reuses the server already
// running on it, and otherwise starts it.
func (c *Cluster) boot(ctx context.Context, create func(context.Context) error) error {
	dir := c.opts.DataDir
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := create(ctx); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	} else if running, err := c.running(ctx); err != nil {
		return err
	} else if running {
		port, err := c.pidFilePort()
		if err != nil {
			return err
		}
		if c.opts.Port != 0 && c.opts.Port != port {
			return fmt.Errorf("pgcluster: the cluster in %s is already running on port %d, not the requested %d; stop it first", dir, port, c.opts.Port)
		}
		c.opts.Port = port
		c.log.Info("reusing running PostgreSQL cluster", "port", port)
		return nil
	}
	if err := c.ensureInclude(); err != nil {
		return err
	}
	return c.start(ctx)
}

// URL returns a connection URL for dbname as the superuser, ready for pgx or
// database/sql.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.opts.Port, url.PathEscape(dbname))
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.opts.Port }

// DataDir returns the absolute data directory, which identifies the cluster.
func (c *Cluster) DataDir() string { return c.opts.DataDir }

// Options returns the resolved options, port included, so that passing them to
// Start again after Stop brings the same cluster back on the same port.
func (c *Cluster) Options() Options { return c.opts }

// Stop shuts the server down with pg_ctl's fast mode (clients are
// disconnected, no recovery is needed on the next start) and waits for it.
// Stopping a cluster that is not running is not an error.
func (c *Cluster) Stop(ctx context.Context) error { return c.stop(ctx, "fast") }

// Crash stops the server the way a crash would (pg_ctl's immediate mode): every
// backend quits at once, connections break in the middle of whatever they were doing,
// and the next Start runs crash recovery. Fault tests use it.
func (c *Cluster) Crash(ctx context.Context) error { return c.stop(ctx, "immediate") }

func (c *Cluster) stop(ctx context.Context, mode string) error {
	running, err := c.running(ctx)
	if err != nil || !running {
		return err
	}
	start := time.Now()
	if out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.opts.DataDir, "-m", mode, "-w", "-s").CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: pg_ctl stop -m %s: %w: %s", mode, err, bytes.TrimSpace(out))
	}
	c.log.Info("stopped PostgreSQL cluster", "mode", mode, "duration", time.Since(start))
	return nil
}

// watchdogs keeps the write ends of the watchdog pipes open for the life of the
// process; they must never be closed or collected, as that is the exit signal.
var (
	watchdogMu sync.Mutex
	watchdogs  []*os.File
)

// StopWhenProcessExits starts a small watchdog that stops the server (with
// pg_ctl's immediate mode) once this process exits, however it exits, and then
// deletes the data directory if removeDataDir is set. Test harnesses use it so
// that a test binary killed by a timeout or a signal leaves no server behind.
func (c *Cluster) StopWhenProcessExits(removeDataDir bool) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pgcluster: watchdog: %w", err)
	}
	defer r.Close()
	// The read end reaches EOF when this process, the only holder of the
	// write end, exits; the watchdog then runs in its own session so that a
	// Ctrl-C aimed at the test's process group does not kill it first.
	const script = `read -r _ <&3
"$1/pg_ctl" stop -D "$2" -m immediate -s >/dev/null 2>&1
if [ "$3" = 1 ]; then rm -rf "$2"; fi`
	remove := "0"
	if removeDataDir {
		remove = "1"
	}
	cmd := exec.Command("/bin/sh", "-c", script, "pgcluster-watchdog", c.opts.BinDir, c.opts.DataDir, remove)
	cmd.Dir = "/"
	cmd.Env = c.env()
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: c.cred}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("pgcluster: watchdog: %w", err)
	}
	_ = cmd.Process.Release()
	watchdogMu.Lock()
	watchdogs = append(watchdogs, w)
	watchdogMu.Unlock()
	return nil
}

// serverCredential returns the identity to run PostgreSQL as: nil (ourselves)
// unless we are root, which PostgreSQL refuses, in which case the "postgres" user.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, which PostgreSQL refuses, so the server must run as the user \"postgres\", but looking it up failed (%v); "+
			"create it (Debian/Ubuntu: `adduser --system --group postgres`, which installing the postgresql package also does) or run as an ordinary user", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgcluster: user postgres has a non-numeric uid or gid: %w", err)
	}
	if uid == 0 {
		return nil, errors.New("pgcluster: the user \"postgres\" has uid 0, and PostgreSQL refuses to run as root")
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	groupIDs, _ := u.GroupIds()
	for _, g := range groupIDs {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			cred.Groups = append(cred.Groups, uint32(n))
		}
	}
	return cred, nil
}

// prepareDir creates the data directory and, when the server runs as another
// user, checks that user can reach it and hands the directory over.
func (c *Cluster) prepareDir() error {
	dir := c.opts.DataDir
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if c.cred == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if err := c.checkTraversable(p); err != nil {
			return err
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == c.cred.Uid {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return fmt.Errorf("pgcluster: the cluster in %s belongs to uid %d, but as root the server must run as postgres (uid %d); chown -R it or use another directory", dir, sys.Uid, c.cred.Uid)
	}
	if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("pgcluster: handing %s over to the postgres user: %w", dir, err)
	}
	return nil
}

// ErrNotTraversable means the server's user (postgres, when we run as root) cannot
// reach the data directory, so a caller may choose a directory elsewhere.
var ErrNotTraversable = errors.New("pgcluster: data directory not reachable by the server's user")

// checkTraversable fails with a clear message when the server's user may not
// search dir, since initdb would otherwise fail with a less helpful one.
func (c *Cluster) checkTraversable(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := st.Mode().Perm()
	var allowed bool
	switch {
	case sys.Uid == c.cred.Uid:
		allowed = mode&0o100 != 0
	case sys.Gid == c.cred.Gid || containsUint32(c.cred.Groups, sys.Gid):
		allowed = mode&0o010 != 0
	default:
		allowed = mode&0o001 != 0
	}
	if !allowed {
		return fmt.Errorf("%w: running as root, so PostgreSQL runs as the postgres user (uid %d), which cannot enter %s (mode %v, owner uid %d); "+
			"use a data dir whose parents it can traverse (for example one made by os.MkdirTemp(\"\", ...)) or `chmod o+x %s`",
			ErrNotTraversable, c.cred.Uid, dir, mode, sys.Uid, dir)
	}
	return nil
}

func containsUint32(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// initdb creates the cluster: superuser postgres, trust authentication (the
// server only listens on 127.0.0.1 and a socket inside its own directory) and
// UTF-8, with a locale that exists everywhere so results do not depend on the host.
func (c *Cluster) initdb(ctx context.Context) error {
	start := time.Now()
	args := []string{"-D", c.opts.DataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=" + defaultLocale()}
	if c.opts.NoFsync {
		args = append(args, "--no-sync")
	}
	if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w: %s", c.opts.DataDir, err, bytes.TrimSpace(out))
	}
	c.log.Info("initialised PostgreSQL cluster", "duration", time.Since(start))
	return nil
}

// defaultLocale prefers C.UTF-8, whose lower() and upper() handle all of
// Unicode, where the C library is known to have it, and plain C elsewhere.
func defaultLocale() string {
	if runtime.GOOS == "linux" {
		for _, p := range []string{"/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"} {
			if _, err := os.Stat(p); err == nil {
				return "C.UTF-8"
			}
		}
	}
	return "C"
}

// ensureInclude makes postgresql.conf read shopfloor.conf, so that per-start
// settings live in a file of our own and need no shell quoting through pg_ctl -o.
func (c *Cluster) ensureInclude() error {
	path := filepath.Join(c.opts.DataDir, "postgresql.conf")
	conf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if bytes.Contains(conf, []byte(include)) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# Added by shopfloor's pgcluster; settings it rewrites on every start.\n%s\n", include)
	return errors.Join(err, f.Close())
}

// start picks the port, writes the settings and runs pg_ctl start. When the
// port was picked just now and someone grabs it before the server binds it, it
// tries another.
func (c *Cluster) start(ctx context.Context) error {
	port, fresh := c.opts.Port, false
	if port == 0 {
		var err error
		if port, err = c.rememberedPort(); err != nil {
			return err
		}
	}
	for attempt := 1; ; attempt++ {
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return err
			}
			fresh = true
		}
		err := c.startOn(ctx, port)
		if err == nil {
			c.opts.Port = port
			return nil
		}
		if !fresh || attempt == 5 || !errors.Is(err, errAddrInUse) {
			return err
		}
		c.log.Warn("port taken before the server could bind it; trying another", "port", port)
		port = 0
	}
}

var errAddrInUse = errors.New("address already in use")

// startOn writes the settings for port and starts the server with pg_ctl -w.
func (c *Cluster) startOn(ctx context.Context, port int) error {
	dir := c.opts.DataDir
	socketDir := dir
	if len(dir)+len("/.s.PGSQL.65535") > maxSocketPath {
		socketDir = "" // TCP only: the path is too long for a Unix socket
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "# Written by shopfloor's pgcluster on every start; edits are lost.\n")
	fmt.Fprintf(&conf, "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = %s\n", port, quoteConf(socketDir))
	if c.opts.NoFsync {
		conf.WriteString("fsync = off\nfull_page_writes = off\n")
	}
	// What a primary needs for StartStandby (PostgreSQL's defaults, stated here so
	// that a changed default cannot take replication away from the tests).
	conf.WriteString("wal_level = replica\nmax_wal_senders = 10\n")
	for _, k := range slices.Sorted(maps.Keys(c.opts.Settings)) {
		fmt.Fprintf(&conf, "%s = %s\n", k, quoteConf(c.opts.Settings[k]))
	}
	if err := c.writeFile(confFile, conf.String()); err != nil {
		return err
	}
	if err := c.writeFile(portFile, strconv.Itoa(port)+"\n"); err != nil {
		return err
	}

	logPath := filepath.Join(dir, logFile)
	var logOffset int64
	if st, err := os.Stat(logPath); err == nil {
		logOffset = st.Size()
	}
	start := time.Now()
	cmd := c.command(ctx, "pg_ctl", "start", "-D", dir, "-w", "-t", "120", "-s", "-l", logPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		serverLog := readFrom(logPath, logOffset)
		err = fmt.Errorf("pgcluster: pg_ctl start %s on port %d: %w: %s\nserver log:\n%s", dir, port, err, bytes.TrimSpace(out), serverLog)
		if strings.Contains(serverLog, "Address already in use") || strings.Contains(serverLog, "could not bind") {
			err = fmt.Errorf("%w: %w", errAddrInUse, err)
		}
		return err
	}
	c.log.Info("started PostgreSQL cluster", "port", port, "fsync", !c.opts.NoFsync, "duration", time.Since(start))
	return nil
}

// quoteConf quotes s as a postgresql.conf string value.
func quoteConf(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// readFrom returns the tail of the file after offset, capped so errors stay readable.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	b, _ := io.ReadAll(f)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

// rememberedPort returns the port stored by an earlier start, or 0.
func (c *Cluster) rememberedPort() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.opts.DataDir, portFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pgcluster: %w", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || port <= 0 || port > 65535 {
		return 0, fmt.Errorf("pgcluster: %s holds %q, not a port", filepath.Join(c.opts.DataDir, portFile), b)
	}
	return port, nil
}

// freePort asks the kernel for a port that is free on 127.0.0.1 right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeFile writes a small file into the data directory, owned by the server's user.
func (c *Cluster) writeFile(name, content string) error {
	path := filepath.Join(c.opts.DataDir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return nil
}

// running asks pg_ctl whether a live postmaster owns the data directory, which
// is more reliable than the mere presence of postmaster.pid after a crash.
func (c *Cluster) running(ctx context.Context) (bool, error) {
	out, err := c.command(ctx, "pg_ctl", "status", "-D", c.opts.DataDir).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 4):
		return false, nil // 3: not running; 4: no usable data directory
	default:
		return false, fmt.Errorf("pgcluster: pg_ctl status: %w: %s", err, bytes.TrimSpace(out))
	}
}

// pidFilePort reads the port a running server actually listens on from the
// fourth line of postmaster.pid.
func (c *Cluster) pidFilePort() (int, error) {
	path := filepath.Join(c.opts.DataDir, "postmaster.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("pgcluster: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, fmt.Errorf("pgcluster: %s has no port line", path)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, fmt.Errorf("pgcluster: %s: bad port line: %w", path, err)
	}
	return port, nil
}

// command prepares one of the PostgreSQL tools to run as the server's user,
// from inside the data directory (the caller's directory may be closed to that
// user) and without PG* variables that could redirect it elsewhere.
func (c *Cluster) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.opts.BinDir, tool), args...)
	cmd.Dir = c.opts.DataDir
	cmd.Env = c.env()
	cmd.WaitDelay = 5 * time.Second
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// env is the environment for PostgreSQL tools: ours minus PG* settings, with
// messages in English so that errors can be recognised.
func (c *Cluster) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}
