package typescript_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
)

// TestThePackageTestsPassAgainstTheServer runs the package's own tests
// (test/session.test.ts): concurrent 401s share one refresh, a refused refresh ends the
// session once, order creation gets an Idempotency-Key, pages follow the cursor. The
// 401s are the real server's answer to an access token that has expired: one is
// signed here with the server's key and an issue time an hour ago, as a browser tab
// left open over lunch would hold it.
func TestThePackageTestsPassAgainstTheServer(t *testing.T) {
	t.Parallel()
	built(t)
	env := apitest.New(t)
	user := env.CreateUser(apitest.UserOpts{Password: "Session-Test-1"})
	expired, _, err := env.Tokens.Issue(user.ID, user.Role, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	_, err = env.Tokens.Verify(expired, time.Now())
	require.ErrorIs(t, err, auth.ErrTokenExpired, "the token meant to be expired is not")
	var products []string
	for _, sku := range []string{"TS-S1", "TS-S2", "TS-S3", "TS-S4", "TS-S5"} {
		products = append(products, shopProduct(t, env, sku).ID.String())
	}

	out := npm(t, "", []string{
		"SHOPFLOOR_URL=" + env.ProxyURL(), "SHOPFLOOR_EMAIL=" + user.Email, "SHOPFLOOR_PASSWORD=" + user.Password,
		"SHOPFLOOR_EXPIRED_TOKEN=" + expired, "SHOPFLOOR_PRODUCTS=" + strings.Join(products, ","),
	}, "run", "--silent", "test")
	t.Log(out)
	require.Contains(t, out, "# fail 0")
	require.NotContains(t, out, "# pass 0")
}
