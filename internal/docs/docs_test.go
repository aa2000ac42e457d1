package docs_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestTheDocsPageListsEveryOperationInARealBrowser(t *testing.T) {
	env := apitest.New(t)
	doc, _, err := apitest.Spec()
	require.NoError(t, err)
	var paths []string
	for path := range doc.Paths.Map() {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	wanted, err := json.Marshal(paths)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := startBrowser(t)
	b.navigate(t, ctx, env.URL+"/docs")

	// Redoc fetches /openapi.json and renders it after the page has loaded, the
	// sections further down only as a reader scrolls to them; scroll down and wait (up
	// to the deadline) until every path is on the page, then check it piece by piece so
	// that a failure names what is missing.
	waitCtx, stopWaiting := context.WithTimeout(ctx, 90*time.Second)
	defer stopWaiting()
	rendered, waitErr := b.waitUntil(waitCtx, `(() => { window.scrollBy(0, 2000); const html = document.documentElement.outerHTML;
		return `+string(wanted)+`.every(p => html.includes(p)); })()`)
	var title, dom string
	b.eval(t, ctx, `document.querySelector("h1") ? document.querySelector("h1").textContent : ""`, &title)
	b.eval(t, ctx, `document.documentElement.outerHTML`, &dom)
	require.Contains(t, title, doc.Info.Title, "the page rendered the spec's title (every path shown: %v, last check: %v); the page logged:\n%s",
		rendered, waitErr, b.log())
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			require.Contains(t, dom, path, "the page lists %s %s; the page logged:\n%s", method, path, b.log())
		}
	}

	// A screenshot for people to look at, kept out of the repository.
	png := b.screenshot(t, ctx)
	require.Greater(t, len(png), 10_000, "the screenshot shows a rendered page")
	shot := filepath.Join(os.TempDir(), "shopfloor-docs.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
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
