// Package typescript_test proves the spec from a TypeScript frontend's side: the
// committed types match what openapi-typescript generates from openapi.yaml, the
// package @shopfloor/client and its example program type-check with tsc, the example
// runs against a live server whose every response is checked against the spec, the
// packed tarball installs into a fresh project, the package's own tests pass against
// the server, and the example runs against the mock that `make mock` serves.
package typescript_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// runNPM runs npm in dir (the package's own when empty) with extra environment.
func runNPM(dir string, env []string, args ...string) (string, error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("npm is needed for the TypeScript client tests: install Node.js 20+ and npm (Debian: apt-get install nodejs npm)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// npm's own flags go first: after "exec --" everything belongs to the command run.
	cmd := exec.CommandContext(ctx, "npm", append([]string{"--no-audit", "--no-fund"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_UPDATE_NOTIFIER=1")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("npm %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func npm(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := runNPM(dir, env, args...)
	require.NoError(t, err)
	return out
}

var (
	buildOnce sync.Once
	buildErr  error
)

// built installs the package's pinned dependencies and builds the package (dist/) and
// its example (example/dist/), once for all the tests of this binary. The tests run in
// parallel after it (each on its own server), so none of them may rebuild dist/.
func built(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() {
		for _, args := range [][]string{{"ci", "--loglevel=error"}, {"run", "--silent", "build"}, {"run", "--silent", "build:example"}} {
			if _, buildErr = runNPM("", nil, args...); buildErr != nil {
				return
			}
		}
	})
	require.NoError(t, buildErr)
}

// shopProduct puts a product in stock in the test server's database.
func shopProduct(t *testing.T, env *apitest.Env, sku string) db.Product {
	t.Helper()
	p, err := db.New(env.Pool).ProductCreate(context.Background(), db.ProductCreateParams{
		Sku: sku, Name: "TypeScript " + strings.ToLower(sku), Description: "", PriceCents: 1234, Stock: 10,
	})
	require.NoError(t, err)
	return p
}

func TestTheTypeScriptClientAgreesWithTheSpecAndTheServer(t *testing.T) {
	t.Parallel()
	built(t) // the build type-checks the package and the example

	// The committed types are exactly what the spec generates.
	fresh := filepath.Join(t.TempDir(), "schema.d.ts")
	npm(t, "", nil, "exec", "--", "openapi-typescript", "../../openapi.yaml", "-o", fresh)
	want, err := os.ReadFile(fresh)
	require.NoError(t, err)
	have, err := os.ReadFile("src/schema.d.ts")
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, have),
		"clients/typescript/src/schema.d.ts is stale: run `npm run generate` in clients/typescript and commit it")

	env := apitest.New(t)
	shopProduct(t, env, "TS-WIDGET")
	out := npm(t, "", []string{"SHOPFLOOR_URL=" + env.ProxyURL()}, "run", "--silent", "start")
	require.Contains(t, out, `"ok":true`)
	require.Contains(t, out, `"product":"TS-WIDGET"`)
}
