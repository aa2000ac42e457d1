// Package scripts_test checks the repository's own guard scripts.
package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeSpec writes spec to a file of its own and returns the file's path.
func writeSpec(t *testing.T, spec string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	require.NoError(t, os.WriteFile(path, []byte(spec), 0o644))
	return path
}

// committedPath is the committed openapi.yaml's absolute path.
func committedPath(t *testing.T) string {
	t.Helper()
	base, err := filepath.Abs("../openapi.yaml")
	require.NoError(t, err)
	return base
}

// runCheck runs api-check.sh with the committed spec as the base and newSpec as the
// change.
func runCheck(t *testing.T, newSpec string) (string, error) {
	t.Helper()
	out, err := exec.Command("./api-check.sh", committedPath(t), writeSpec(t, newSpec)).CombinedOutput()
	return string(out), err
}

// committedSpec returns openapi.yaml as committed.
func committedSpec(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../openapi.yaml")
	require.NoError(t, err)
	return string(raw)
}

// withoutLogout removes the logout operation from spec: a breaking change.
func withoutLogout(t *testing.T, spec string) string {
	t.Helper()
	start := strings.Index(spec, "  /api/v1/auth/logout:")
	end := strings.Index(spec, "  /api/v1/auth/me:")
	require.True(t, start > 0 && end > start, "the spec still has logout followed by me")
	return spec[:start] + spec[end:]
}

// withActiveFilter adds an optional query parameter to listUsers: an addition.
func withActiveFilter(spec string) string {
	return strings.Replace(spec, "        - name: role\n", "        - name: active\n          in: query\n          schema:\n            type: boolean\n        - name: role\n", 1)
}

func TestTheBreakingChangeGuard(t *testing.T) {
	spec := committedSpec(t)
	withoutLogout := withoutLogout(t, spec)
	require.Contains(t, spec, "\n  version: 1.", "the guard test assumes a 1.x spec")

	t.Run("an unchanged spec passes", func(t *testing.T) {
		out, err := runCheck(t, spec)
		require.NoError(t, err, out)
		require.Contains(t, out, "no breaking change")
	})
	t.Run("an added optional query parameter passes", func(t *testing.T) {
		out, err := runCheck(t, withActiveFilter(spec))
		require.NoError(t, err, out)
	})
	t.Run("a removed operation fails without a new major version", func(t *testing.T) {
		out, err := runCheck(t, withoutLogout)
		require.Error(t, err, out)
		require.Contains(t, out, "api-path-removed")
		require.Contains(t, out, "without a new major")
	})
	t.Run("a removed operation passes with a new major version", func(t *testing.T) {
		bumped := strings.Replace(withoutLogout, "\n  version: 1.", "\n  version: 2.", 1)
		out, err := runCheck(t, bumped)
		require.NoError(t, err, out)
		require.Contains(t, out, "major went up")
	})
}

// TestTheMarkdownDiff shows the pull-request comment `make api-diff FORMAT=markdown`
// prints for a change with one breaking change (an operation removed) and one
// addition (an optional query parameter): the breaking change first, each line with
// its operation's method and path.
func TestTheMarkdownDiff(t *testing.T) {
	path := writeSpec(t, withActiveFilter(withoutLogout(t, committedSpec(t))))
	base := committedPath(t)

	markdown := func(t *testing.T, newSpec string) string {
		t.Helper()
		cmd := exec.Command("./api-diff.sh", base, newSpec)
		cmd.Env = append(os.Environ(), "FORMAT=markdown")
		raw, err := cmd.CombinedOutput()
		require.NoError(t, err, string(raw))
		return string(raw)
	}
	out := markdown(t, path)
	t.Logf("the Markdown for a pull request:\n%s", out)

	breaking := strings.Index(out, "### Breaking changes\n")
	removed := strings.Index(out, "- :warning: `POST /api/v1/auth/logout`: api path removed")
	additions := strings.Index(out, "### Additions and other changes\n")
	added := strings.Index(out, "- `GET /api/v1/users`: added the new optional `query` request parameter `active`")
	require.True(t, breaking >= 0 && removed >= 0 && additions >= 0 && added >= 0, out)
	require.True(t, breaking < removed && removed < additions && additions < added,
		"breaking changes come first, then additions:\n%s", out)
	require.Equal(t, 1, strings.Count(out, ":warning:"), "only the removal is breaking:\n%s", out)
	require.NotContains(t, out[breaking:additions], "/api/v1/users", "the addition is not listed as breaking")
	require.NotContains(t, out[additions:], "/api/v1/auth/logout", "the removal is not listed as an addition")

	t.Run("an unchanged spec says there is nothing", func(t *testing.T) {
		out := markdown(t, base)
		require.Equal(t, 2, strings.Count(out, "None."), out)
	})
}
