package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

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
		cause := fmt.Sprint(e.Cause)
		attrs := []any{"route", c.Path(), "status", e.Status, "cause", cause}
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
		if ok, suppressed := s.failures.allow(failureKey(cause), cause, time.Now()); ok {
			if suppressed > 0 {
				attrs = append(attrs, "suppressed", suppressed)
			}
			s.log.ErrorContext(ctx, "request failed", attrs...)
		}
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

// Failures with the same cause are logged at most failuresPerSecond times a second;
// the lines carry the count of those left out ("suppressed").
const failuresPerSecond = 3

// newFailureLog returns the throttle of handleError's "request failed" lines, which
// logs the count left out at the end of a second when no later line carries it.
func newFailureLog(log *slog.Logger) *failureThrottle {
	return newFailureThrottle(failuresPerSecond, time.Second, func(cause string, suppressed int) {
		log.Error("request failed", "cause", cause, "suppressed", suppressed)
	})
}

// numbers in a cause (addresses, ports, process ids) differ between failures that
// are the same one; failureKey leaves them out.
var numbers = regexp.MustCompile(`[0-9]+`)

func failureKey(cause string) string { return numbers.ReplaceAllLiteralString(cause, "#") }

func (s *Server) classify(err error) *apperr.Error {
	if e := apperr.As(err); e != nil {
		if e.Status >= http.StatusInternalServerError && database.Unavailable(e.Cause) {
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
	if database.Unavailable(err) {
		return apperr.Unavailable(err)
	}
	return apperr.Internal(err)
}
