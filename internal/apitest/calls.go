package apitest

import (
	"context"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
)

// Password is a password that meets the spec's rules, for accounts that log in.
const Password = "Correct-Horse-9"

// NoAuth is a request editor that sends no credentials, where a test must say so.
func NoAuth(context.Context, *http.Request) error { return nil }

// SignToken signs claims with the given method and key, for forged access tokens
// (expired, other algorithms, other secrets).
func SignToken(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

// Register registers a customer through the API, requires it to succeed, and returns
// the account with its tokens.
func Register(t testing.TB, env *Env, email, password, name string) client.AuthResult {
	t.Helper()
	res, err := env.Client.RegisterUserWithResponse(t.Context(), client.RegisterUserJSONRequestBody{
		Email: client.Email(email), Password: password, Name: name,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return res.JSON201.Data
}

// Login logs in and returns the response, whatever its status.
func Login(t testing.TB, env *Env, email, password string) *client.LoginUserResponse {
	t.Helper()
	res, err := env.Client.LoginUserWithResponse(t.Context(), client.LoginUserJSONRequestBody{
		Email: client.Email(email), Password: password,
	})
	require.NoError(t, err)
	return res
}

// Refresh exchanges a refresh token and returns the response, whatever its status.
func Refresh(t testing.TB, env *Env, token string) *client.RefreshTokensResponse {
	t.Helper()
	res, err := env.Client.RefreshTokensWithResponse(t.Context(), client.RefreshTokensJSONRequestBody{RefreshToken: token})
	require.NoError(t, err)
	return res
}

// RequireRefreshRefused asserts that a refresh token no longer works.
func RequireRefreshRefused(t testing.TB, env *Env, token string) {
	t.Helper()
	RequireError(t, Refresh(t, env, token), http.StatusUnauthorized, client.UNAUTHENTICATED)
}

// Me calls /auth/me with the given access token and returns the response.
func Me(t testing.TB, env *Env, accessToken string) *client.GetCurrentUserResponse {
	t.Helper()
	res, err := env.Client.GetCurrentUserWithResponse(t.Context(), Bearer(accessToken))
	require.NoError(t, err)
	return res
}

// GetUser reads a user as the given caller and returns the response.
func GetUser(t testing.TB, env *Env, caller User, id uuid.UUID) *client.GetUserResponse {
	t.Helper()
	res, err := env.Client.GetUserWithResponse(t.Context(), id, caller.Auth())
	require.NoError(t, err)
	return res
}

// Item is one line of an order to place.
func Item(id uuid.UUID, quantity int32) client.OrderItemInput {
	return client.OrderItemInput{ProductId: id, Quantity: quantity}
}

// PlaceOrder places an order through the API and requires it to succeed.
func PlaceOrder(t testing.TB, env *Env, u User, items ...client.OrderItemInput) client.Order {
	t.Helper()
	res, err := env.Client.CreateOrderWithResponse(context.Background(), nil, client.CreateOrderRequest{Items: items}, u.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return res.JSON201.Data
}

// MoveOrder moves an order forward through the API as staff, one step at a time,
// until it reaches status ("cancelled" cancels it).
func MoveOrder(t testing.TB, env *Env, staff User, id uuid.UUID, status client.OrderStatus) {
	t.Helper()
	ctx := context.Background()
	if status == client.OrderStatusCancelled {
		res, err := env.Client.CancelOrderWithResponse(ctx, id, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return
	}
	for _, next := range []client.UpdateOrderStatusRequestStatus{"paid", "shipped", "delivered"} {
		if status == client.OrderStatusPending {
			return
		}
		res, err := env.Client.UpdateOrderStatusWithResponse(ctx, id, client.UpdateOrderStatusRequest{Status: next}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		if string(next) == string(status) {
			return
		}
	}
}

// OrderStatus reads an order's status from the database.
func OrderStatus(t testing.TB, env *Env, id uuid.UUID) string {
	t.Helper()
	var s string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT status FROM orders WHERE id = $1`, id).Scan(&s))
	return s
}
