package server

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
)

// maxDetails bounds how many problems one error reply lists.
const maxDetails = 100

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

// requestErrorDetail names the parameter (or the body) a kin-openapi error is about.
func requestErrorDetail(re *openapi3filter.RequestError, message string) api.ErrorDetail {
	if re != nil && re.Parameter != nil {
		return apperr.Detail(re.Parameter.Name, api.ErrorDetailLocation(re.Parameter.In), message)
	}
	if re != nil && strings.Contains(re.Reason, "body") && strings.Contains(message, "missing") {
		message = "a JSON request body is required"
	}
	return apperr.Detail("body", api.Body, message)
}

var propertyReason = regexp.MustCompile(`^property "(.+)" is (missing|unsupported)$`)

// schemaErrorDetail turns one schema error into a detail; unknown says whether it is
// a field the operation does not take.
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
