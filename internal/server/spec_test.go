package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor"
)

func loadSpec(t *testing.T, text string) (*openapi3.T, *openapi3.Loader) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(text))
	require.NoError(t, err)
	return doc, loader
}

// TestTheSpecsExamplesMatchTheirSchemas validates every example in openapi.yaml
// (request bodies, responses, schemas) against the schema it illustrates.
func TestTheSpecsExamplesMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	spec := string(shopfloor.OpenAPIYAML)
	require.NoError(t, checkExamples(t, spec))
	require.GreaterOrEqual(t, strings.Count(spec, "example:"), 25, "the spec illustrates its requests, responses and schemas")

	// The check is real: an example that breaks its schema is refused.
	broken := strings.Replace(spec, "        priceCents: 1999\n        stock: 100\n        archived: false",
		"        priceCents: 1999\n        stock: lots\n        archived: false", 1)
	require.NotEqual(t, spec, broken, "the Product example is where this test expects it")
	require.Error(t, checkExamples(t, broken))
}

// checkExamples validates the examples of request bodies, parameters and responses
// (kin-openapi's example validation) and of component schemas (walked here, since
// kin-openapi does not check a schema's own example).
func checkExamples(t *testing.T, spec string) error {
	doc, _ := loadSpec(t, spec)
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return err
	}
	for name, ref := range doc.Components.Schemas {
		if ref.Value == nil || ref.Value.Example == nil {
			continue
		}
		if err := ref.Value.VisitJSON(ref.Value.Example, openapi3.MultiErrors()); err != nil {
			return fmt.Errorf("example of schema %s: %w", name, err)
		}
	}
	return nil
}
