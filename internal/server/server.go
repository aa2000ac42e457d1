// Package server wires Shopfloor's HTTP stack: Echo, the middleware in the order the
// request meets it, the generated strict server, and the one error handler that
// writes every failure as the envelope.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/handler"
	"github.com/shopfloor/shopfloor/internal/logctx"
	"github.com/shopfloor/shopfloor/internal/metrics"
	"github.com/shopfloor/shopfloor/internal/ratelimit"
)

// Server is the HTTP side of Shopfloor, ready to be handed to an http.Server.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	echo    *echo.Echo
	ops     operations
	tokens  *auth.TokenIssuer
	metrics *metrics.Metrics
	limiter ratelimit.Limiter
	redis   *redis.Client
	// failures throttles the log lines of repeated 5xx causes.
	failures *failureThrottle
	// validation is how requests are checked against the spec.
	validation *openapi3filter.Options
}

// Close releases what the server holds besides the pool (the Redis client).
func (s *Server) Close() error {
	if s.redis != nil {
		return s.redis.Close()
	}
	return nil
}

// New builds the server on an open pool, reporting to m. It fails only on a bad
// configuration or an invalid embedded spec, both of which should stop the program
// at start.
func New(cfg config.Config, pool *database.Pool, log *slog.Logger, m *metrics.Metrics, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// Every line logged with a request's context, the request line included, carries
	// its request id and caller.
	log = logctx.Wrap(log)
	doc, ops, err := loadOperations(shopfloor.OpenAPIYAML)
	if err != nil {
		return nil, err
	}
	specJSON, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("render openapi.json: %w", err)
	}
	hasher, err := auth.NewHasherWith(cfg.BcryptCost, auth.HasherOptions{
		MaxConcurrent: cfg.BcryptMaxConcurrent,
		QueueTimeout:  cfg.BcryptQueueTimeout,
		Nice:          cfg.BcryptNice,
		Tracing:       o.tracing,
	})
	if err != nil {
		return nil, fmt.Errorf("BCRYPT_COST: %w", err)
	}
	tokens, err := auth.NewTokenIssuer(cfg.JWTSecret, cfg.JWTIssuer, cfg.JWTAudience, cfg.AccessTokenTTL)
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET: %w", err)
	}
	h := handler.New(handler.Deps{
		Pool:       pool,
		Log:        log,
		Hasher:     hasher,
		Tokens:     tokens,
		RefreshTTL: cfg.RefreshTokenTTL,
		SpecYAML:   shopfloor.OpenAPIYAML,
		SpecJSON:   specJSON,
		Metrics:    m,
		CursorKey:  handler.CursorKey(cfg.JWTSecret),
	})
	m.WatchPool(pool)
	m.WatchReplicas(pool)
	m.WatchPasswordChecks(hasher)

	s := &Server{cfg: cfg, log: log, ops: ops, tokens: tokens, metrics: m, limiter: ratelimit.NewMemory(),
		failures: newFailureLog(log), validation: newValidationOptions()}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		s.redis = redis.NewClient(opts)
		s.limiter = ratelimit.NewRedis(s.redis, s.limiter, log)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(cfg)
	chain := []echo.MiddlewareFunc{s.requestID}
	if o.tracing != nil {
		chain = append(chain, s.traceRequests(o.tracing))
	}
	chain = append(chain,
		s.measure,
		requestLine(log),
		errorsToHandler,
		s.secureHeaders,
		s.cors(),
		countQueries(cfg),
		s.recoverPanics,
		s.limitGlobal,
		s.validateRequest,
		readAfter(pool, log),
		s.limitAuth,
		s.authenticate,
	)
	e.Use(unrouted(ops, chain))
	api.RegisterHandlers(chainedRouter{e, chain}, api.NewStrictHandler(h, nil))
	s.echo = e
	return s, nil
}

// Handler returns the root http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

var wellFormedRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// requestID keeps a well-formed X-Request-Id from the caller (so a trace can cross
// services) and replaces anything else with a new one, then puts it in the response
// header and in the context, where every log line written with it finds it (logctx).
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(echo.HeaderXRequestID)
		if !wellFormedRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.SetRequest(req.WithContext(apperr.WithRequestID(req.Context(), id)))
		return next(c)
	}
}

// errorsToHandler writes a returned error through the error handler right away, so
// the request logger outside it sees the status that was really sent.
func errorsToHandler(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// panicError carries a recovered panic and its stack to the error handler.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// recoverPanics turns a panic in a handler into a 500 envelope; the server lives on.
func (s *Server) recoverPanics(next echo.HandlerFunc) (h echo.HandlerFunc) {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = apperr.Internal(&panicError{value: r, stack: debug.Stack()})
			}
		}()
		return next(c)
	}
}

// authenticate verifies the bearer token on every operation whose spec requires one
// and stores the caller in the context; public operations pass straight through.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		op := s.ops.lookup(c)
		if op == nil || !op.needsBearer {
			return next(c)
		}
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, token, found := strings.Cut(header, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return apperr.Unauthenticated("This operation needs an Authorization: Bearer <accessToken> header")
		}
		claims, err := s.tokens.Verify(strings.TrimSpace(token), time.Now())
		switch {
		case err == nil:
		case isExpired(err):
			return apperr.Unauthenticated("The access token has expired; refresh it or log in again")
		default:
			return apperr.Unauthenticated("The access token is invalid")
		}
		req := c.Request()
		c.SetRequest(req.WithContext(auth.WithCaller(req.Context(), claims)))
		return next(c)
	}
}

func ipExtractor(cfg config.Config) echo.IPExtractor {
	if len(cfg.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range cfg.TrustedProxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
