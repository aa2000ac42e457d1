package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/shopfloor/shopfloor/internal/docs"
)

// secureHeaders sets the headers every API response should carry: no MIME sniffing,
// no framing, no referrer, HSTS when serving TLS, and no caching of anything that was
// asked for with credentials or that hands them out (the auth operations answer with
// tokens to requests that carry none).
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	tls := s.cfg.TLSCertFile != ""
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if p := c.Request().URL.Path; p == "/docs" || strings.HasPrefix(p, "/docs/") {
			h.Set("Content-Security-Policy", docs.ContentSecurityPolicy)
		} else {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		if tls {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if c.Request().Header.Get(echo.HeaderAuthorization) != "" || strings.HasPrefix(c.Request().URL.Path, "/api/v1/auth/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// cors allows browsers on the configured origins to call the API; with no origins
// configured it does nothing, so no cross-origin browser call is allowed.
func (s *Server) cors() echo.MiddlewareFunc {
	if len(s.cfg.CORSOrigins) == 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: s.cfg.CORSOrigins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key",
			"If-Match", "If-None-Match", echo.HeaderXRequestID},
		ExposeHeaders: []string{echo.HeaderXRequestID, "ETag", "Retry-After"},
		MaxAge:        600,
	})
}

func isAPIPath(path string) bool { return strings.HasPrefix(path, "/api/") }
