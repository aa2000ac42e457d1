package database

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// What the database said, and whether the client should be told to retry (503) or
// that something went wrong (500) or that its request was refused (4xx, mapped by the
// handlers).
func TestUnavailable(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code} }
	wrap := func(err error) error { return fmt.Errorf("OrderCreate: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no error is not an outage", nil, false},
		{"a connection broken mid-transaction (unexpected EOF) is an outage", wrap(io.ErrUnexpectedEOF), true},
		{"a connection closed by the server (EOF) is an outage", wrap(io.EOF), true},
		{"a statement on a connection pgx already closed is an outage", wrap(pgconn.ErrConnClosed), true},
		{"a connection reset is an outage", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"a bare connection reset is an outage", wrap(syscall.ECONNRESET), true},
		{"a broken pipe is an outage", wrap(syscall.EPIPE), true},
		{"an administrator or immediate shutdown (57P01) is an outage", wrap(pg("57P01")), true},
		{"a crash of another backend (57P02) is an outage", pg("57P02"), true},
		{"crash recovery, starting up (57P03) is an outage", pg("57P03"), true},
		{"too many connections (53300) is an outage", pg("53300"), true},
		{"a connection exception (08006) is an outage", pg("08006"), true},
		{"the statement timeout (57014) is an outage", pg("57014"), true},
		{"no free connection within DB_ACQUIRE_TIMEOUT is an outage", wrap(ErrAcquireTimeout), true},
		{"a deadline is an outage", wrap(context.DeadlineExceeded), true},
		{"a unique violation is not", pg("23505"), false},
		{"a check violation is not", pg("23514"), false},
		{"a syntax error is not", pg("42601"), false},
		{"a missing row is not", wrap(pgx.ErrNoRows), false},
		{"a bug is not", errors.New("nil map"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unavailable(tc.err); got != tc.want {
				t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
