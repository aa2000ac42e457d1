package abusetest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/ratelimit"
)

func trustLoopback(t *testing.T) apitest.Option {
	nets := mustNets(t, "127.0.0.1,::1")
	return func(cfg *config.Config) { cfg.TrustedProxies = nets }
}

func loginRule(limit int) apitest.Option {
	return func(cfg *config.Config) {
		cfg.RateLimitLogin = ratelimit.Rule{Name: "login", Limit: limit, Window: time.Minute}
	}
}

func TestLoginIsLimitedPerClientIP(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, loginRule(3))
	user := env.CreateUser(apitest.UserOpts{})
	const series = `shopfloor_rate_limited_total{limit="login"}`
	before := env.Metric(series)

	// Three attempts, each for a different account so that only the IP is shared.
	res, body := login(t, env, user.Email, user.Password, "")
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	for i := range 2 {
		res, body := login(t, env, apitest.UniqueEmail(fmt.Sprint("nobody", i)), "Wrong-Passw0rd", "")
		apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
	}
	res, body = login(t, env, user.Email, user.Password, "")
	requireRateLimited(t, res, body, 60)
	require.Contains(t, string(body), "login limit")

	// A refused attempt is not counted as a login: the limit holds for a fifth too,
	// and the right password does not unlock it.
	res, body = login(t, env, apitest.UniqueEmail("other"), "Wrong-Passw0rd", "")
	requireRateLimited(t, res, body, 60)
	require.Equal(t, before+2, env.Metric(series), "every refusal is counted in the metric")
	requireServes(t, env)
}

func TestLoginIsLimitedPerEmailWhateverTheClientIP(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, loginRule(3), trustLoopback(t))
	victim := env.CreateUser(apitest.UserOpts{})

	// A botnet: every guess comes through the trusted proxy from another address.
	for i := range 3 {
		res, body := login(t, env, victim.Email, fmt.Sprintf("Guess-%d-Passw0rd", i), fmt.Sprintf("198.51.100.%d", i+1))
		apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
	}
	// The email is spelt differently but is the same account.
	res, body := login(t, env, "  "+strings.ToUpper(victim.Email)+" ", victim.Password, "198.51.100.99")
	requireRateLimited(t, res, body, 60)

	// Another account from a fresh address is not affected.
	other := env.CreateUser(apitest.UserOpts{})
	res, body = login(t, env, other.Email, other.Password, "198.51.100.100")
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
}

func TestRegistrationIsLimitedPerClientIPAndPerEmail(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(cfg *config.Config) {
		cfg.RateLimitRegister = ratelimit.Rule{Name: "register", Limit: 2, Window: time.Minute}
	}, trustLoopback(t))
	register := func(email, ip string) (*http.Response, []byte) {
		return env.Do(http.MethodPost, "/api/v1/auth/register", "application/json",
			jsonBody(t, map[string]string{"email": email, "password": "Correct-Horse-9", "name": "Mass Signup"}),
			"X-Forwarded-For", ip)
	}

	t.Run("per IP", func(t *testing.T) {
		for i := range 2 {
			res, body := register(apitest.UniqueEmail(fmt.Sprint("bulk", i)), "203.0.113.10")
			require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
		}
		res, body := register(apitest.UniqueEmail("bulk-third"), "203.0.113.10")
		requireRateLimited(t, res, body, 60)
		require.Equal(t, 2, apitest.CountRows(t, env, "users")["users"], "the refused registration created no account")
	})
	t.Run("per email", func(t *testing.T) {
		email := apitest.UniqueEmail("same")
		res, body := register(email, "203.0.113.20")
		require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
		res, body = register(email, "203.0.113.21")
		apitest.RequireRawError(t, res, body, http.StatusConflict, client.EMAILTAKEN)
		res, body = register(email, "203.0.113.22")
		requireRateLimited(t, res, body, 60)
	})
}

