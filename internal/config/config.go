// Package config reads Shopfloor's settings from the environment and checks them all
// at start, so that a bad value stops the program with a message naming it instead of
// failing later under traffic.
package config

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/ratelimit"
)

// Environments the service knows. Development relaxes what only matters in production:
// a missing JWT secret is generated, stack traces appear in 500 bodies, and the demo
// credentials are printed.
const (
	EnvDevelopment = "development"
	EnvTest        = "test"
	EnvProduction  = "production"
)

// Config is every setting, already parsed and checked.
type Config struct {
	Env      string
	HTTPAddr string
	// DebugAddr is where net/http/pprof is served, on a listener of its own; empty
	// (the default) serves it nowhere.
	DebugAddr string

	DatabaseURL        string
	DBMaxConns         int32
	DBConnectTimeout   time.Duration
	DBIdleTimeout      time.Duration
	DBStatementTimeout time.Duration
	DBAcquireTimeout   time.Duration
	DBSlowQuery        time.Duration
	FiguresFoldEvery   time.Duration
	DBQueryExecMode    pgx.QueryExecMode
	// DatabaseReplicaURLs are streaming replicas of DATABASE_URL's server that
	// answer the reads marked for them (internal/database, ReplicaOK).
	DatabaseReplicaURLs []string
	ReplicaMaxLag       time.Duration

	JWTSecret       []byte
	JWTIssuer       string
	JWTAudience     string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration

	BcryptCost          int
	BcryptMaxConcurrent int
	BcryptQueueTimeout  time.Duration
	BcryptNice          int

	BodyLimitBytes int64
	TrustedProxies []*net.IPNet
	CORSOrigins    []string
	TLSCertFile    string
	TLSKeyFile     string

	RedisURL          string
	RateLimitGlobal   ratelimit.Rule
	RateLimitLogin    ratelimit.Rule
	RateLimitRegister ratelimit.Rule
	RateLimitRefresh  ratelimit.Rule

	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration

	Tracing Tracing
}

// Development reports whether the service runs with APP_ENV=development.
func (c Config) Development() bool { return c.Env == EnvDevelopment }

