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
//
// The values are assigned as shared one-element slices rather than through
// Header.Set, which would allocate a slice per header per request; nothing appends
// to them (a capacity of one makes any append copy).
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	tls := s.cfg.TLSCertFile != ""
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["X-Frame-Options"] = hdrDeny
		h["Referrer-Policy"] = hdrNoReferrer
		if p := c.Request().URL.Path; p == "/docs" || strings.HasPrefix(p, "/docs/") {
			h["Content-Security-Policy"] = hdrDocsCSP
		} else {
			h["Content-Security-Policy"] = hdrAPICSP
		}
		if tls {
			h["Strict-Transport-Security"] = hdrHSTS
		}
		if c.Request().Header.Get(echo.HeaderAuthorization) != "" || strings.HasPrefix(c.Request().URL.Path, "/api/v1/auth/") {
			h["Cache-Control"] = hdrNoStore
		}
		return next(c)
	}
}

// headerValue is a shared, read-only header value (capacity one, so an append copies).
func headerValue(v string) []string { return []string{v}[:1:1] }

var (
	hdrNosniff    = headerValue("nosniff")
	hdrDeny       = headerValue("DENY")
	hdrNoReferrer = headerValue("no-referrer")
	hdrDocsCSP    = headerValue(docs.ContentSecurityPolicy)
	hdrAPICSP     = headerValue("default-src 'none'; frame-ancestors 'none'")
	hdrHSTS       = headerValue("max-age=63072000; includeSubDomains")
	hdrNoStore    = headerValue("no-store")
)

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
			"If-Match", "If-None-Match", echo.HeaderXRequestID, ReadAfterHeader},
		ExposeHeaders: []string{echo.HeaderXRequestID, "ETag", "Retry-After", ReadAfterHeader},
		MaxAge:        600,
	})
}

func isAPIPath(path string) bool { return strings.HasPrefix(path, "/api/") }
