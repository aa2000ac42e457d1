package scripts_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// lint runs lint-spec.sh on spec and returns its output and whether it passed.
func lint(t *testing.T, spec string) (string, bool) {
	t.Helper()
	out, err := exec.Command("./lint-spec.sh", writeSpec(t, spec)).CombinedOutput()
	return string(out), err == nil
}

// TestEachOfTheProjectsLintRulesFailsASpecThatBreaksIt lints a copy of openapi.yaml
// broken in one way per rule of redocly.yaml, and checks that exactly that rule
// reports it.
func TestEachOfTheProjectsLintRulesFailsASpecThatBreaksIt(t *testing.T) {
	spec := committedSpec(t)
	out, ok := lint(t, spec) // also installs Redocly once, before the parallel runs
	require.True(t, ok, "the committed spec passes the lint:\n%s", out)

	// cut removes the first occurrence of part, which must be there.
	cut := func(t *testing.T, part string) string {
		t.Helper()
		require.Contains(t, spec, part)
		return strings.Replace(spec, part, "", 1)
	}
	// swap replaces the first occurrence of old, which must be there.
	swap := func(t *testing.T, old, new string) string {
		t.Helper()
		require.Contains(t, spec, old)
		return strings.Replace(spec, old, new, 1)
	}
	cases := []struct {
		rule    string
		breakIt func(t *testing.T) string
	}{
		{"rule/operation-ids-are-camel-case", func(t *testing.T) string {
			return swap(t, "operationId: getHealth\n", "operationId: get_health\n")
		}},
		{"rule/error-responses-use-the-envelope", func(t *testing.T) string {
			return swap(t, "    NotFound:\n      description: '`NOT_FOUND`: no such resource.'\n      content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/ErrorEnvelope'\n",
				"    NotFound:\n      description: '`NOT_FOUND`: no such resource.'\n      content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/HealthEnvelope'\n")
		}},
		{"rule/api-operations-declare-server-errors", func(t *testing.T) string {
			// registerUser's 503 is the first in the file.
			return cut(t, "        '503':\n          $ref: '#/components/responses/ServiceUnavailable'\n")
		}},
		{"rule/secured-operations-declare-401", func(t *testing.T) string {
			return swap(t, "                $ref: '#/components/schemas/UserEnvelope'\n        '401':\n          $ref: '#/components/responses/Unauthenticated'\n        '429':",
				"                $ref: '#/components/schemas/UserEnvelope'\n        '429':")
		}},
		{"rule/schemas-have-examples", func(t *testing.T) string {
			return cut(t, "      example:\n        field: email\n        location: body\n        message: must be a valid email address\n")
		}},
		{"rule/responses-have-examples", func(t *testing.T) string {
			return cut(t, "                example: '/*! For license information please see redoc.standalone.js.LICENSE.txt */'\n")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.rule+" fails a spec that breaks it", func(t *testing.T) {
			t.Parallel()
			out, ok := lint(t, tc.breakIt(t))
			require.False(t, ok, out)
			require.Contains(t, out, tc.rule, "the rule that was broken reports it:\n%s", out)
			for _, other := range cases {
				if other.rule != tc.rule {
					require.NotContains(t, out, other.rule, "only the broken rule reports:\n%s", out)
				}
			}
		})
	}
}
