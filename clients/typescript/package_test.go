package typescript_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
)

// TestThePackageInstallsIntoAFreshProject packs @shopfloor/client as npm would
// publish it, installs the tarball into a new TypeScript project that knows nothing of
// this repository, and type-checks and runs the example program there, as a
// frontend's own code, against a live server.
func TestThePackageInstallsIntoAFreshProject(t *testing.T) {
	t.Parallel()
	built(t)
	packed := t.TempDir()
	// --ignore-scripts: the prepack build already ran (built), and rebuilding dist/ now
	// would pull it from under the tests running the example meanwhile.
	out := npm(t, "", nil, "pack", "--json", "--ignore-scripts", "--pack-destination", packed, "--loglevel=error")
	var pack []struct {
		Filename string `json:"filename"`
		Files    []struct {
			Path string `json:"path"`
		} `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &pack), "npm pack --json printed:\n%s", out)
	require.Len(t, pack, 1)
	var files []string
	for _, f := range pack[0].Files {
		files = append(files, f.Path)
	}
	for _, f := range []string{"package.json", "dist/index.js", "dist/index.d.ts", "dist/schema.d.ts", "dist/client.d.ts"} {
		require.Contains(t, files, f, "the tarball lacks %s", f)
	}
	for _, f := range files {
		require.NotRegexp(t, `^(src|example|test)/|\.go$`, f, "the tarball ships %s", f)
	}
	tarball := filepath.Join(packed, pack[0].Filename)

	project := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(project, name), []byte(content), 0o644))
	}
	write("package.json", `{"name": "fresh-shop", "private": true, "type": "module"}`)
	write("tsconfig.json", `{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "strict": true, "types": ["node"], "skipLibCheck": false, "outDir": "out"
  },
  "include": ["main.ts"]
}`)
	example, err := os.ReadFile("example/main.ts")
	require.NoError(t, err)
	write("main.ts", string(example))
	// TypeScript and Node's types come from the registry (or npm's cache); the
	// package and its dependency openapi-fetch from the tarball.
	npm(t, project, nil, "install", "--prefer-offline", "--loglevel=error", tarball, "typescript@5.9.3", "@types/node@20.19.8")
	npm(t, project, nil, "exec", "--", "tsc", "-p", ".")

	env := apitest.New(t)
	shopProduct(t, env, "TS-FRESH")
	run := npm(t, project, []string{"SHOPFLOOR_URL=" + env.ProxyURL()}, "exec", "--", "node", "out/main.js")
	require.Contains(t, run, `"ok":true`)
	require.Contains(t, run, `"product":"TS-FRESH"`)
}
