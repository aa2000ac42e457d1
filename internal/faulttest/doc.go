// Package faulttest provokes the faults a production deployment meets and checks
// what Shopfloor does about them, each for real: a PostgreSQL cluster stopped under
// a running server and started again, PostgreSQL crashed (immediate stop) under
// concurrent order traffic and restarted, a pool held busy until it is exhausted,
// statements that outlive the statement timeout, SIGTERM sent to the built binary
// in the middle of a request, a bad configuration, TLS, PgBouncer in
// transaction pooling mode in front of the database, and two instances of the
// binary on one database and one Redis (TestTwoInstances: one Idempotency-Key sent
// to both at once, a refresh token replayed across them, a shared rate limit, one of
// them stopped under traffic that fails over to the other, and migrate started
// several times at once).
//
// It holds only tests. They start private PostgreSQL clusters (internal/pgcluster)
// where a fault would disturb other tests, and databases from internal/pgtest
// elsewhere; the PgBouncer test fails, rather than skips, when pgbouncer is not
// installed, since CI installs it.
package faulttest