// Var documents one environment variable; Vars is the table the README shows.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable Load reads, with its default and meaning.
var Vars = []Var{
	{"APP_ENV", "production", "`development`, `test` or `production`. Development generates a JWT secret when none is set and shows stack traces in 500 bodies."},
	{"HTTP_ADDR", ":8080", "Address the HTTP server listens on."},
	{"DEBUG_ADDR", "(none)", "When set (e.g. `127.0.0.1:6060`), a second listener there serves `net/http/pprof` (`/debug/pprof/`) and nothing else; never the public port. Keep it on loopback or a private network."},
	{"DATABASE_URL", "(none)", "PostgreSQL connection URL. Required by `serve`; `dev` and `make run` start a local cluster under `.data/` when it is unset."},
	{"DB_MAX_CONNS", "20", "Most connections the pool opens (1–1000)."},
	{"DB_CONNECT_TIMEOUT", "2s", "How long opening one connection may take; a request that needs a new connection waits at most this for it."},
	{"DB_IDLE_TIMEOUT", "30s", "An idle connection is closed after this long."},
	{"DB_STATEMENT_TIMEOUT", "5s", "PostgreSQL `statement_timeout` for every connection; 0 disables it."},
	{"DB_ACQUIRE_TIMEOUT", "2s", "How long a request waits for a free connection, when all `DB_MAX_CONNS` are in use, before it gets 503 `SERVICE_UNAVAILABLE`; it also bounds the check of a connection idle for a while."},
	{"DB_SLOW_QUERY", "200ms", "Statements slower than this are logged (query name and duration, never parameters); 0 disables."},
	{"FIGURES_FOLD_INTERVAL", "1s", "How often `serve` folds the maintained figures' deltas (counts, sales, sign-ups) into their tables, so that reading them stays cheap; figures are exact either way."},
	{"DB_QUERY_EXEC_MODE", "cache_statement", "pgx query mode: `cache_statement` (prepared, fastest), or `exec` / `simple_protocol` behind PgBouncer in transaction pooling mode."},
	{"DATABASE_REPLICA_URLS", "(none)", "Comma-separated PostgreSQL URLs of streaming replicas of `DATABASE_URL`'s server. The reads that tolerate a moment of lag (catalog, lists, order views, dashboard, summary) go to them; writes, auth and idempotency stay on the primary. See \"Read replicas\"."},
	{"REPLICA_MAX_LAG", "5s", "A replica further behind the primary than this (or down) is taken out of rotation within a second, and back once it catches up."},
	{"JWT_SECRET", "(none)", "HMAC key for access tokens, at least 32 bytes. Required outside development."},
	{"JWT_ISSUER", "shopfloor", "`iss` claim written and required in access tokens."},
	{"JWT_AUDIENCE", "shopfloor-api", "`aud` claim written and required in access tokens."},
	{"ACCESS_TOKEN_TTL", "15m", "Lifetime of an access token."},
	{"REFRESH_TOKEN_TTL", "720h", "Lifetime of a refresh token."},
	{"BCRYPT_COST", "12", "bcrypt cost for new password hashes (10–31)."},
	{"BCRYPT_MAX_CONCURRENT", "half the CPUs (at least 1)", "Most bcrypt hashes computed at once, so a login flood cannot starve other requests."},
	{"BCRYPT_QUEUE_TIMEOUT", "2s", "How long a login, registration or password change waits for a bcrypt slot before it is answered 503 with Retry-After (0: as long as the request lasts)."},
	{"BCRYPT_NICE", "10", "How much lower (0–19, as `nice`) bcrypt's CPU priority is than request handling's, so reads keep their latency while logins flood (Linux; 0: same priority)."},
	{"BODY_LIMIT_BYTES", "1048576", "Largest request body accepted; larger ones get 413."},
	{"TRUSTED_PROXIES", "(none)", "Comma-separated IPs or CIDRs whose `X-Forwarded-For` is believed for the client IP."},
	{"CORS_ALLOWED_ORIGINS", "(none)", "Comma-separated origins (e.g. `https://shop.example.com`) allowed to call the API from a browser; none by default."},
	{"TLS_CERT_FILE", "(none)", "PEM certificate; with `TLS_KEY_FILE`, the server speaks HTTPS only and sends HSTS."},
	{"TLS_KEY_FILE", "(none)", "PEM private key for `TLS_CERT_FILE`."},
	{"REDIS_URL", "(none)", "When set (e.g. `redis://127.0.0.1:6379/0`), rate limits are shared by every replica through Redis; otherwise they are per process."},
	{"RATE_LIMIT_GLOBAL", "1200/1m", "Requests per client IP to `/api/v1`, as `N/window`; `off` disables."},
	{"RATE_LIMIT_LOGIN", "10/1m", "Login attempts per client IP and, separately, per email."},
	{"RATE_LIMIT_REGISTER", "5/1m", "Registrations per client IP and, separately, per email."},
	{"RATE_LIMIT_REFRESH", "30/1m", "Token refreshes per client IP."},
	{"LOG_LEVEL", "info", "`debug`, `info`, `warn` or `error`."},
	{"LOG_FORMAT", "json", "`json` or `text`."},
	{"SHUTDOWN_TIMEOUT", "15s", "How long SIGTERM waits for in-flight requests before closing."},
	// The OpenTelemetry variables, with their standard names and meanings
	// (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables); the
	// SDK and the OTLP exporter read them again themselves, so Load only checks them
	// and decides whether tracing is on (otel.go).
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "(none)", "OTLP collector base URL (e.g. `http://otel-collector:4318`); traces go to its `/v1/traces`. Tracing is on only when this or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; unset, it costs nothing (no exporter, no spans)."},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "(none)", "Full OTLP URL for traces, used as it is (overrides the endpoint above)."},
	{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "`http/protobuf` or `grpc` (then the endpoint is the collector's gRPC port, e.g. `http://otel-collector:4317`); `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` overrides it for traces. `OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`, `…_INSECURE` and `…_CERTIFICATE` work as the standard says."},
	{"OTEL_SERVICE_NAME", "shopfloor", "`service.name` of the traces; `OTEL_RESOURCE_ATTRIBUTES` adds others (e.g. `deployment.environment.name=prod`)."},
	{"OTEL_TRACES_SAMPLER", "parentbased_always_on", "`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off` or `parentbased_traceidratio`: which requests are traced (parent-based ones follow the caller's `traceparent` sampled flag)."},
	{"OTEL_TRACES_SAMPLER_ARG", "1.0", "The ratio (0–1) of the `traceidratio` samplers."},
	{"OTEL_TRACES_EXPORTER", "otlp", "`otlp`, or `none` to turn tracing off."},
	{"OTEL_SDK_DISABLED", "false", "`true` turns tracing off whatever else is set."},
}

