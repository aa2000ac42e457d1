package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/database"
)

func isExpired(err error) bool { return errors.Is(err, auth.ErrTokenExpired) }

// handleError is Echo's HTTPErrorHandler: the one place every failure becomes the
// envelope. Expected errors keep their status and code; anything else is a 500 (or a
// 503 when the database cannot be reached) whose cause is logged here, once, and
// never sent to the client outside development.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ctx := c.Request().Context()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// The client went away before the answer was ready: nobody reads a reply,
		// and it is not a server failure. nginx's 499 marks it in logs and metrics.
		c.Response().WriteHeader(499)
		return
	}
	e := s.classify(err)
	env := e.Envelope(ctx)
	if e.Status >= http.StatusInternalServerError {
		attrs := []any{"requestId", apperr.RequestID(ctx), "route", c.Path(), "status", e.Status, "cause", fmt.Sprint(e.Cause)}
		if caller, ok := auth.Caller(ctx); ok {
			attrs = append(attrs, "userId", caller.UserID.String())
		}
		var p *panicError
		if errors.As(err, &p) {
			attrs = append(attrs, "stack", string(p.stack))
			if s.cfg.Development() {
				stack := string(p.stack)
				env.Error.Stack = &stack
			}
		} else if s.cfg.Development() && e.Cause != nil {
			cause := e.Cause.Error()
			env.Error.Stack = &cause
		}
		s.log.ErrorContext(ctx, "request failed", attrs...)
	}
	for k, v := range e.Headers {
		c.Response().Header().Set(k, v)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(e.Status)
		return
	}
	_ = c.JSON(e.Status, env)
}

func (s *Server) classify(err error) *apperr.Error {
	if e := apperr.As(err); e != nil {
		if e.Status >= http.StatusInternalServerError && unavailable(e.Cause) {
			return apperr.Unavailable(e.Cause)
		}
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return apperr.NotFound("No route matches this path")
		case http.StatusMethodNotAllowed:
			return &apperr.Error{Status: http.StatusMethodNotAllowed, Code: api.METHODNOTALLOWED,
				Message: "This path does not support this HTTP method"}
		case http.StatusRequestEntityTooLarge:
			return tooLarge(s.cfg.BodyLimitBytes)
		case http.StatusUnsupportedMediaType:
			return &apperr.Error{Status: he.Code, Code: api.UNSUPPORTEDMEDIATYPE, Message: "Unsupported Content-Type"}
		case http.StatusBadRequest:
			return apperr.BadRequest("The request could not be read")
		}
		if he.Code < http.StatusInternalServerError {
			return &apperr.Error{Status: he.Code, Code: api.BADREQUEST, Message: http.StatusText(he.Code)}
		}
		err = fmt.Errorf("%v: %w", he.Message, he.Internal)
	}
	if unavailable(err) {
		return apperr.Unavailable(err)
	}
	return apperr.Internal(err)
}

// unavailable reports whether err means the database could not be reached (as
// opposed to a query that failed), so the client gets a retryable 503.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, database.ErrAcquireTimeout):
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300", "57014": // shutdown, crash, cannot connect now, too many connections, statement timeout
			return true
		}
	}
	return pgconn.SafeToRetry(err)
}
