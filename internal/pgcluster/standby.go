package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// StartStandby makes a streaming replica of c in opts.DataDir and starts it, or
// starts the one already there: the first time it copies the running primary with
// `pg_basebackup -R` (which writes standby.signal and primary_conninfo), so the
// standby follows the primary's WAL from then on and serves read-only queries
// (hot standby). Stop and Start with the standby's Options bring it back as a
// standby, still following. opts.Settings may hold recovery_min_apply_delay to make
// it lag on purpose; opts.NoFsync should match the primary's.
//
// The primary needs wal_level=replica, free WAL senders and a replication entry in
// pg_hba.conf: clusters made by Start have all three (trust for 127.0.0.1).
func (c *Cluster) StartStandby(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.BinDir == "" {
		opts.BinDir = c.opts.BinDir
	}
	s, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	if err := s.boot(ctx, func(ctx context.Context) error { return s.baseBackup(ctx, c) }); err != nil {
		return nil, err
	}
	return s, nil
}

// baseBackup copies the primary into the standby's empty data directory, then
// drops what belongs to the primary alone: its remembered port and its log.
func (s *Cluster) baseBackup(ctx context.Context, primary *Cluster) error {
	start := time.Now()
	args := []string{"-D", s.opts.DataDir, "-R", "-X", "stream", "-c", "fast",
		"-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port()), "-U", "postgres", "--no-password"}
	if s.opts.NoFsync {
		args = append(args, "--no-sync")
	}
	out, err := s.command(ctx, "pg_basebackup", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgcluster: pg_basebackup of the cluster on port %d into %s: %w: %s",
			primary.Port(), s.opts.DataDir, err, bytes.TrimSpace(out))
	}
	for _, name := range []string{portFile, logFile} {
		if err := os.Remove(filepath.Join(s.opts.DataDir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	s.log.Info("copied the primary for a standby", "primary_port", primary.Port(), "duration", time.Since(start))
	return nil
}
