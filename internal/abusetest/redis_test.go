package abusetest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/ratelimit"
	"github.com/shopfloor/shopfloor/internal/redistest"
)

// uniqueRule names a login rule after this test run, so that its Redis keys
// ("shopfloor:ratelimit:<rule>:<subject>") are this run's alone, and deletes them when
// t ends.
func uniqueRule(t *testing.T, url string, limit int) ratelimit.Rule {
	t.Helper()
	rule := ratelimit.Rule{Name: "login-abusetest-" + uuid.NewString()[:8], Limit: limit, Window: time.Minute}
	redistest.DeleteKeys(t, url, "shopfloor:ratelimit:"+rule.Name+":*")
	return rule
}

func withRedis(url string, rule ratelimit.Rule) apitest.Option {
	return func(cfg *config.Config) {
		cfg.RedisURL = url
		cfg.RateLimitLogin = rule
	}
}

// Two replicas on one Redis enforce one limit: an attacker spreading guesses over
// the replicas behind a load balancer gets no more than the limit.
func TestRedisLimitIsSharedByReplicas(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	rule := uniqueRule(t, url, 4)
	a := apitest.New(t, withRedis(url, rule), trustLoopback(t))
	b := apitest.New(t, withRedis(url, rule), trustLoopback(t))
	user := a.CreateUser(apitest.UserOpts{})

	// Each attempt from another address, so only the per-email count is shared.
	ip := func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }
	res, body := login(t, a, user.Email, user.Password, ip(1))
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	res, body = login(t, a, user.Email, "Wrong-Passw0rd", ip(2))
	apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
	for i := 3; i <= 4; i++ { // replica b has no such account: a 401 for it
		res, body = login(t, b, user.Email, "Wrong-Passw0rd", ip(i))
		apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
	}
	res, body = login(t, a, user.Email, user.Password, ip(5))
	requireRateLimited(t, res, body, 60)
	res, body = login(t, b, user.Email, user.Password, ip(6))
	requireRateLimited(t, res, body, 60)

	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	defer c.Close()
	n, err := c.Get(context.Background(), "shopfloor:ratelimit:"+rule.Name+":email:"+user.Email).Int()
	require.NoError(t, err)
	require.Equal(t, 6, n, "both replicas counted in the same Redis key")
	require.NotContains(t, a.Logs()+b.Logs(), "cannot reach Redis")
}

// requireFallsBack asserts that with Redis gone, requests still succeed without each
// waiting for Redis to time out, logins are still limited (per process), and the log
// says Redis cannot be reached.
func requireFallsBack(t *testing.T, env *apitest.Env, user apitest.User, limit int) {
	t.Helper()
	requireServes(t, env) // the first request finds Redis gone
	fastest := time.Hour
	for range 5 {
		start := time.Now()
		res, body := env.Do(http.MethodGet, "/api/v1/products", "", nil)
		fastest = min(fastest, time.Since(start))
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	}
	// The limiter gives Redis 100ms per call; a request that waited for it every time
	// could not be this fast.
	require.Less(t, fastest, 100*time.Millisecond, "requests during the outage wait for Redis")
	for i := range limit {
		res, body := login(t, env, user.Email, "Wrong-Passw0rd", "")
		require.Less(t, res.StatusCode, 500, "attempt %d: %s", i+1, body)
		apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
	}
	res, body := login(t, env, user.Email, user.Password, "")
	requireRateLimited(t, res, body, 60)
	require.Contains(t, env.Logs(), "rate limiter cannot reach Redis")
	require.NotContains(t, env.Logs(), `"status":500`)
}

func TestRedisUnreachableFromTheStartFallsBackPerProcess(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	env := apitest.New(t, withRedis("redis://"+addr+"/0", ratelimit.Rule{Name: "login", Limit: 3, Window: time.Minute}),
		func(cfg *config.Config) {
			cfg.RateLimitGlobal = ratelimit.Rule{Name: "global", Limit: 1000, Window: time.Minute}
		})
	user := env.CreateUser(apitest.UserOpts{})
	requireFallsBack(t, env, user, 3)
}

func TestRedisStoppedAtRunTimeFallsBackPerProcess(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	rule := uniqueRule(t, r.URL, 3)
	env := apitest.New(t, withRedis(r.URL, rule))
	user := env.CreateUser(apitest.UserOpts{})

	res, body := login(t, env, user.Email, user.Password, "")
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.NotContains(t, env.Logs(), "cannot reach Redis", "Redis was up for the first login")

	r.Stop()
	// The per-process count starts afresh when Redis goes away: three more attempts
	// are answered, the fourth is refused.
	requireFallsBack(t, env, user, 3)
}
