package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/ratelimit"
)

const bodyKey = "shopfloor.body"

// limitGlobal bounds the requests each client IP sends to the API, before any work is
// done on them.
func (s *Server) limitGlobal(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.RateLimitGlobal.Off() || !isAPIPath(c.Request().URL.Path) {
			return next(c)
		}
		if err := s.allow(c, s.cfg.RateLimitGlobal, c.RealIP()); err != nil {
			return err
		}
		return next(c)
	}
}

// limitAuth bounds logins, registrations and refreshes per client IP, and logins and
// registrations per email too, so that neither one address nor one account can be
// brute-forced. It runs after validation, when the body is known to be well formed.
func (s *Server) limitAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		op := s.ops.lookup(c)
		if op == nil {
			return next(c)
		}
		var rule ratelimit.Rule
		byEmail := false
		switch op.route.Operation.OperationID {
		case "loginUser":
			rule, byEmail = s.cfg.RateLimitLogin, true
		case "registerUser":
			rule, byEmail = s.cfg.RateLimitRegister, true
		case "refreshTokens":
			rule = s.cfg.RateLimitRefresh
		default:
			return next(c)
		}
		if err := s.allow(c, rule, "ip:"+c.RealIP()); err != nil {
			return err
		}
		if byEmail {
			body, _ := c.Get(bodyKey).(map[string]any) // decoded and validated already
			if email, _ := body["email"].(string); email != "" {
				if err := s.allow(c, rule, "email:"+strings.ToLower(strings.TrimSpace(email))); err != nil {
					return err
				}
			}
		}
		return next(c)
	}
}

func (s *Server) allow(c echo.Context, rule ratelimit.Rule, subject string) error {
	d, err := s.limiter.Allow(c.Request().Context(), rule, subject)
	if err != nil || d.Allowed {
		return nil // a limiter that cannot decide lets the request through
	}
	s.metrics.RateLimited.WithLabelValues(rule.Name).Inc()
	secs := int(math.Ceil(d.RetryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &apperr.Error{
		Status:  http.StatusTooManyRequests,
		Code:    api.RATELIMITED,
		Message: fmt.Sprintf("Too many requests (%s limit: %d per %s); retry in %d s", rule.Name, rule.Limit, rule.Window, secs),
		Headers: map[string]string{"Retry-After": strconv.Itoa(secs)},
	}
}
