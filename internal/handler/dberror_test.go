package handler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
)

func TestInterpretError(t *testing.T) {
	t.Parallel()
	missing := apperr.NotFound("No order has this id")
	forbidden := apperr.Forbidden("Only staff may do this")
	internalNoRow := apperr.Internal(pgx.ErrNoRows)
	unique := func(constraint string) error {
		return fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505", ConstraintName: constraint, Message: "duplicate key"})
	}
	boom := errors.New("boom")
	foreignKey := &pgconn.PgError{Code: "23503", ConstraintName: "orders_user_id_fkey"}
	brokenConn := fmt.Errorf("read: %w", io.ErrUnexpectedEOF)
	shutdown := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	wrappedForbidden := fmt.Errorf("tx: %w", forbidden)

	cases := []struct {
		name    string
		err     error
		missing *apperr.Error
		// want, when set, is the very error expected back (passed through as it is).
		want   error
		status int
		code   api.ErrorCode
		// cause, when set, must still be reachable with errors.Is, for the log.
		cause  error
		detail string
	}{
		{name: "no error is no error", err: nil, missing: missing},
		{name: "a missing row the caller expects is the caller's answer", err: pgx.ErrNoRows, missing: missing, want: missing},
		{name: "a wrapped missing row the caller expects is the caller's answer", err: fmt.Errorf("scan: %w", pgx.ErrNoRows), missing: missing, want: missing},
		{name: "a missing row the caller does not expect is a 500", err: pgx.ErrNoRows,
			status: http.StatusInternalServerError, code: api.INTERNALERROR, cause: pgx.ErrNoRows},
		{name: "a wrapped missing row the caller does not expect is a 500", err: fmt.Errorf("scan: %w", pgx.ErrNoRows),
			status: http.StatusInternalServerError, code: api.INTERNALERROR, cause: pgx.ErrNoRows},
		{name: "a unique violation of the email is EMAIL_TAKEN", err: unique("users_email_key"),
			status: http.StatusConflict, code: api.EMAILTAKEN, detail: "email"},
		{name: "a unique violation of the SKU is SKU_TAKEN", err: unique("products_sku_key"),
			status: http.StatusConflict, code: api.SKUTAKEN, detail: "sku"},
		{name: "a unique violation of another constraint is CONFLICT", err: unique("some_other_key"),
			status: http.StatusConflict, code: api.CONFLICT},
		{name: "a unique violation is a conflict whether or not a missing row is expected", err: unique("some_other_key"), missing: missing,
			status: http.StatusConflict, code: api.CONFLICT},
		{name: "an error already translated passes unchanged", err: forbidden, missing: missing, want: forbidden},
		{name: "an error already translated passes unchanged when wrapped", err: wrappedForbidden, want: wrappedForbidden},
		{name: "a 500 caused by a missing row stays a 500 when a missing row is expected", err: internalNoRow, missing: missing, want: internalNoRow},
		{name: "a connection that died under a statement is a 503", err: brokenConn, missing: missing,
			status: http.StatusServiceUnavailable, code: api.SERVICEUNAVAILABLE, cause: io.ErrUnexpectedEOF},
		{name: "a server shutting down is a 503", err: shutdown,
			status: http.StatusServiceUnavailable, code: api.SERVICEUNAVAILABLE, cause: shutdown},
		{name: "a refused connection is a 503", err: refused,
			status: http.StatusServiceUnavailable, code: api.SERVICEUNAVAILABLE, cause: refused},
		{name: "a request out of time is a 503", err: context.DeadlineExceeded,
			status: http.StatusServiceUnavailable, code: api.SERVICEUNAVAILABLE, cause: context.DeadlineExceeded},
		{name: "a foreign key violation is a 500", err: foreignKey, missing: missing,
			status: http.StatusInternalServerError, code: api.INTERNALERROR, cause: foreignKey},
		{name: "any other error is a 500", err: boom, missing: missing,
			status: http.StatusInternalServerError, code: api.INTERNALERROR, cause: boom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := interpretError(tc.err, tc.missing)
			switch {
			case tc.err == nil:
				require.NoError(t, got)
				return
			case tc.want != nil:
				require.Same(t, tc.want, got)
				return
			}
			e := apperr.As(got)
			require.NotNil(t, e, "translated into an apperr.Error: %v", got)
			require.Equal(t, tc.status, e.Status)
			require.Equal(t, tc.code, e.Code)
			if tc.cause != nil {
				require.ErrorIs(t, got, tc.cause, "the cause is kept for the log")
			}
			switch e.Status {
			case http.StatusInternalServerError:
				require.Equal(t, apperr.Internal(nil).Message, e.Message, "a 500 says nothing of the cause")
			case http.StatusServiceUnavailable:
				require.Equal(t, apperr.RetryAfterUnavailable, e.Headers["Retry-After"])
			}
			if tc.detail != "" {
				require.Len(t, e.Details, 1)
				require.Equal(t, tc.detail, e.Details[0].Field)
			} else {
				require.Empty(t, e.Details)
			}
		})
	}
}

func TestDBErrorAndDBLookupDifferOnlyInAMissingRow(t *testing.T) {
	t.Parallel()
	missing := apperr.NotFound("No product has this id")
	require.Same(t, missing, apperr.As(dbLookup(pgx.ErrNoRows, missing)))
	e := apperr.As(dbError(pgx.ErrNoRows))
	require.NotNil(t, e)
	require.Equal(t, http.StatusInternalServerError, e.Status)
	require.True(t, noRow(fmt.Errorf("scan: %w", pgx.ErrNoRows)))
	require.False(t, noRow(errors.New("boom")))
	require.False(t, noRow(nil))
}
