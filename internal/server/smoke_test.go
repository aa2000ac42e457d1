package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

func TestRegisterThenReadYourself(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	reg, err := env.Client.RegisterUserWithResponse(ctx, client.RegisterUserJSONRequestBody{
		Email: " Ada@Example.COM ", Password: "Correct-Horse-9", Name: "  Ada Lovelace ",
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, reg.StatusCode(), string(reg.Body))
	require.Equal(t, "ada@example.com", string(reg.JSON201.Data.User.Email))
	require.Equal(t, "Ada Lovelace", reg.JSON201.Data.User.Name)

	me, err := env.Client.GetCurrentUserWithResponse(ctx, apitest.Bearer(reg.JSON201.Data.Tokens.AccessToken))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, me.StatusCode())
	require.Equal(t, reg.JSON201.Data.User.Id, me.JSON200.Data.Id)
}
