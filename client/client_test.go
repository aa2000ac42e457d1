package client_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTheExampleFlowWorksAgainstARealServer runs Example's calls against a live
// server, with a plain http.Client as an importing program would use.
func TestTheExampleFlowWorksAgainstARealServer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	user := env.CreateUser(apitest.UserOpts{Password: "Customer-Demo-2026"})
	ctx := context.Background()
	c, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(http.DefaultClient))
	require.NoError(t, err)

	bad, err := c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(user.Email), Password: "Wrong-Password-1"})
	require.NoError(t, err)
	require.NotNil(t, bad.JSON401)
	require.Equal(t, client.UNAUTHENTICATED, bad.JSON401.Error.Code)

	login, err := c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(user.Email), Password: user.Password})
	require.NoError(t, err)
	require.NotNil(t, login.JSON200)
	token := login.JSON200.Data.Tokens.AccessToken
	bearer := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
	inStock := true
	products, err := c.ListProductsWithResponse(ctx, &client.ListProductsParams{InStock: &inStock}, bearer)
	require.NoError(t, err)
	require.NotNil(t, products.JSON200)
	require.Equal(t, int64(0), products.JSON200.Pagination.Total)
}
