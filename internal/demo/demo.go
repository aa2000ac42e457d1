// Package demo loads the small, fixed data set that `make run` starts with, so that a
// developer can log in and try every operation at once.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

// Account is one demo login.
type Account struct {
	Email, Name, Role, Password string
}

// Accounts are the demo logins. Their passwords are public by design: they exist only
// in a development database that `make run` creates.
var Accounts = []Account{
	{"admin@shopfloor.test", "Ada Admin", auth.RoleAdmin, "Admin-Demo-2026"},
	{"staff@shopfloor.test", "Sam Staff", auth.RoleStaff, "Staff-Demo-2026"},
	{"alice@shopfloor.test", "Alice Customer", auth.RoleCustomer, "Customer-Demo-2026"},
	{"bob@shopfloor.test", "Bob Customer", auth.RoleCustomer, "Customer-Demo-2026"},
}

// Load creates the demo accounts that do not exist yet; running it again changes
// nothing.
func Load(ctx context.Context, pool *pgxpool.Pool, hasher *auth.Hasher) error {
	q := db.New(pool)
	hashes := map[string]string{}
	for _, a := range Accounts {
		_, err := q.UserCredentialsByEmail(ctx, a.Email)
		if err == nil {
			continue
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("demo: look up %s: %w", a.Email, err)
		}
		hash, ok := hashes[a.Password]
		if !ok {
			if hash, err = hasher.Hash(ctx, a.Password); err != nil {
				return fmt.Errorf("demo: hash password: %w", err)
			}
			hashes[a.Password] = hash
		}
		if _, err := q.UserCreate(ctx, db.UserCreateParams{Email: a.Email, Name: a.Name, PasswordHash: hash, Role: a.Role}); err != nil {
			return fmt.Errorf("demo: create %s: %w", a.Email, err)
		}
	}
	return nil
}
