// Package speccheck holds a response against openapi.yaml: status, headers and body,
// as the spec describes them for the request that got it. The end-to-end tests
// (internal/apitest) and the contract runner (`shopfloor contract`, internal/contract)
// both judge responses with it, so a deployment is held to the same contract as the
// test suite; it does not depend on package testing, so the binary may use it.
package speccheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/internal/account"
)

// requestIDPattern is the X-Request-Id every response must carry (openapi.yaml's
// info describes it): the caller's well-formed id, or a new one.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

// SchemaOptions are the options every validation against openapi.yaml needs: the
// server's request validator's, and the response checks'. kin-openapi checks only
// the string formats it is told about; these are the ones the spec uses that it does
// not know. Email is account.CheckEmail, the rule every way of creating an account
// uses.
func SchemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"email": openapi3.NewCallbackValidator(account.CheckEmail),
		"uuid": openapi3.NewCallbackValidator(func(s string) error {
			if !IsUUID(s) {
				return errors.New("must be a UUID")
			}
			return nil
		}),
	})}
}

// IsUUID is the spec's `format: uuid`: a UUID in its 36-character form.
func IsUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// Spec returns the parsed embedded openapi.yaml and a router over its paths that
// matches them on any host (test servers listen on random ports, deployments on
// their own names).
func Spec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		// The docs page, its script and the YAML contract are text; check them as
		// strings, as the spec declares them (kin-openapi would decode YAML).
		// kin-openapi keeps body decoders in a package registry, so they are
		// registered once, here, before the first check.
		for _, ct := range []string{"text/html", "text/javascript", "application/yaml"} {
			openapi3filter.RegisterBodyDecoder(ct, func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
				data, err := io.ReadAll(body)
				return string(data), err
			})
		}
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(shopfloor.OpenAPIYAML)
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(loader.Context); specErr != nil {
			return
		}
		specDoc.Servers = nil
		specRouter, specErr = legacy.NewRouter(specDoc)
	})
	return specDoc, specRouter, specErr
}

// Result is what Check found: the operation the request matched (empty for a path
// the spec does not have) and, when the response breaks the contract, what is wrong.
type Result struct {
	OperationID string
	// Path is the spec's path template ("/api/v1/products/{id}"), or the request's
	// path when no operation matches.
	Path    string
	Problem string
}

// Check returns what the spec says of the response to req: Problem is empty when the
// spec describes this status, these headers and this body for the operation, and
// otherwise names what is wrong. Responses to paths the spec does not have must be
// the error envelope, with 404 or 405.
func Check(req *http.Request, status int, header http.Header, body []byte) Result {
	res := Result{Path: req.URL.Path}
	doc, router, err := Spec()
	if err != nil {
		res.Problem = "spec: " + err.Error()
		return res
	}
	route, params, err := router.FindRoute(req)
	if err == nil {
		res.OperationID, res.Path = route.Operation.OperationID, route.Path
	}
	if id := header.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
		res.Problem = fmt.Sprintf("X-Request-Id %q is missing or malformed", id)
		return res
	}
	if err != nil {
		// Unknown path or method: the body must still be the error envelope.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			res.Problem = fmt.Sprintf("no operation matches, yet status is %d", status)
			return res
		}
		res.Problem = checkSchema(doc, "ErrorEnvelope", body)
		return res
	}
	if route.Operation.Responses.Value(strconv.Itoa(status)) == nil {
		res.Problem = fmt.Sprintf("operation %s does not document status %d", route.Operation.OperationID, status)
		return res
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: SchemaOptions(),
		},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		res.Problem = err.Error()
		return res
	}
	if status >= 400 {
		// Every error body is the envelope, whichever response the spec names.
		res.Problem = checkSchema(doc, "ErrorEnvelope", body)
	}
	return res
}

func checkSchema(doc *openapi3.T, name string, body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "body is not JSON: " + err.Error()
	}
	if err := doc.Components.Schemas[name].Value.VisitJSON(v, append(SchemaOptions(), openapi3.MultiErrors())...); err != nil {
		return "body is not a valid " + name + ": " + err.Error()
	}
	return ""
}

// ReadBody reads a response's whole body for a check and puts an unread copy back,
// so that whoever receives the response next reads it as if nothing had.
func ReadBody(res *http.Response) ([]byte, error) {
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}
