package abusetest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/db"
)

// Logins queued behind a full bcrypt slot longer than BCRYPT_QUEUE_TIMEOUT are shed:
// 503 SERVICE_UNAVAILABLE with Retry-After, as the spec says, instead of holding the
// client until its own timeout. Those that get the slot are answered as usual, and
// the server goes on serving.
func TestFullBcryptQueueShedsLoginsWithRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t, func(cfg *config.Config) {
		// One slot, cost 12 (a run takes well over a millisecond on any machine), and
		// almost no patience: every login that finds the slot taken is shed.
		cfg.BcryptCost, cfg.BcryptMaxConcurrent, cfg.BcryptQueueTimeout = 12, 1, time.Millisecond
	})
	hasher, err := auth.NewHasher(auth.MinBcryptCost, 1)
	require.NoError(t, err)
	hash, err := hasher.Hash(ctx, "Shed-Victim-1")
	require.NoError(t, err)
	email := apitest.UniqueEmail("shed")
	_, err = db.New(env.Pool).UserCreate(ctx, db.UserCreateParams{Email: email, Name: "Shed Victim", PasswordHash: hash, Role: auth.RoleCustomer})
	require.NoError(t, err)

	const logins = 8
	results := make(chan *client.LoginUserResponse, logins)
	var wg sync.WaitGroup
	for range logins {
		wg.Go(func() {
			// Through the spec-checking client: the 503 and its Retry-After header are
			// validated against the spec like every other answer.
			res, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{
				Email: client.Email(email), Password: "Wrong-Passw0rd"})
			if err != nil {
				t.Errorf("login: %v", err)
				return
			}
			results <- res
		})
	}
	wg.Wait()
	close(results)

	statuses := map[int]int{}
	for res := range results {
		statuses[res.StatusCode()]++
		switch res.StatusCode() {
		case http.StatusUnauthorized:
		case http.StatusServiceUnavailable:
			require.NotNil(t, res.JSON503, string(res.Body))
			require.Equal(t, client.SERVICEUNAVAILABLE, res.JSON503.Error.Code)
			require.Contains(t, res.JSON503.Error.Message, "password checks")
			require.Equal(t, "1", res.HTTPResponse.Header.Get("Retry-After"))
		default:
			t.Errorf("login answered %d: %s", res.StatusCode(), res.Body)
		}
	}
	t.Logf("%d concurrent logins with one bcrypt slot and a 1 ms queue: %v", logins, statuses)
	require.Positive(t, statuses[http.StatusUnauthorized], "the login holding the slot is answered")
	require.Positive(t, statuses[http.StatusServiceUnavailable], "logins that found the slot taken are shed")
	require.NotContains(t, env.Logs(), `"status":500`, "shedding is not a server fault")
	require.EqualValues(t, statuses[http.StatusServiceUnavailable], env.Metric("shopfloor_password_checks_shed_total"),
		"every shed login is counted for the operators")
	require.Zero(t, env.Metric("shopfloor_password_checks_waiting"), "nothing is left queued")

	// The server serves on, and a lone login gets the slot.
	again, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{
		Email: client.Email(email), Password: "Shed-Victim-1"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, again.StatusCode(), string(again.Body))
}
