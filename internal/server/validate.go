package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/handler"
)

func init() {
	// kin-openapi checks only the formats it is told about; these are the ones the
	// spec uses. Email is checked as RFC 5322 addr-spec, without a display name.
	openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
		s = strings.TrimSpace(s)
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			return errors.New("must be a valid email address")
		}
		return nil
	}))
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
		if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
			return errors.New("must be a UUID")
		}
		return nil
	}))
}

// operation is what the validator and the auth middleware know about one route.
type operation struct {
	route        *routers.Route
	needsBearer  bool
	jsonBody     bool
	bodyRequired bool
	queryParams  map[string]bool
}

// operations maps Echo's method and route ("/path/:param") to the spec's operation,
// so that the request is routed once (by Echo) rather than again by a kin-openapi
// router.
type operations map[opKey]*operation

// opKey is a struct rather than one "METHOD path" string so that a lookup, which
// several middlewares make on every request, allocates nothing.
type opKey struct{ method, route string }

func loadOperations(spec []byte) (*openapi3.T, operations, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	ops := operations{}
	for path, item := range doc.Paths.Map() {
		echoPath := specPathToEcho(path)
		for method, op := range item.Operations() {
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			o := &operation{
				route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
			}
			for _, req := range security {
				if _, ok := req["bearerAuth"]; ok {
					o.needsBearer = true
				}
			}
			o.queryParams = map[string]bool{}
			for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range params {
					if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
						o.queryParams[p.Value.Name] = true
					}
				}
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				o.jsonBody = rb.Value.Content.Get("application/json") != nil
				o.bodyRequired = rb.Value.Required
			}
			ops[opKey{method, echoPath}] = o
		}
	}
	return doc, ops, nil
}

var specParam = regexp.MustCompile(`\{([^}]+)\}`)

func specPathToEcho(p string) string { return specParam.ReplaceAllString(p, ":$1") }

func (ops operations) lookup(c echo.Context) *operation {
	return ops[opKey{c.Request().Method, c.Path()}]
}

// validationOptions are the same for every request; kin-openapi only reads them.
// Defaults are not written into the request: handlers apply the spec's defaults
// themselves, and must see whether a parameter was sent (`page` and `cursor` exclude
// each other, while `page` has a default).
var validationOptions = &openapi3filter.Options{
	MultiError:          true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults: true,
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
		var body []byte
		if op.jsonBody {
			data, err := s.checkBody(req, op)
			if err != nil {
				return err
			}
			body = data
			c.Set(bodyKey, data)
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
			Options:    validationOptions,
		}
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			return translateValidation(err, append(textProblems, ruleProblems(op, body)...)...)
		}
		if len(textProblems) > 0 {
			return apperr.Validation(textProblems...)
		}
		return next(c)
	}
}

// checkBody enforces the size limit, the media type and well-formed JSON, and reads
// the body so the validator and the handler can both see it. It returns the body.
func (s *Server) checkBody(req *http.Request, op *operation) ([]byte, error) {
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
	// The validator and the binder both stop after the first JSON value, so trailing
	// text (or a second document) would otherwise be ignored rather than refused.
	if !json.Valid(data) {
		return nil, apperr.BadRequest("The request body is not valid JSON")
	}
	return data, nil
}

// maxDetails bounds how many problems one error reply lists.
const maxDetails = 100

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

// ruleProblems returns the handler's own checks of a body the schema refused, so the
// answer lists them too instead of only after the schema problems are fixed.
func ruleProblems(op *operation, body []byte) []api.ErrorDetail {
	var m map[string]any
	if len(body) == 0 || json.Unmarshal(body, &m) != nil {
		return nil
	}
	return handler.BodyProblems(op.route.Operation.OperationID, m)
}

const unstorableMessage = "must be UTF-8 text without NUL characters"

// unstorableText finds text that PostgreSQL cannot store or compare (NUL characters,
// invalid UTF-8) in the parameters and in every string of a well-formed JSON body, so
// that it is refused as a validation error naming the field instead of failing in
// the database as a 500.
func unstorableText(c echo.Context, body []byte) []api.ErrorDetail {
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
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return details // invalid UTF-8 in a body is replaced when decoded; only NUL remains
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return details
	}
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
	walk(v, nil)
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

func tooLarge(limit int64) *apperr.Error {
	return &apperr.Error{Status: http.StatusRequestEntityTooLarge, Code: api.PAYLOADTOOLARGE,
		Message: fmt.Sprintf("The request body is larger than the limit of %d bytes", limit)}
}