// Load reads and checks every variable the server needs through getenv (os.Getenv in
// production, a map in tests). It returns every problem at once, each naming its
// variable.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := p.database()
	c.HTTPAddr = p.str("HTTP_ADDR", ":8080")
	c.DebugAddr = p.debugAddr("DEBUG_ADDR", c.HTTPAddr)
	c.JWTIssuer = p.str("JWT_ISSUER", "shopfloor")
	c.JWTAudience = p.str("JWT_AUDIENCE", "shopfloor-api")
	c.AccessTokenTTL = p.duration("ACCESS_TOKEN_TTL", 15*time.Minute, time.Second)
	c.RefreshTokenTTL = p.duration("REFRESH_TOKEN_TTL", 720*time.Hour, time.Minute)
	c.BcryptMaxConcurrent = p.intRange("BCRYPT_MAX_CONCURRENT", max(1, runtime.NumCPU()/2), 1, 1024)
	c.BcryptQueueTimeout = p.duration("BCRYPT_QUEUE_TIMEOUT", 2*time.Second, 0)
	c.BcryptNice = p.intRange("BCRYPT_NICE", 10, 0, 19)
	c.BodyLimitBytes = int64(p.intRange("BODY_LIMIT_BYTES", 1<<20, 1024, 1<<30))
	c.TrustedProxies = p.networks("TRUSTED_PROXIES")
	c.CORSOrigins = p.list("CORS_ALLOWED_ORIGINS")
	c.TLSCertFile = p.str("TLS_CERT_FILE", "")
	c.TLSKeyFile = p.str("TLS_KEY_FILE", "")
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		p.fail("TLS_CERT_FILE", "and TLS_KEY_FILE must be set together")
	} else if c.TLSCertFile != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile); err != nil {
			p.fail("TLS_CERT_FILE", "and TLS_KEY_FILE do not hold a usable certificate and key: "+err.Error())
		}
	}
	c.RedisURL = p.str("REDIS_URL", "")
	c.RateLimitGlobal = p.rule("RATE_LIMIT_GLOBAL", "global", "1200/1m")
	c.RateLimitLogin = p.rule("RATE_LIMIT_LOGIN", "login", "10/1m")
	c.RateLimitRegister = p.rule("RATE_LIMIT_REGISTER", "register", "5/1m")
	c.RateLimitRefresh = p.rule("RATE_LIMIT_REFRESH", "refresh", "30/1m")
	c.ShutdownTimeout = p.duration("SHUTDOWN_TIMEOUT", 15*time.Second, time.Second)
	c.FiguresFoldEvery = p.duration("FIGURES_FOLD_INTERVAL", time.Second, 10*time.Millisecond)
	c.Tracing = p.tracing()
	c.DatabaseReplicaURLs = p.databaseURLs("DATABASE_REPLICA_URLS")
	c.ReplicaMaxLag = p.duration("REPLICA_MAX_LAG", 5*time.Second, 100*time.Millisecond)

	switch secret := getenv("JWT_SECRET"); {
	case secret == "" && c.Env == EnvDevelopment:
		c.JWTSecret = randomSecret()
	case secret == "":
		p.fail("JWT_SECRET", "is required outside development (at least 32 bytes)")
	case len(secret) < 32:
		p.fail("JWT_SECRET", fmt.Sprintf("must be at least 32 bytes, got %d", len(secret)))
	default:
		c.JWTSecret = []byte(secret)
	}
	return c, errors.Join(p.errs...)
}

