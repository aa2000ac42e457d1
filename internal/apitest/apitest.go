// Package apitest runs the real Shopfloor server against a private PostgreSQL database
// and hands tests the generated Go client, wired so that every response is checked
// against openapi.yaml: a status, header or body the spec does not describe fails the
// test that received it.
package apitest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/logjson"
	"github.com/shopfloor/shopfloor/internal/metrics"
	"github.com/shopfloor/shopfloor/internal/pgtest"
	"github.com/shopfloor/shopfloor/internal/server"
	"github.com/shopfloor/shopfloor/internal/speccheck"
)

// TestJWTSecret signs the tokens of test servers; tests use it to forge tokens on
// purpose (expired, other algorithms).
const TestJWTSecret = "test-secret-that-is-at-least-32-bytes-long"

// Env is one running server with its own database.
type Env struct {
	T      testing.TB
	URL    string
	Pool   *database.Pool
	Config config.Config
	// Client calls the server through the spec-checking transport.
	Client *client.ClientWithResponses
	// HTTP is a plain client with the same checks, for requests the generated
	// client cannot make (malformed JSON, wrong content types, unknown routes).
	HTTP   *http.Client
	Tokens *auth.TokenIssuer
	logs   *SyncBuffer
	hasher *auth.Hasher
}

// Option adjusts the configuration of a test server before it starts.
type Option func(*config.Config)

// New starts a server on a fresh database for t and stops it when t ends.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	return start(t, nil, opts)
}

// NewTraced is New with tracing on: the server and its pool send their spans to tp
// (a provider over the SDK's in-memory exporter, in the tracing tests).
func NewTraced(t testing.TB, tp trace.TracerProvider, opts ...Option) *Env {
	t.Helper()
	return start(t, tp, opts)
}

