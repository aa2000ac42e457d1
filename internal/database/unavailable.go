package database

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means the database could not serve the request
// (it cannot be reached, it went away in the middle of a statement or a transaction,
// it is shutting down or recovering, it is out of connections, or the request ran out
// of time), as opposed to a statement it refused. Such a failure is worth retrying,
// so the client gets 503 with Retry-After instead of 500.
//
// A connection that dies mid-transaction leaves the outcome of a COMMIT unknown to
// this process: the client's retry decides it, and an Idempotency-Key makes that
// retry replay the committed order or place it once.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var (
		connErr *pgconn.ConnectError
		netErr  net.Error
		pgErr   *pgconn.PgError
	)
	switch {
	case errors.As(err, &connErr):
		return true // whatever refused it: down, starting up, out of connections
	case errors.As(err, &pgErr):
		return unavailableState(pgErr.Code)
	case errors.As(err, &netErr):
		return true
	case errors.Is(err, ErrAcquireTimeout), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed):
		// The server closed the connection under a statement (a crash, an
		// immediate shutdown, a backend killed), or pgx closed it after such a
		// failure and a later statement of the transaction found it closed.
		return true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// unavailableState reports whether a SQLSTATE says the server could not serve the
// statement rather than that the statement was wrong.
func unavailableState(code string) bool {
	switch code {
	case "57P01", // admin_shutdown: terminating connection due to (immediate) shutdown
		"57P02", // crash_shutdown: another server process crashed
		"57P03", // cannot_connect_now: starting up, in recovery
		"57P05", // idle_session_timeout
		"57014": // query_canceled: the statement timeout
		return true
	}
	switch code[:min(2, len(code))] {
	case "08", // connection exception
		"53": // insufficient resources: too many connections, out of memory, disk full
		return true
	}
	return false
}
