package server

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/handler"
	"github.com/shopfloor/shopfloor/internal/speccheck"
)

// newValidationOptions returns the request validator's options, made once per
// server and the same for every request; kin-openapi only reads them.
// The body is left out: checkBody has decoded it already, and validateBody checks
// that one decoded value against the schema. Defaults are not written into the
// request: handlers apply the spec's defaults themselves, and must see whether a
// parameter was sent (`page` and `cursor` exclude each other, while `page` has a
// default).
func newValidationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:              true,
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: speccheck.SchemaOptions(),
		ExcludeRequestBody:      true,
		SkipSettingDefaults:     true,
	}
}

// validateBody checks the decoded body against the operation's schema, with the
// options kin-openapi's own body validation uses, and reports a mismatch as it does
// (a RequestError about the body), so that translateValidation reads both alike.
func (s *Server) validateBody(input *openapi3filter.RequestValidationInput, op *operation, value any) error {
	opts := append([]openapi3.SchemaValidationOption{openapi3.VisitAsRequest(), openapi3.MultiErrors()},
		s.validation.SchemaValidationOptions...)
	if err := op.bodySchema.VisitJSON(value, opts...); err != nil {
		return &openapi3filter.RequestError{Input: input, RequestBody: op.route.Operation.RequestBody.Value,
			Reason: "doesn't match schema", Err: err}
	}
	return nil
}

// validateRequest checks the request against the spec before any handler runs: body
// size, content type, well-formed JSON, then every parameter and body field at once.
func (s *Server) validateRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		op := s.ops.lookup(c)
		if op == nil {
			return next(c)
		}
		req := c.Request()
		if op.plainRequest(c) {
			req.Body = http.NoBody // it takes none
			return next(c)
		}
		var body any // the body, decoded once: validated here, bound by the handler
		if op.jsonBody {
			value, err := s.checkBody(req, op)
			if err != nil {
				return err
			}
			body = value
			c.Set(bodyKey, value)
		} else {
			// An operation without a request body never sees one, whatever was sent.
			req.Body = http.NoBody
		}
		var params map[string]string // a nil map reads as empty: most routes have no path parameter
		if names := c.ParamNames(); len(names) > 0 {
			params = make(map[string]string, len(names))
			for i, name := range names {
				params[name] = c.ParamValues()[i]
			}
		}
		textProblems := append(unknownQueryParams(c, op), unstorableText(c, body)...)
		input := &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      op.route,
			Options:    s.validation,
		}
		var problems openapi3.MultiError
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			if multi, ok := err.(openapi3.MultiError); ok {
				problems = append(problems, multi...)
			} else {
				problems = append(problems, err)
			}
		}
		if body != nil {
			if err := s.validateBody(input, op, body); err != nil {
				problems = append(problems, err)
			}
		}
		if len(problems) > 0 {
			return translateValidation(problems, append(textProblems, ruleProblems(op, body)...)...)
		}
		if len(textProblems) > 0 {
			return apperr.Validation(textProblems...)
		}
		return next(c)
	}
}

// ruleProblems returns the handler's own checks of a body the schema refused, so the
// answer lists them too instead of only after the schema problems are fixed.
func ruleProblems(op *operation, body any) []api.ErrorDetail {
	m, ok := body.(map[string]any)
	if !ok {
		return nil
	}
	return handler.BodyProblems(op.route.Operation.OperationID, m)
}