func start(t testing.TB, tp trace.TracerProvider, opts []Option) *Env {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "APP_ENV":
			return config.EnvTest
		case "JWT_SECRET":
			return TestJWTSecret
		case "BCRYPT_COST":
			return "10"
		case "RATE_LIMIT_GLOBAL":
			return "off" // tests fire many requests from one IP; limit tests set their own
		case "RATE_LIMIT_LOGIN", "RATE_LIMIT_REGISTER", "RATE_LIMIT_REFRESH":
			return "1000/1m"
		case "BCRYPT_QUEUE_TIMEOUT":
			// Parallel tests (slower still under -race) register users by the dozen;
			// a registration queued behind them must wait, not be shed. The shedding
			// test sets its own.
			return "0"
		case "DB_QUERY_EXEC_MODE":
			// scripts/e2e-pgbouncer.sh runs the suite through PgBouncer with "exec".
			return os.Getenv(k)
		}
		return ""
	})
	require.NoError(t, err)
	cfg.DatabaseURL = pgtest.NewDB(t)
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	logs := &SyncBuffer{}
	// The production JSON handler, so that the log tests read what `serve` writes.
	log := slog.New(logjson.New(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New()
	pool, err := database.Open(ctx, cfg, database.Options{Log: log, ObserveQuery: m.ObserveQuery, Tracing: tp})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	srv, err := server.New(cfg, pool, log, m, server.WithTracing(tp))
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	tokens, err := auth.NewTokenIssuer(cfg.JWTSecret, cfg.JWTIssuer, cfg.JWTAudience, cfg.AccessTokenTTL)
	require.NoError(t, err)
	hasher, err := auth.NewHasher(cfg.BcryptCost, 4)
	require.NoError(t, err)

	c, httpClient := ClientFor(t, ts.URL, http.DefaultTransport)
	return &Env{T: t, URL: ts.URL, Pool: pool, Config: cfg, Client: c, HTTP: httpClient,
		Tokens: tokens, logs: logs, hasher: hasher}
}

// Logs returns everything the server has logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// UserOpts describes a user to create; zero fields get sensible unique defaults.
type UserOpts struct {
	Email, Name, Password, Role string
	Inactive                    bool
}

// User is a user made by CreateUser, with a valid access token.
type User struct {
	ID       uuid.UUID
	Email    string
	Password string
	Role     string
	Token    string
}

// Auth returns a request editor that sends u's access token.
func (u User) Auth() client.RequestEditorFn { return Bearer(u.Token) }

// Bearer returns a request editor that sends the given access token.
func Bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// CreateUser inserts a user straight into the database (faster than registering
// through the API, and able to make staff and admins) and mints an access token.
func (e *Env) CreateUser(o UserOpts) User {
	e.T.Helper()
	if o.Email == "" {
		o.Email = "user-" + uuid.NewString()[:8] + "@example.com"
	}
	if o.Name == "" {
		o.Name = "Test User"
	}
	if o.Password == "" {
		o.Password = "Password-123"
	}
	if o.Role == "" {
		o.Role = auth.RoleCustomer
	}
	ctx := context.Background()
	hash, err := e.hasher.Hash(ctx, o.Password)
	require.NoError(e.T, err)
	q := db.New(e.Pool)
	id, err := q.UserCreate(ctx, db.UserCreateParams{Email: strings.ToLower(o.Email), Name: o.Name, PasswordHash: hash, Role: o.Role})
	require.NoError(e.T, err)
	if o.Inactive {
		inactive := false
		_, err := q.UserUpdate(ctx, db.UserUpdateParams{ID: id, Active: &inactive})
		require.NoError(e.T, err)
	}
	token, _, err := e.Tokens.Issue(id, o.Role, time.Now())
	require.NoError(e.T, err)
	return User{ID: id, Email: strings.ToLower(o.Email), Password: o.Password, Role: o.Role, Token: token}
}

// CreateAccount makes an account as an operator does (`shopfloor user create`):
// through internal/account, with its rules, so the account is what a real
// deployment's would be.
func (e *Env) CreateAccount(a account.Account) uuid.UUID {
	e.T.Helper()
	id, err := account.Create(context.Background(), e.Pool, e.hasher, a, nil)
	require.NoError(e.T, err)
	return id
}

// Do sends a raw request through the checking transport and returns the status and
// body; for the requests the generated client cannot express.
func (e *Env) Do(method, path, contentType string, body []byte, headers ...string) (*http.Response, []byte) {
	e.T.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	require.NoError(e.T, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.HTTP.Do(req)
	require.NoError(e.T, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(e.T, err)
	return res, data
}

// SyncBuffer is a bytes.Buffer that one goroutine may read while another writes it:
// a server's logs, a subprocess's output.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ProxyURL starts a reverse proxy in front of the server that checks every response
// against the spec, for clients that are not Go (the TypeScript example, a browser):
// their traffic is held to the same contract as the Go tests'.
func (e *Env) ProxyURL() string {
	e.T.Helper()
	target, err := url.Parse(e.URL)
	require.NoError(e.T, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		body, err := speccheck.ReadBody(res)
		if err != nil {
			return err
		}
		if problem := CheckResponse(res.Request, res.StatusCode, res.Header, body); problem != "" {
			e.T.Errorf("response does not match openapi.yaml: %s %s → %d: %s\nbody: %s",
				res.Request.Method, res.Request.URL.Path, res.StatusCode, problem, truncate(body))
		}
		return nil
	}
	ts := httptest.NewServer(proxy)
	e.T.Cleanup(ts.Close)
	return ts.URL
}

// Tokenized mints an access token for a user that exists only in the token, for
// tests where the database is broken or absent: authentication reads only the token.
func (e *Env) Tokenized(o UserOpts) User {
	e.T.Helper()
	if o.Role == "" {
		o.Role = auth.RoleCustomer
	}
	id := uuid.New()
	token, _, err := e.Tokens.Issue(id, o.Role, time.Now())
	require.NoError(e.T, err)
	return User{ID: id, Email: o.Email, Role: o.Role, Token: token}
}

// RequirePagination checks a list's pagination block against want, except for the
// cursor's text: nextCursor must be present exactly when want's page is not the last
// (an exact total says whether one follows).
func RequirePagination(t testing.TB, want, got client.Pagination) {
	t.Helper()
	require.Equal(t, want.Page < want.Pages, got.NextCursor != nil,
		"nextCursor is present exactly when a page follows page %d of %d", want.Page, want.Pages)
	want.NextCursor, got.NextCursor = nil, nil
	require.Equal(t, want, got)
}

// Metric reads one sample from GET /metrics, 0 when the series does not exist yet.
// series is the name with its labels as the exposition writes them
// (`shopfloor_rate_limited_total{limit="login"}`).
func (e *Env) Metric(series string) float64 {
	e.T.Helper()
	res, body := e.Do(http.MethodGet, "/metrics", "", nil)
	require.Equal(e.T, http.StatusOK, res.StatusCode)
	return ParseMetrics(e.T, body)[series]
}

// ParseMetrics reads a Prometheus text exposition into its samples, keyed by series
// (the name with its labels, as written).
func ParseMetrics(t testing.TB, body []byte) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "sample %q", line)
		samples[line[:i]] = v
	}
	require.NoError(t, sc.Err())
	return samples
}

// OnReplicas points the server at a primary of the test's own and at streaming
// replicas of it (internal/pgcluster's StartStandby), with REPLICA_MAX_LAG maxLag:
// the reads marked for replicas then go to them.
func OnReplicas(primaryURL string, maxLag time.Duration, replicaURLs ...string) Option {
	return func(c *config.Config) {
		c.DatabaseURL = primaryURL
		c.DatabaseReplicaURLs = replicaURLs
		c.ReplicaMaxLag = maxLag
	}
}
