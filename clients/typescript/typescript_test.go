// Package typescript_test proves the spec from a TypeScript frontend's side: the
// committed types match what openapi-typescript generates from openapi.yaml, the
// example program type-checks with tsc, and it runs against a live server whose every
// response is checked against the spec.
package typescript_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func npm(t *testing.T, env []string, args ...string) string {
	t.Helper()
	_, err := exec.LookPath("npm")
	require.NoError(t, err, "npm is needed for the TypeScript client test: install Node.js 20+ and npm (Debian: apt-get install nodejs npm)")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", append(args, "--no-audit", "--no-fund")...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func TestTheTypeScriptClientAgreesWithTheSpecAndTheServer(t *testing.T) {
	npm(t, nil, "ci", "--loglevel=error")

	// The committed types are exactly what the spec generates.
	fresh := filepath.Join(t.TempDir(), "schema.d.ts")
	npm(t, nil, "exec", "--", "openapi-typescript", "../../openapi.yaml", "-o", fresh)
	want, err := os.ReadFile(fresh)
	require.NoError(t, err)
	have, err := os.ReadFile("src/schema.d.ts")
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, have),
		"clients/typescript/src/schema.d.ts is stale: run `npm run generate` in clients/typescript and commit it")

	npm(t, nil, "run", "typecheck")
	npm(t, nil, "run", "build")

	env := apitest.New(t)
	_, err = db.New(env.Pool).ProductCreate(context.Background(), db.ProductCreateParams{
		Sku: "TS-WIDGET", Name: "TypeScript widget", Description: "", PriceCents: 1234, Stock: 10,
	})
	require.NoError(t, err)
	out := npm(t, []string{"SHOPFLOOR_URL=" + env.ProxyURL()}, "run", "--silent", "start")
	require.Contains(t, out, `"ok":true`)
	require.Contains(t, out, `"product":"TS-WIDGET"`)
}
