package server

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The texts of the problems the validator reports.

const unstorableMessage = "must be UTF-8 text without NUL characters"

// parseMessage says what a parameter that could not be parsed should have been.
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

// schemaMessage says in words what a schema keyword asked of a field.
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
