package abusetest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/db"
)

// A login flood must not starve the rest of the API: bcrypt runs at most
// BCRYPT_MAX_CONCURRENT at a time, and a login waiting for its turn holds no database
// connection, so catalog reads keep answering at their usual speed.
//
// Not parallel: the test measures latency, which other tests on the CPU would skew.
func TestBcryptFloodDoesNotStarveReads(t *testing.T) {
	const cost, logins = 12, 30
	ctx := context.Background()

	// Calibrate: one hash at cost 12 on this machine, under whatever instrumentation
	// (-race) the server runs with too. The hash becomes the victim's password hash.
	hasher, err := auth.NewHasher(cost, 1)
	require.NoError(t, err)
	start := time.Now()
	hash, err := hasher.Hash(ctx, "Flood-Victim-1")
	require.NoError(t, err)
	oneHash := time.Since(start)

	env := apitest.New(t, func(cfg *config.Config) {
		cfg.BcryptCost, cfg.BcryptMaxConcurrent = cost, 1
	})
	q := db.New(env.Pool)
	email := apitest.UniqueEmail("victim")
	_, err = q.UserCreate(ctx, db.UserCreateParams{Email: email, Name: "Flood Victim", PasswordHash: hash, Role: auth.RoleCustomer})
	require.NoError(t, err)
	product, err := q.ProductCreate(ctx, db.ProductCreateParams{Sku: "FLOOD-1", Name: "Flood lamp", PriceCents: 1999, Stock: 5})
	require.NoError(t, err)
	productURL := env.URL + "/api/v1/products/" + product.ID.String()
	first, err := env.Client.GetProductWithResponse(ctx, product.ID, nil) // checked against the spec once
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, first.StatusCode(), string(first.Body))
	require.Equal(t, "1", first.HTTPResponse.Header.Get("X-Query-Count"), "a read is a database query")

	// The flood: every login a wrong password, so every one costs a full bcrypt run.
	// No client timeout: under -race thirty cost-12 hashes take minutes; the flood
	// is stopped by cancelling its context once the reads have been measured.
	floodCtx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	type outcome struct {
		status int
		at     time.Time
	}
	done := make(chan outcome, logins)
	var wg sync.WaitGroup
	plain := &http.Client{}
	floodStart := time.Now()
	body := string(jsonBody(t, map[string]string{"email": email, "password": "Wrong-Passw0rd"}))
	for range logins {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(floodCtx, http.MethodPost, env.URL+"/api/v1/auth/login", strings.NewReader(body))
			if err != nil {
				panic(err)
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := plain.Do(req)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("login: %v", err)
				}
				done <- outcome{at: time.Now()}
				return
			}
			res.Body.Close()
			done <- outcome{status: res.StatusCode, at: time.Now()}
		})
	}

	// Start measuring once every login has reached the password check. One bcrypt
	// slot: one login hashes and the other twenty-nine wait for it, which the
	// server's own gauges show (one /metrics scrape reads both).
	var running, waiting float64
	for len(done) == 0 {
		m := scrape(t, plain, env.URL)
		running, waiting = m["shopfloor_password_checks_running"], m["shopfloor_password_checks_waiting"]
		if running+waiting >= logins {
			break
		}
	}
	require.Zero(t, len(done), "a login finished before the flood was in place")
	require.EqualValues(t, 1, running, "bcrypt runs at once with BCRYPT_MAX_CONCURRENT=1")
	require.EqualValues(t, logins-1, waiting, "logins queued for the one bcrypt slot")

	// Read the product over and over until the first login is answered: all that
	// time the bcrypt slot is busy and twenty-nine logins wait behind it. A plain
	// client, so the spec check of the test's own client does not compete for CPU.
	var during []time.Duration
	var answered outcome
	for answered.at.IsZero() {
		readStart := time.Now()
		res, err := plain.Get(productURL)
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode)
		during = append(during, time.Since(readStart))
		select {
		case answered = <-done:
		default:
		}
	}
	stopFlood() // the queued logins give up: their clients have gone
	wg.Wait()

	require.Equal(t, http.StatusUnauthorized, answered.status, "a flooded login still answers, and correctly")
	require.GreaterOrEqual(t, len(during), 10, "only %d reads were answered while the first login waited: reads are starved", len(during))
	slices.Sort(during)
	median := during[len(during)/2]
	firstLogin := answered.at.Sub(floodStart)
	t.Logf("one bcrypt hash at cost %d: %v; flood of %d logins: first answered after %v; %d reads meanwhile: median %v, p90 %v, max %v",
		cost, oneHash.Round(time.Millisecond), logins, firstLogin.Round(time.Millisecond), len(during),
		median, during[len(during)*9/10], during[len(during)-1])

	// Reads answer in a small fraction of one hash's time.
	require.Less(t, median, oneHash/10, "median read latency during the flood, against one bcrypt hash")
	require.Less(t, median, 100*time.Millisecond, "median read latency during the flood")
}

// scrape reads every sample of GET /metrics through a plain client.
func scrape(t *testing.T, c *http.Client, url string) map[string]float64 {
	t.Helper()
	res, err := c.Get(url + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return apitest.ParseMetrics(t, body)
}
