package account_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The rules every way of making an account shares, with the fields they name.
func TestAccountProblems(t *testing.T) {
	t.Parallel()
	valid := account.Account{Email: "  Ada@Example.COM ", Name: "  Ada Lovelace ", Password: "Analytical-1843", Role: auth.RoleCustomer}
	for _, tc := range []struct {
		name   string
		change func(a *account.Account)
		fields []string
	}{
		{"a valid account has no problem", func(*account.Account) {}, nil},
		{"an email without @ is refused", func(a *account.Account) { a.Email = "ada.example.com" }, []string{"email"}},
		{"an email with a display name is refused", func(a *account.Account) { a.Email = "Ada <ada@example.com>" }, []string{"email"}},
		{"an email with only an @ in it is refused", func(a *account.Account) { a.Email = "@" }, []string{"email"}},
		{"an email over 254 characters is refused", func(a *account.Account) { a.Email = strings.Repeat("a", 250) + "@example.com" }, []string{"email"}},
		{"a one-letter name is refused", func(a *account.Account) { a.Name = " A " }, []string{"name"}},
		{"a weak password is refused with every reason", func(a *account.Account) { a.Password = "short" }, []string{"password", "password", "password"}},
		{"an unknown role is refused", func(a *account.Account) { a.Role = "root" }, []string{"role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := valid
			tc.change(&a)
			var fields []string
			for _, d := range a.Problems() {
				require.Equal(t, api.Body, d.Location)
				fields = append(fields, d.Field)
			}
			require.Equal(t, tc.fields, fields)
		})
	}
	a := valid
	require.Empty(t, a.Problems())
	require.Equal(t, "ada@example.com", a.Email, "trimmed and lowercased")
	require.Equal(t, "Ada Lovelace", a.Name, "trimmed")
}

// Create stores the normalized account, refuses the same email in another case as
// EMAIL_TAKEN (told by SQLSTATE), and runs then in the account's transaction: when
// then fails, no account is left behind.
func TestCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDB(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	hasher, err := auth.NewHasher(auth.MinBcryptCost, 1)
	require.NoError(t, err)

	id, err := account.Create(ctx, pool, hasher, account.Account{
		Email: " Grace@Example.com", Name: "Grace Hopper", Password: "Cobol-1959", Role: auth.RoleAdmin,
	}, nil)
	require.NoError(t, err)
	user, err := db.New(pool).UserGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "grace@example.com", user.Email)
	require.Equal(t, auth.RoleAdmin, user.Role)

	_, err = account.Create(ctx, pool, hasher, account.Account{
		Email: "GRACE@example.com", Name: "Another Grace", Password: "Cobol-1959", Role: auth.RoleCustomer,
	}, nil)
	e := apperr.As(err)
	require.NotNil(t, e, "%v", err)
	require.Equal(t, http.StatusConflict, e.Status)
	require.Equal(t, api.EMAILTAKEN, e.Code)

	_, err = account.Create(ctx, pool, hasher, account.Account{Email: "nope", Name: "x", Password: "weak", Role: auth.RoleCustomer}, nil)
	e = apperr.As(err)
	require.NotNil(t, e)
	require.Equal(t, api.VALIDATIONERROR, e.Code)

	failed := errors.New("then failed")
	_, err = account.Create(ctx, pool, hasher, account.Account{
		Email: "rolled@example.com", Name: "Rolled Back", Password: "Cobol-1959", Role: auth.RoleCustomer,
	}, func(*db.Queries, uuid.UUID) error { return failed })
	require.ErrorIs(t, err, failed)
	_, err = db.New(pool).UserCredentialsByEmail(ctx, "rolled@example.com")
	require.Error(t, err, "the account of a failed then is rolled back")
}
