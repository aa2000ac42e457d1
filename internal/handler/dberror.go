package handler

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/database"
)

// constraintErrors maps unique constraints to the specific conflict a client can act on.
var constraintErrors = map[string]func() *apperr.Error{
	"users_email_key": account.EmailTaken,
	"products_sku_key": func() *apperr.Error {
		return apperr.Conflict(api.SKUTAKEN, "A product with this SKU already exists",
			apperr.Detail("sku", api.Body, "is already used by another product"))
	},
}

// dbError translates the error of a statement whose rows must exist: a missing row
// there means the code or the data is wrong, and the client gets a 500 whose cause is
// logged, never a 404 that would blame the client's request.
func dbError(err error) error { return interpretError(err, nil) }

// dbLookup translates the error of a statement whose missing row the caller expects
// (the id in the path names nothing): the client gets missing, the answer the caller
// chose for that case, such as a 404 naming the resource.
func dbLookup(err error, missing *apperr.Error) error { return interpretError(err, missing) }

// noRow reports whether a statement found no row, for the callers that expect that and
// do more than answer with an error (a login with an unknown email still spends a
// password check's time).
func noRow(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// interpretError is the one place that says what the database's answer means to the
// API, so that pgx and pgconn types never reach the HTTP layer: a missing row is
// missing when the caller expects one and a 500 otherwise; a unique violation is a 409
// (with a specific code for the constraints a client can act on); a database that
// cannot serve is a 503 with Retry-After; anything else is a 500. An error that is
// already translated (returned by a function run in a transaction) passes unchanged,
// so a 500 whose cause is a missing row does not turn into missing on its way out.
func interpretError(err error, missing *apperr.Error) error {
	if err == nil {
		return nil
	}
	if apperr.As(err) != nil {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		if missing != nil {
			return missing
		}
		return apperr.Internal(fmt.Errorf("a row the request relies on is missing: %w", err))
	}
	if database.Unavailable(err) {
		return apperr.Unavailable(err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if mk, ok := constraintErrors[pgErr.ConstraintName]; ok {
			return mk()
		}
		return apperr.Conflict(api.CONFLICT, "This conflicts with an existing record")
	}
	return apperr.Internal(err)
}
