package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
)

// checkBody enforces the size limit, the media type and well-formed JSON, and decodes
// the body, once: it returns the decoded value (nil for no body), which the validator
// checks, and leaves it on req.Body (ValidatedValue), where the generated strict
// handler binds it instead of decoding the JSON again.
func (s *Server) checkBody(req *http.Request, op *operation) (any, error) {
	if req.ContentLength > s.cfg.BodyLimitBytes {
		return nil, tooLarge(s.cfg.BodyLimitBytes)
	}
	data, err := io.ReadAll(io.LimitReader(req.Body, s.cfg.BodyLimitBytes+1))
	if err != nil {
		return nil, apperr.BadRequest("The request body could not be read")
	}
	if int64(len(data)) > s.cfg.BodyLimitBytes {
		return nil, tooLarge(s.cfg.BodyLimitBytes)
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	if len(bytes.TrimSpace(data)) == 0 {
		if op.bodyRequired {
			return nil, apperr.Validation(apperr.Detail("body", api.Body, "a JSON request body is required"))
		}
		return nil, nil
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEApplicationJSON {
		return nil, &apperr.Error{Status: http.StatusUnsupportedMediaType, Code: api.UNSUPPORTEDMEDIATYPE,
			Message: "The request body must be sent as Content-Type: application/json"}
	}
	if !utf8.Valid(data) {
		return nil, apperr.BadRequest("The request body is not valid UTF-8")
	}
	if jsonDepth(data) > maxJSONDepth {
		return nil, apperr.BadRequest(fmt.Sprintf("The request body nests deeper than %d levels", maxJSONDepth))
	}
	// Numbers stay json.Number, as kin-openapi decodes them; text after the first
	// JSON value (or a second document) is refused rather than ignored.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, apperr.BadRequest("The request body is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, apperr.BadRequest("The request body is not valid JSON")
	}
	req.Body = validatedBody{ReadCloser: req.Body, value: value}
	return value, nil
}

// validatedBody is the request body with its decoded value, which the generated
// strict handler binds (runtime.BindJSONValue, member names matched exactly) when the
// body has a ValidatedValue method.
type validatedBody struct {
	io.ReadCloser
	value any
}

// ValidatedValue returns the decoded body the validator checked.
func (b validatedBody) ValidatedValue() any { return b.value }

// maxJSONDepth bounds how deeply a request body may nest; no operation needs more
// than a few levels, and deep nesting only costs the decoder.
const maxJSONDepth = 32

// jsonDepth is the deepest nesting of objects and arrays in data, found in one pass
// without decoding (brackets inside strings do not count), so that a hostile body is
// refused before any decoder sees it.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch b {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			deepest = max(deepest, depth)
		case b == '}' || b == ']':
			depth--
		}
	}
	return deepest
}

// unstorableText finds text that PostgreSQL cannot store or compare (NUL characters,
// invalid UTF-8) in the parameters and in every string of a well-formed JSON body, so
// that it is refused as a validation error naming the field instead of failing in
// the database as a 500.
func unstorableText(c echo.Context, body any) []api.ErrorDetail {
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	var details []api.ErrorDetail
	for i, name := range c.ParamNames() {
		if bad(c.ParamValues()[i]) {
			details = append(details, apperr.Detail(name, api.Path, unstorableMessage))
		}
	}
	for name, values := range c.QueryParams() {
		if slices.ContainsFunc(values, bad) {
			details = append(details, apperr.Detail(name, api.Query, unstorableMessage))
		}
	}
	// Invalid UTF-8 in a body was refused by checkBody; only NUL (\u0000) remains.
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(e, append(path, k))
			}
		case []any:
			for i, e := range v {
				walk(e, append(path, strconv.Itoa(i)))
			}
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				field := strings.Join(path, ".")
				if field == "" {
					field = "body"
				}
				details = append(details, apperr.Detail(field, api.Body, unstorableMessage))
			}
		}
	}
	walk(body, nil)
	return details
}

// unknownQueryParams names every query parameter the operation does not take, so
// that a misspelt filter (?stauts=paid) is refused instead of silently ignored.
func unknownQueryParams(c echo.Context, op *operation) []api.ErrorDetail {
	var details []api.ErrorDetail
	for name := range c.QueryParams() {
		if _, ok := op.queryParams[name]; !ok {
			details = append(details, apperr.Detail(name, api.Query, "is not a parameter of this operation"))
		}
	}
	return details
}

// tooLarge is the 413 of a body over BODY_LIMIT_BYTES.
func tooLarge(limit int64) *apperr.Error {
	return &apperr.Error{Status: http.StatusRequestEntityTooLarge, Code: api.PAYLOADTOOLARGE,
		Message: fmt.Sprintf("The request body is larger than the limit of %d bytes", limit)}
}
