package apitest

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// LogLines decodes the server's JSON log lines so far, each as a map, so that a test
// checks attributes rather than substrings of the text.
func LogLines(t testing.TB, env *Env) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(env.Logs()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		lines = append(lines, line)
	}
	require.NoError(t, sc.Err())
	return lines
}

// RequireCleanLogs fails when the server logged a deadlock or answered a 5xx.
func RequireCleanLogs(t testing.TB, env *Env) {
	t.Helper()
	logs := env.Logs()
	require.NotContains(t, strings.ToLower(logs), "deadlock")
	require.NotContains(t, logs, `"status":500`)
	require.NotContains(t, logs, `"status":503`)
	require.NotContains(t, logs, "request failed")
}
