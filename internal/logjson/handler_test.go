package logjson_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/logjson"
)

type token string

// LogValue hides a secret the way the service's types do.
func (token) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// logBoth logs the same calls through slog.JSONHandler and through logjson, at the
// same fixed time, and returns the two outputs.
func logBoth(t *testing.T, level slog.Level, do func(*slog.Logger)) (std, fast string) {
	t.Helper()
	var a, b bytes.Buffer
	opts := &slog.HandlerOptions{Level: level}
	do(slog.New(fixedTime{slog.NewJSONHandler(&a, opts)}))
	do(slog.New(fixedTime{logjson.New(&b, opts)}))
	return a.String(), b.String()
}

// fixedTime gives every record the same time, so the two outputs can be compared
// byte for byte.
type fixedTime struct{ slog.Handler }

var when = time.Date(2026, 12, 4, 1, 2, 3, 456789000, time.UTC)

func (f fixedTime) Handle(ctx context.Context, r slog.Record) error {
	r.Time = when
	return f.Handler.Handle(ctx, r)
}
func (f fixedTime) WithAttrs(as []slog.Attr) slog.Handler { return fixedTime{f.Handler.WithAttrs(as)} }
func (f fixedTime) WithGroup(n string) slog.Handler       { return fixedTime{f.Handler.WithGroup(n)} }

// Every kind of line the service writes comes out byte for byte as slog.JSONHandler
// writes it: the request line's groups, numbers, times and durations, the string
// map of route parameters, errors, hostile strings, LogValuers, empty attributes and
// groups, values encoding/json must encode, WithAttrs and WithGroup, and levels.
func TestLinesAreThoseOfSlogsJSONHandler(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		do   func(*slog.Logger)
	}{
		{"the request line", func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelInfo, "Incoming request",
				slog.Group("request",
					slog.Time("time", when.Add(-time.Millisecond)), slog.String("method", "GET"),
					slog.String("host", "127.0.0.1:8080"), slog.String("path", "/api/v1/products/2f1b6f8e"),
					slog.String("query", "a=1&b=<2>"), slog.Any("params", map[string]string{"id": "2f1b6f8e", "b": "x"}),
					slog.String("route", "/api/v1/products/:id"), slog.String("ip", "10.0.0.1"), slog.String("referer", ""),
					slog.Int("length", 0)),
				slog.Group("response", slog.Time("time", when), slog.Duration("latency", 1234567*time.Nanosecond),
					slog.Int("status", 200), slog.Int("length", 321)),
				slog.String("requestId", "r-1"), slog.String("userId", "u-1"))
		}},
		{"an error line", func(l *slog.Logger) {
			l.Error("request failed", "err", errors.New(`pq: "quoted" \ back`), "status", 500, "suppressed", int64(3))
		}},
		{"hostile strings", func(l *slog.Logger) {
			l.Warn("ctl\x00\x01\x1f\t\r\n", "k\"ey", "bad utf8 \xff\xfe", "sep", "a\u2028b\u2029c", "html", "<a href='x'>&</a>", "uni", "żółw 🐢")
		}},
		{"numbers and other kinds", func(l *slog.Logger) {
			l.Info("kinds", "u", uint64(18446744073709551615), "neg", -42, "f", 1.5, "tiny", 1e-9, "big", 1e21,
				"b", true, "nilany", nil, "slice", []int{1, 2}, "ip", net.IPv4(10, 0, 0, 1), "tok", token("secret"),
				"nilmap", map[string]string(nil), "strs", []string{"a", "b"})
		}},
		{"empty attributes and groups", func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelInfo, "empties", slog.Attr{}, slog.Group("none"),
				slog.Group("", slog.String("inlined", "yes")), slog.Group("g", slog.Group("inner")), slog.String("", "empty key"))
		}},
		{"WithAttrs", func(l *slog.Logger) {
			d := l.With("component", "figures", "every", time.Second)
			d.Info("folded", "rows", 12)
			d.With(slog.Group("g", "a", 1)).Info("again")
		}},
		{"WithGroup", func(l *slog.Logger) {
			l.With("a", 1).WithGroup("g").Info("grouped", "b", 2)
		}},
		{"levels below the handler's are dropped", func(l *slog.Logger) {
			l.Debug("hidden")
			l.Info("shown")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			std, fast := logBoth(t, slog.LevelInfo, tc.do)
			require.NotEmpty(t, std)
			require.Equal(t, std, fast)
		})
	}
}

// The pooled buffers never mix lines: a long line then a short one come out whole.
func TestPooledBuffersDoNotLeakBetweenLines(t *testing.T) {
	t.Parallel()
	std, fast := logBoth(t, slog.LevelDebug, func(l *slog.Logger) {
		long := string(bytes.Repeat([]byte("x"), 40<<10))
		for range 3 {
			l.Info("long", "v", long)
			l.Debug("short")
		}
	})
	require.Equal(t, std, fast)
}