func TestRefreshIsLimitedPerClientIP(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(cfg *config.Config) {
		cfg.RateLimitRefresh = ratelimit.Rule{Name: "refresh", Limit: 3, Window: time.Minute}
	})
	refresh := func(token string) (*http.Response, []byte) {
		return env.Do(http.MethodPost, "/api/v1/auth/refresh", "application/json",
			jsonBody(t, map[string]string{"refreshToken": token}))
	}
	// Guessing refresh tokens: each guess is a 401 until the limit stops the guessing.
	for i := range 3 {
		res, body := refresh(fmt.Sprintf("guessed-refresh-token-%02d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i))
		apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
	}
	res, body := refresh("guessed-refresh-token-99-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	requireRateLimited(t, res, body, 60)
}

func TestGlobalLimitCoversTheAPIButNotHealthChecks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(cfg *config.Config) {
		cfg.RateLimitGlobal = ratelimit.Rule{Name: "global", Limit: 5, Window: time.Minute}
	})
	for range 5 {
		res, body := env.Do(http.MethodGet, "/api/v1/products", "", nil)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	}
	res, body := env.Do(http.MethodGet, "/api/v1/products", "", nil)
	requireRateLimited(t, res, body, 60)
	// Any other API route shares the budget, before any validation or bcrypt work.
	res, body = login(t, env, "x@example.com", "Wrong-Passw0rd", "")
	requireRateLimited(t, res, body, 60)

	for range 20 {
		res, body := env.Do(http.MethodGet, "/healthz", "", nil)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	}
	res, _ = env.Do(http.MethodGet, "/metrics", "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, float64(2), env.Metric(`shopfloor_rate_limited_total{limit="global"}`))
}

// The client IP the limits count is the TCP peer unless that peer is a trusted proxy;
// X-Forwarded-For from anyone else is a lie the limits must not believe.
func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	globalRule := func(cfg *config.Config) {
		cfg.RateLimitGlobal = ratelimit.Rule{Name: "global", Limit: 3, Window: time.Minute}
	}
	products := func(env *apitest.Env, xff string) (*http.Response, []byte) {
		return env.Do(http.MethodGet, "/api/v1/products", "", nil, "X-Forwarded-For", xff)
	}

	untrusted := map[string][]apitest.Option{
		"no trusted proxies":            {globalRule},
		"the peer is not among proxies": {globalRule, func(cfg *config.Config) { cfg.TrustedProxies = mustNets(t, "10.0.0.0/8") }},
	}
	for name, opts := range untrusted {
		t.Run("spoofed addresses do not escape the limit when "+name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, opts...)
			for i := range 3 {
				res, body := products(env, fmt.Sprintf("192.0.2.%d", i+1))
				require.Equal(t, http.StatusOK, res.StatusCode, string(body))
			}
			res, body := products(env, "192.0.2.200")
			requireRateLimited(t, res, body, 60)
		})
	}

	t.Run("behind a trusted proxy each forwarded client has its own budget", func(t *testing.T) {
		t.Parallel()
		env := apitest.New(t, globalRule, trustLoopback(t))
		for i := range 10 {
			res, body := products(env, fmt.Sprintf("192.0.2.%d", i+1))
			require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		}
		// One forwarded client is limited, whatever it prepends to the header itself:
		// only the address the trusted proxy appended counts.
		for i := range 3 {
			res, body := products(env, fmt.Sprintf("6.6.6.%d, 192.0.2.250", i))
			require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		}
		res, body := products(env, "6.6.6.6, 192.0.2.250")
		requireRateLimited(t, res, body, 60)
		res, body = products(env, "192.0.2.251")
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	})
}

func mustNets(t *testing.T, spec string) []*net.IPNet {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "TRUSTED_PROXIES":
			return spec
		case "JWT_SECRET":
			return apitest.TestJWTSecret
		}
		return ""
	})
	require.NoError(t, err)
	return cfg.TrustedProxies
}

func TestMetricsShowThePoolAndThePasswordChecks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(cfg *config.Config) {
		cfg.DBMaxConns, cfg.BcryptMaxConcurrent = 3, 2
	})
	user := env.CreateUser(apitest.UserOpts{})
	res, body := login(t, env, user.Email, user.Password, "")
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))

	res, body = env.Do(http.MethodGet, "/metrics", "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	m := apitest.ParseMetrics(t, body)
	require.EqualValues(t, 3, m["shopfloor_db_pool_max_connections"], "DB_MAX_CONNS")
	open := m["shopfloor_db_pool_connections"]
	require.GreaterOrEqual(t, open, 1.0, "the login and the fixture used the pool")
	require.LessOrEqual(t, open, 3.0)
	require.Equal(t, open, m["shopfloor_db_pool_idle_connections"]+m["shopfloor_db_pool_acquired_connections"])
	require.Zero(t, m["shopfloor_db_pool_waiting_requests"])
	require.EqualValues(t, 2, m["shopfloor_password_checks_max"], "BCRYPT_MAX_CONCURRENT")
	for _, idle := range []string{"shopfloor_password_checks_running", "shopfloor_password_checks_waiting", "shopfloor_password_checks_shed_total"} {
		v, ok := m[idle]
		require.True(t, ok, "%s is exposed", idle)
		require.Zero(t, v, idle)
	}
}
