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

// runCheck runs api-check.sh with the committed spec as the base and newSpec as the
// change.
func runCheck(t *testing.T, newSpec string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	require.NoError(t, os.WriteFile(path, []byte(newSpec), 0o644))
	base, err := filepath.Abs("../openapi.yaml")
	require.NoError(t, err)
	out, err := exec.Command("./api-check.sh", base, path).CombinedOutput()
	return string(out), err
}

func TestTheBreakingChangeGuard(t *testing.T) {
	raw, err := os.ReadFile("../openapi.yaml")
	require.NoError(t, err)
	spec := string(raw)
	start := strings.Index(spec, "  /api/v1/auth/logout:")
	end := strings.Index(spec, "  /api/v1/auth/me:")
	require.True(t, start > 0 && end > start, "the spec still has logout followed by me")
	withoutLogout := spec[:start] + spec[end:]
	require.Contains(t, spec, "\n  version: 1.", "the guard test assumes a 1.x spec")

	t.Run("an unchanged spec passes", func(t *testing.T) {
		out, err := runCheck(t, spec)
		require.NoError(t, err, out)
		require.Contains(t, out, "no breaking change")
	})
	t.Run("an added optional query parameter passes", func(t *testing.T) {
		added := strings.Replace(spec, "        - name: role\n", "        - name: active\n          in: query\n          schema:\n            type: boolean\n        - name: role\n", 1)
		out, err := runCheck(t, added)
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