// LoadDatabase reads only what the database commands (migrate, user create, seed)
// need, so an operator can run them without the server's secrets.
func LoadDatabase(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := p.database()
	return c, errors.Join(p.errs...)
}

func (p *parser) database() Config {
	return Config{
		Env:                p.oneOf("APP_ENV", EnvProduction, EnvDevelopment, EnvTest, EnvProduction),
		DatabaseURL:        strings.TrimSpace(p.getenv("DATABASE_URL")),
		DBMaxConns:         int32(p.intRange("DB_MAX_CONNS", 20, 1, 1000)),
		DBConnectTimeout:   p.duration("DB_CONNECT_TIMEOUT", 2*time.Second, time.Millisecond),
		DBIdleTimeout:      p.duration("DB_IDLE_TIMEOUT", 30*time.Second, time.Second),
		DBStatementTimeout: p.duration("DB_STATEMENT_TIMEOUT", 5*time.Second, 0),
		DBAcquireTimeout:   p.duration("DB_ACQUIRE_TIMEOUT", 2*time.Second, time.Millisecond),
		DBSlowQuery:        p.duration("DB_SLOW_QUERY", 200*time.Millisecond, 0),
		DBQueryExecMode:    p.execMode("DB_QUERY_EXEC_MODE"),
		BcryptCost:         p.intRange("BCRYPT_COST", 12, 10, 31),
		LogLevel:           p.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		LogFormat:          p.oneOf("LOG_FORMAT", "json", "json", "text"),
	}
}

func randomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return []byte(hex.EncodeToString(b))
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, problem string) {
	p.errs = append(p.errs, fmt.Errorf("%s %s", name, problem))
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := p.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), v))
	return def
}

func (p *parser) intRange(name string, def, lo, hi int) int {
	raw := strings.TrimSpace(p.getenv(name))
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Sprintf("must be a whole number from %d to %d, got %q", lo, hi, raw))
		return def
	}
	return n
}

func (p *parser) duration(name string, def, lo time.Duration) time.Duration {
	raw := strings.TrimSpace(p.getenv(name))
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < lo {
		p.fail(name, fmt.Sprintf("must be a duration such as 30s or 5m, at least %s, got %q", lo, raw))
		return def
	}
	return d
}

// debugAddr reads the profiling listener's address: host:port (the host may be
// empty, for every interface), on another port than the public one, so that
// profiles can never be reached where the API is.
func (p *parser) debugAddr(name, public string) string {
	v := p.str(name, "")
	if v == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
		p.fail(name, fmt.Sprintf("must be host:port with a port from 1 to 65535, such as 127.0.0.1:6060, got %q", v))
		return ""
	}
	if _, publicPort, err := net.SplitHostPort(public); err == nil && publicPort == port {
		p.fail(name, fmt.Sprintf("must not use the public port of HTTP_ADDR (%s): profiles are served only on a listener of their own", public))
		return ""
	}
	return v
}

var execModes = map[string]pgx.QueryExecMode{
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

func (p *parser) execMode(name string) pgx.QueryExecMode {
	v := p.oneOf(name, "cache_statement", "cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol")
	return execModes[v]
}

func (p *parser) rule(name, ruleName, def string) ratelimit.Rule {
	r, err := ratelimit.ParseRule(ruleName, p.str(name, def))
	if err != nil {
		p.fail(name, err.Error())
	}
	return r
}

func (p *parser) list(name string) []string {
	var out []string
	for _, part := range strings.Split(p.getenv(name), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// databaseURLs reads a list of PostgreSQL URLs. A bad entry is named by its
// position, never quoted: it may hold a password.
func (p *parser) databaseURLs(name string) []string {
	urls := p.list(name)
	for i, u := range urls {
		if _, err := pgx.ParseConfig(u); err != nil {
			p.fail(name, fmt.Sprintf("entry %d of %d is not a valid PostgreSQL URL", i+1, len(urls)))
		}
	}
	return urls
}

func (p *parser) networks(name string) []*net.IPNet {
	var nets []*net.IPNet
	for _, part := range strings.Split(p.getenv(name), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			p.fail(name, fmt.Sprintf("has %q, which is neither an IP nor a CIDR", part))
			continue
		}
		nets = append(nets, n)
	}
	return nets
}
