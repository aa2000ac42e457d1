package typescript_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
)

// TestTheExampleRunsAgainstTheMock starts `make mock`'s server (scripts/mock.sh:
// Stoplight Prism on openapi.yaml's examples) and runs the package's example program
// against it, as a frontend would before any backend exists. The example program also
// runs against the real server (TestTheTypeScriptClientAgreesWithTheSpecAndTheServer),
// so the one program holds for both.
func TestTheExampleRunsAgainstTheMock(t *testing.T) {
	t.Parallel()
	built(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	logs := &apitest.SyncBuffer{}
	mock := exec.Command("../../scripts/mock.sh")
	mock.Env = append(mock.Environ(), fmt.Sprintf("MOCK_PORT=%d", port), "NO_UPDATE_NOTIFIER=1")
	mock.Stdout, mock.Stderr = logs, logs
	mock.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, to stop npm and Prism alike
	require.NoError(t, mock.Start())
	done := make(chan struct{})
	go func() { _ = mock.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-mock.Process.Pid, syscall.SIGTERM)
		<-done
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
		require.NoError(t, err)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode, "the mock's /healthz:\n%s", logs)
			break
		}
		select {
		case <-done:
			t.Fatalf("the mock stopped before it served:\n%s", logs)
		case <-ctx.Done():
			t.Fatalf("the mock did not start serving:\n%s", logs)
		case <-time.After(250 * time.Millisecond):
		}
	}

	out := npm(t, "", []string{"SHOPFLOOR_URL=" + url}, "run", "--silent", "start")
	require.Contains(t, out, `"ok":true`)
	// The catalog's first product is the spec's example product: this ran on the mock.
	require.Contains(t, out, `"product":"WIDGET-42"`)
}
