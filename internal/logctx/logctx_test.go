package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/logctx"
)

// A line logged with a request's context carries its request id and caller, also
// through With; a line without them carries neither; wrapping twice adds them once.
func TestWrapAddsTheRequestsIDs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logctx.Wrap(logctx.Wrap(slog.New(slog.NewJSONHandler(&buf, nil))))
	user := uuid.New()
	ctx := auth.WithCaller(apperr.WithRequestID(context.Background(), "req-1"), auth.Claims{UserID: user})

	log.With("component", "test").InfoContext(ctx, "order placed")
	log.InfoContext(context.Background(), "started")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &first))
	require.NoError(t, json.Unmarshal(lines[1], &second))
	require.Equal(t, "req-1", first["requestId"])
	require.Equal(t, user.String(), first["userId"])
	require.Equal(t, "test", first["component"])
	require.Equal(t, 1, bytes.Count(lines[0], []byte(`"requestId"`)), "wrapped twice, added once")
	require.NotContains(t, second, "requestId")
	require.NotContains(t, second, "userId")
}
