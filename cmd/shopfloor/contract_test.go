package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTheContractCommand runs `shopfloor contract` as CI would, with the admin's
// credentials in the environment: it passes against a live server and writes JUnit
// XML, and it fails against an address where no Shopfloor answers. Requests may take
// minutes on a loaded machine under -race (bcrypt), hence the long --timeout.
func TestTheContractCommand(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.CreateAccount(account.Account{Email: "ci@shopfloor.test", Name: "CI Admin", Password: "Ci-Admin-Passw0rd", Role: auth.RoleAdmin})
	getenv := func(k string) string {
		return map[string]string{
			"CONTRACT_ADMIN_EMAIL":    "ci@shopfloor.test",
			"CONTRACT_ADMIN_PASSWORD": "Ci-Admin-Passw0rd",
		}[k]
	}
	junit := filepath.Join(t.TempDir(), "contract.xml")

	var out bytes.Buffer
	err := run(context.Background(), []string{"contract", "--base", env.URL, "--junit", junit, "--timeout", "5m"}, nil, &out, getenv)
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), "deactivateUser", "the admin credentials came from the environment")
	require.NotContains(t, out.String(), "Ci-Admin-Passw0rd")
	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	require.Contains(t, string(raw), `failures="0"`)

	out.Reset()
	err = run(context.Background(), []string{"contract", "--base", env.URL + "/nothing-here"}, nil, &out, getenv)
	require.ErrorContains(t, err, "checks failed", out.String())
}
