package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// incr counts a request in a fixed window that starts with the subject's first
// request, atomically, and returns the count and the milliseconds left in the window.
var incr = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`)

// Redis is a Limiter shared by every replica that points at the same Redis. When
// Redis fails it falls back to a per-process limiter (so nothing turns into a 500
// and logins stay bounded per replica) and logs the failure at most every 10s.
// After a failure it leaves Redis alone for a moment, so that an outage costs a
// replica one timeout now and then rather than one on every request.
type Redis struct {
	client    redis.UniversalClient
	fallback  Limiter
	log       *slog.Logger
	lastLog   atomic.Int64
	downUntil atomic.Int64 // UnixNano before which Redis is not asked
	timeout   time.Duration
}

// redisRetryAfter is how long the limiter counts per process after Redis failed
// before it asks Redis again.
const redisRetryAfter = 2 * time.Second

// NewRedis returns a limiter over client with fallback for when Redis fails.
func NewRedis(client redis.UniversalClient, fallback Limiter, log *slog.Logger) *Redis {
	return &Redis{client: client, fallback: fallback, log: log, timeout: 100 * time.Millisecond}
}

// Allow counts the request in Redis, or in the fallback when Redis does not answer.
func (r *Redis) Allow(ctx context.Context, rule Rule, subject string) (Decision, error) {
	if rule.Off() {
		return Decision{Allowed: true}, nil
	}
	if time.Now().UnixNano() < r.downUntil.Load() {
		return r.fallback.Allow(ctx, rule, subject)
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := incr.Run(callCtx, r.client, []string{"shopfloor:ratelimit:" + rule.Name + ":" + subject},
		rule.Window.Milliseconds()).Int64Slice()
	if err != nil || len(res) != 2 {
		now := time.Now().UnixNano()
		if ctx.Err() == nil { // the request's own end says nothing about Redis
			r.downUntil.Store(now + int64(redisRetryAfter))
		}
		if now-r.lastLog.Load() > int64(10*time.Second) {
			r.lastLog.Store(now)
			r.log.WarnContext(ctx, "rate limiter cannot reach Redis; limiting per replica until it returns", "error", errString(err))
		}
		return r.fallback.Allow(ctx, rule, subject)
	}
	if int(res[0]) > rule.Limit {
		return Decision{RetryAfter: time.Duration(res[1]) * time.Millisecond}, nil
	}
	return Decision{Allowed: true}, nil
}

func errString(err error) string {
	if err == nil {
		return "unexpected reply"
	}
	return err.Error()
}

// LogRedisThrough sends the Redis client's own messages (failed dials, pool trouble),
// which go-redis otherwise prints to stderr as plain text, through log as warnings,
// so that every line the service writes is a structured log line. go-redis has one
// logger per process, so the command that starts the server sets it, once.
func LogRedisThrough(log *slog.Logger) { redis.SetLogger(redisLog{log}) }

type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
