// Package replicatest runs Shopfloor against a real streaming replica: a private
// primary and a standby made from it with pg_basebackup -R (internal/pgcluster), and
// the server reading from the standby (DATABASE_REPLICA_URLS). It proves that the
// reads marked for replicas are served by the standby and the rest by the primary
// (pg_stat_statements on each server), that a client reads its own writes through a
// standby that lags on purpose (recovery_min_apply_delay), and that a standby
// stopped mid-traffic or left behind (replay paused) leaves rotation with no error
// seen by a client, and comes back by itself.
//
// The package has no code of its own, only tests.
package replicatest
