package docs_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// chromium runs headless Chromium on url with the given output flag, as the machine's
// probe does: no sandbox (root), no GPU, and none of the background traffic that a
// closed network refuses.
func chromium(t *testing.T, url string, output ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	require.NoError(t, err, "the docs-page test needs Chromium: apt-get install chromium (CI installs it)")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-quic", "--user-data-dir=" + t.TempDir(), "--virtual-time-budget=20000",
		"--window-size=1280,1400"}, output...)
	out, err := exec.CommandContext(ctx, bin, append(args, url)...).Output()
	require.NoError(t, err)
	return out
}

func TestTheDocsPageListsEveryOperationInARealBrowser(t *testing.T) {
	env := apitest.New(t)
	doc, _, err := apitest.Spec()
	require.NoError(t, err)

	dom := string(chromium(t, env.URL+"/docs", "--dump-dom"))
	require.Contains(t, dom, "Shopfloor API", "the page rendered the spec's title")
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			require.Contains(t, dom, path, "the page lists %s %s", method, path)
		}
	}

	// A screenshot for people to look at, kept out of the repository.
	shot := filepath.Join(os.TempDir(), "shopfloor-docs.png")
	chromium(t, env.URL+"/docs", "--screenshot="+shot)
	info, err := os.Stat(shot)
	require.NoError(t, err)
	require.Greater(t, info.Size(), int64(10_000), "the screenshot shows a rendered page")
	t.Logf("screenshot of /docs: %s", shot)
}

func TestTheDocsPageLoadsNothingFromElsewhere(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	res, body := env.Do("GET", "/docs", "", nil)
	require.Equal(t, 200, res.StatusCode)
	require.Contains(t, res.Header.Get("Content-Type"), "text/html")
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "default-src 'self'")
	require.NotContains(t, strings.ToLower(string(body)), "https://", "the page references no other host")
	res, body = env.Do("GET", "/docs/redoc.standalone.js", "", nil)
	require.Equal(t, 200, res.StatusCode)
	require.Greater(t, len(body), 1_000_000, "the Redoc bundle is served whole from the binary")
}