// translateValidation turns kin-openapi's errors into one envelope that lists every
// problem with its field, location and a readable message, together with extra
// problems found outside the spec about fields the spec found nothing wrong with.
func translateValidation(err error, extra ...api.ErrorDetail) error {
	var details []api.ErrorDetail
	malformed := false
	unknownOnly := true
	var walk func(err error, reqErr *openapi3filter.RequestError)
	walk = func(err error, reqErr *openapi3filter.RequestError) {
		// A MultiError is matched by its own type, not errors.As: errors.As would also
		// find one nested inside a RequestError and lose that error's parameter.
		if multi, ok := err.(openapi3.MultiError); ok {
			for _, e := range multi {
				walk(e, reqErr)
			}
			return
		}
		var re *openapi3filter.RequestError
		var se *openapi3.SchemaError
		var pe *openapi3filter.ParseError
		switch {
		case errors.As(err, &re) && re != reqErr:
			if re.Err == nil {
				details = append(details, requestErrorDetail(re, re.Reason))
				unknownOnly = false
				return
			}
			walk(re.Err, re)
		case errors.As(err, &se):
			d, unknown := schemaErrorDetail(se, reqErr)
			details = append(details, d)
			unknownOnly = unknownOnly && unknown
		case errors.As(err, &pe):
			if reqErr != nil && reqErr.Parameter == nil {
				malformed = true
				return
			}
			details = append(details, requestErrorDetail(reqErr, parseMessage(reqErr)))
			unknownOnly = false
		default:
			details = append(details, requestErrorDetail(reqErr, "is invalid"))
			unknownOnly = false
		}
	}
	walk(err, nil)
	if malformed {
		return apperr.BadRequest("The request body is not valid JSON")
	}
	reported := make(map[string]bool, len(details))
	for _, d := range details {
		reported[string(d.Location)+" "+d.Field] = true
	}
	for _, d := range extra {
		if !reported[string(d.Location)+" "+d.Field] {
			details = append(details, d)
			unknownOnly = false
		}
	}
	sort.SliceStable(details, func(i, j int) bool { return details[i].Field < details[j].Field })
	if len(details) > maxDetails {
		// Every problem is listed, up to a bound: a body of thousands of bad items
		// should not buy a reply bigger than itself.
		more := len(details) - maxDetails + 1
		details = append(details[:maxDetails-1], apperr.Detail("body", api.Body,
			fmt.Sprintf("and %d more problems like those above", more)))
	}
	e := apperr.Validation(details...)
	if unknownOnly && len(details) > 0 {
		e.Code = api.UNKNOWNFIELD
		e.Message = "The request body has fields this operation does not take"
	}
	return e
}

func requestErrorDetail(re *openapi3filter.RequestError, message string) api.ErrorDetail {
	if re != nil && re.Parameter != nil {
		return apperr.Detail(re.Parameter.Name, api.ErrorDetailLocation(re.Parameter.In), message)
	}
	if re != nil && strings.Contains(re.Reason, "body") && strings.Contains(message, "missing") {
		message = "a JSON request body is required"
	}
	return apperr.Detail("body", api.Body, message)
}

func parseMessage(re *openapi3filter.RequestError) string {
	if re == nil || re.Parameter == nil || re.Parameter.Schema == nil || re.Parameter.Schema.Value == nil {
		return "is not in the expected format"
	}
	switch t := re.Parameter.Schema.Value.Type; {
	case t.Is("integer"):
		return "must be a whole number"
	case t.Is("number"):
		return "must be a number"
	case t.Is("boolean"):
		return "must be true or false"
	}
	return "is not in the expected format"
}

var propertyReason = regexp.MustCompile(`^property "(.+)" is (missing|unsupported)$`)

func schemaErrorDetail(se *openapi3.SchemaError, re *openapi3filter.RequestError) (api.ErrorDetail, bool) {
	path := se.JSONPointer()
	unknown := false
	var msg string
	if m := propertyReason.FindStringSubmatch(se.Reason); m != nil {
		if m[2] == "missing" {
			msg = "is required" // the pointer already ends with the missing property
		} else {
			path = append(path, m[1])
			msg = "is not a known field"
			unknown = true
		}
	} else {
		msg = schemaMessage(se)
	}
	field := strings.Join(path, ".")
	location := api.Body
	if re != nil && re.Parameter != nil {
		location = api.ErrorDetailLocation(re.Parameter.In)
		field = re.Parameter.Name
	}
	if field == "" {
		field = "body"
	}
	return apperr.Detail(field, location, msg), unknown
}

func schemaMessage(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return "is invalid"
	}
	switch se.SchemaField {
	case "type":
		if s.Type != nil && len(*s.Type) > 0 {
			return "must be of type " + (*s.Type)[0]
		}
	case "minLength":
		return fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters long", *s.MaxLength)
		}
	case "pattern":
		return "is not in the expected format (" + s.Pattern + ")"
	case "format":
		switch s.Format {
		case "email":
			return "must be a valid email address"
		case "uuid":
			return "must be a UUID"
		case "date-time":
			return "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z"
		case "date":
			return "must be a date such as 2026-01-31"
		}
		return "must be a valid " + s.Format
	case "enum":
		vals := make([]string, 0, len(s.Enum))
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		return "must be one of: " + strings.Join(vals, ", ")
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf("must be at least %v", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("must be at most %v", *s.Max)
		}
	case "minItems":
		return fmt.Sprintf("must have at least %d items", s.MinItems)
	case "maxItems":
		if s.MaxItems != nil {
			return fmt.Sprintf("must have at most %d items", *s.MaxItems)
		}
	case "uniqueItems":
		return "must not repeat items"
	case "minProperties":
		return fmt.Sprintf("must have at least %d field(s)", s.MinProps)
	case "nullable":
		return "must not be null"
	}
	if se.Reason != "" {
		return se.Reason
	}
	return "is invalid"
}
