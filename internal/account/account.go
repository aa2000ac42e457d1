// Package account creates accounts, with one set of rules for every way one is made:
// registration through the API, `shopfloor user create` and the demo data. The rules
// are the spec's: an email is trimmed and lowercased and is an RFC 5322 address of 3
// to 254 characters, unique regardless of case; a name is 2 to 50 characters once
// trimmed; a password is 8 to 72 bytes with an uppercase letter and a digit.
package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

// Account is an account to create, as its creator gave it; Create normalizes it.
type Account struct {
	Email, Name, Password, Role string
}

// Hasher hashes a password (auth.Hasher, or one that remembers hashes for demo data).
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
}

// Beginner starts the transaction an account is created in (the pool).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// NormalizeEmail is how every email is stored and looked up: trimmed, lowercased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CheckEmail is the spec's "email" format: an RFC 5322 addr-spec without a display
// name, surrounding spaces aside. The request validator uses it too.
func CheckEmail(email string) error {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return errors.New("must be a valid email address")
	}
	return nil
}

// CheckName trims a person's name and checks the 2–50 character rule.
func CheckName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if n := utf8.RuneCountInString(name); n < 2 || n > 50 {
		return name, errors.New("must be 2 to 50 characters after trimming spaces")
	}
	return name, nil
}

// Problems normalizes a and returns every problem with it, as the details of a
// VALIDATION_ERROR on the body fields email, name, password and role.
func (a *Account) Problems() []api.ErrorDetail {
	var details []api.ErrorDetail
	problem := func(field, message string) {
		details = append(details, apperr.Detail(field, api.Body, message))
	}
	a.Email = NormalizeEmail(a.Email)
	if err := CheckEmail(a.Email); err != nil {
		problem("email", err.Error())
	} else if n := len(a.Email); n < 3 || n > 254 {
		problem("email", "must be 3 to 254 characters long")
	}
	var err error
	if a.Name, err = CheckName(a.Name); err != nil {
		problem("name", err.Error())
	}
	for _, p := range auth.CheckPasswordStrength(a.Password) {
		problem("password", p)
	}
	switch a.Role {
	case auth.RoleCustomer, auth.RoleStaff, auth.RoleAdmin:
	default:
		problem("role", "must be customer, staff or admin")
	}
	return details
}

// EmailTaken is the conflict of an email already registered, whatever its case.
func EmailTaken() *apperr.Error {
	return apperr.Conflict(api.EMAILTAKEN, "An account with this email already exists",
		apperr.Detail("email", api.Body, "is already registered"))
}

// Create makes the account a describes: it checks every rule (a VALIDATION_ERROR
// listing each problem), hashes the password before the transaction starts (bcrypt
// holds no connection), inserts the user, and then, in the same transaction, runs
// then (nil for nothing) with the new id, so that what must exist with the account
// (registration's tokens) exists with it or not at all. An email already registered
// is EmailTaken, told by SQLSTATE 23505 on users_email_key. A hashing failure comes
// back as the Hasher's error (auth.ErrBusy when its queue is full).
func Create(ctx context.Context, pool Beginner, hasher Hasher, a Account, then func(q *db.Queries, id uuid.UUID) error) (uuid.UUID, error) {
	if details := a.Problems(); len(details) > 0 {
		return uuid.Nil, apperr.Validation(details...)
	}
	hash, err := hasher.Hash(ctx, a.Password)
	if err != nil {
		return uuid.Nil, err
	}
	var id uuid.UUID
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		id, err = q.UserCreate(ctx, db.UserCreateParams{Email: a.Email, Name: a.Name, PasswordHash: hash, Role: a.Role})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "users_email_key" {
			return EmailTaken()
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if then != nil {
			return then(q, id)
		}
		return nil
	})
	if err != nil {
		return uuid.Nil, err
	}
	return id, nil
}
