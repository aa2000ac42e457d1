// Package apperr holds the typed application errors that handlers and middleware
// return, and the one place that maps them to HTTP statuses and the error envelope.
//
// A handler that knows what went wrong returns one of these; anything else it returns
// is unexpected, and the server answers it with a generic 500 and logs the cause.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/shopfloor/shopfloor/internal/api"
)

// Error is an expected failure with a status, a stable code and a readable message.
// Cause, when set, is logged but never sent to the client.
type Error struct {
	Status  int
	Code    api.ErrorCode
	Message string
	Details []api.ErrorDetail
	Cause   error
	// Headers are added to the response, e.g. Retry-After on 429.
	Headers map[string]string
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap lets errors.Is and errors.As see the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Detail builds one entry of an error's details.
func Detail(field string, location api.ErrorDetailLocation, message string) api.ErrorDetail {
	return api.ErrorDetail{Field: field, Location: location, Message: message}
}

// Validation reports every problem with a request at once.
func Validation(details ...api.ErrorDetail) *Error {
	return &Error{Status: http.StatusBadRequest, Code: api.VALIDATIONERROR, Message: "Request validation failed", Details: details}
}

// BadRequest reports a request that cannot even be read, such as malformed JSON.
func BadRequest(message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: api.BADREQUEST, Message: message}
}

// Unauthenticated reports missing or bad credentials.
func Unauthenticated(message string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: api.UNAUTHENTICATED, Message: message}
}

// Forbidden reports a caller who is known but may not do this.
func Forbidden(message string) *Error {
	return &Error{Status: http.StatusForbidden, Code: api.FORBIDDEN, Message: message}
}

// NotFound reports a resource that does not exist.
func NotFound(message string) *Error {
	return &Error{Status: http.StatusNotFound, Code: api.NOTFOUND, Message: message}
}

// Conflict reports a request that clashes with the current state; code is CONFLICT or
// a more specific one such as EMAIL_TAKEN.
func Conflict(code api.ErrorCode, message string, details ...api.ErrorDetail) *Error {
	return &Error{Status: http.StatusConflict, Code: code, Message: message, Details: details}
}

// RetryAfterUnavailable is the Retry-After, in seconds, of every 503: long enough
// for a database restart or failover to be noticed, short enough not to lose the client.
const RetryAfterUnavailable = "1"

// Unavailable reports that a dependency (the database) cannot serve right now, with
// the Retry-After the spec promises on every 503.
func Unavailable(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: api.SERVICEUNAVAILABLE,
		Message: "The service is temporarily unavailable; retry shortly", Cause: cause,
		Headers: map[string]string{"Retry-After": RetryAfterUnavailable}}
}

// Internal wraps an unexpected failure; the client sees only a generic message.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: api.INTERNALERROR,
		Message: "An unexpected error occurred", Cause: cause}
}

// As returns err as an *Error when it is one, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

type requestIDKey struct{}

// WithRequestID stores the request id so that every envelope can quote it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id stored by WithRequestID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Envelope renders e as the error envelope of the request in ctx.
func (e *Error) Envelope(ctx context.Context) api.ErrorEnvelope {
	env := api.ErrorEnvelope{Success: api.False}
	env.Error.Code = e.Code
	env.Error.Message = e.Message
	env.Error.RequestId = RequestID(ctx)
	if len(e.Details) > 0 {
		details := e.Details
		env.Error.Details = &details
	}
	return env
}
