package speccheck_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/speccheck"
)

// examples collects every example in the spec with the schema it must satisfy:
// each named schema's, each parameter's, and each request or response body's.
func examples(doc *openapi3.T) map[string]struct {
	schema  *openapi3.Schema
	example any
} {
	out := map[string]struct {
		schema  *openapi3.Schema
		example any
	}{}
	add := func(where string, schema *openapi3.SchemaRef, example any) {
		if example != nil && schema != nil {
			out[where] = struct {
				schema  *openapi3.Schema
				example any
			}{schema.Value, example}
		}
	}
	content := func(where string, c openapi3.Content) {
		for mediaType, mt := range c {
			add(where+" "+mediaType, mt.Schema, mt.Example)
			for name, ex := range mt.Examples {
				add(where+" "+mediaType+" examples."+name, mt.Schema, ex.Value.Value)
			}
			if mt.Schema != nil {
				add(where+" "+mediaType+" schema", mt.Schema, mt.Schema.Value.Example)
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		add("components.schemas."+name, s, s.Value.Example)
	}
	for name, p := range doc.Components.Parameters {
		add("components.parameters."+name, p.Value.Schema, p.Value.Example)
	}
	for name, r := range doc.Components.Responses {
		content("components.responses."+name, r.Value.Content)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				content(where+" request", op.RequestBody.Value.Content)
			}
			for status, r := range op.Responses.Map() {
				content(fmt.Sprintf("%s %s", where, status), r.Value.Content)
			}
			for _, p := range op.Parameters {
				add(where+" parameter "+p.Value.Name, p.Value.Schema, p.Value.Example)
			}
		}
	}
	return out
}

func TestEveryExampleInTheSpecIsValidAgainstItsSchema(t *testing.T) {
	doc, _, err := speccheck.Spec()
	require.NoError(t, err)
	all := examples(doc)
	for name := range doc.Components.Schemas {
		require.Contains(t, all, "components.schemas."+name, "every named schema has an example (the lint says so too)")
	}
	names := make([]string, 0, len(all))
	for where := range all {
		names = append(names, where)
	}
	sort.Strings(names)
	opts := append(speccheck.SchemaOptions(), openapi3.MultiErrors())
	for _, where := range names {
		e := all[where]
		require.NoError(t, e.schema.VisitJSON(normalize(t, e.example), opts...), "the example of %s", where)
	}
}

// normalize turns a YAML-decoded example into what JSON decoding would give, the
// form VisitJSON expects (numbers as float64, maps of string keys).
func normalize(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(t, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(t, e)
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}
