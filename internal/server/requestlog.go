package server

import (
	"log/slog"

	"github.com/labstack/echo/v4"
	slogecho "github.com/samber/slog-echo"
)

// requestLine is the request logger: slog-echo writes one line per request with
// its method, path, route, client IP, status, latency and sizes, through log, which
// adds the request id, the user id and the trace ids from the request's context
// (logctx). What makes the line cheap is the handler under log: `serve` writes JSON
// with logjson, which encodes these fields without reflection
// (BenchmarkRequestLine compares it with slog.JSONHandler).
func requestLine(log *slog.Logger) echo.MiddlewareFunc {
	return slogecho.NewWithConfig(log, slogecho.Config{
		DefaultLevel:     slog.LevelInfo,
		ClientErrorLevel: slog.LevelInfo,
		ServerErrorLevel: slog.LevelError,
		// logctx adds requestId (and userId) from the request's context, which
		// slog-echo logs with; its own request id attribute is not needed.
		WithRequestID: false,
	})
}
