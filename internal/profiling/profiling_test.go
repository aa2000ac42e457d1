package profiling_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/profiling"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, []byte) {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + path)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, body
}

// The handler serves real profiles: the index lists them, and a heap profile and a
// one-second CPU profile are what `go tool pprof` reads (gzipped protocol buffers).
func TestHandlerServesProfiles(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(profiling.Handler())
	t.Cleanup(srv.Close)

	status, body := get(t, srv, "/debug/pprof/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), "goroutine")
	require.Contains(t, string(body), "heap")

	for _, path := range []string{"/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		status, body = get(t, srv, path)
		require.Equal(t, http.StatusOK, status, path)
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err, "%s is not a gzipped profile", path)
		raw, err := io.ReadAll(zr)
		require.NoError(t, err, path)
		require.NotEmpty(t, raw, path)
	}
	status, _ = get(t, srv, "/debug/pprof/cmdline")
	require.Equal(t, http.StatusOK, status)
}

// Nothing but the profiles: the API's and the operations' paths are not found here.
func TestHandlerServesNothingElse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(profiling.Handler())
	t.Cleanup(srv.Close)
	for _, path := range []string{"/", "/healthz", "/metrics", "/api/v1/products", "/debug/vars", "/debug/pprofile"} {
		status, _ := get(t, srv, path)
		require.Equal(t, http.StatusNotFound, status, path)
	}
}
