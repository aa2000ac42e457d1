// Package logjson is a slog.Handler that writes the same JSON lines as
// slog.JSONHandler, but builds each line by appending to a pooled buffer, without
// the reflection and maps slog's handler goes through for every attribute. The
// request line (one per request, a dozen attributes in two groups) was a tenth of a
// GET's CPU through slog.JSONHandler; BenchmarkRequestLine in internal/server
// measures the difference.
//
// The kinds the service logs (strings, numbers, times, durations, groups, errors,
// string maps such as a route's parameters) take the fast path; any other value is
// encoded by encoding/json, as slog.JSONHandler does. A logger derived with
// WithGroup, which the service does not use, is handed to slog.JSONHandler whole.
package logjson

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Handler writes one JSON object per record, one Write per line. It is safe for
// concurrent use; handlers derived with WithAttrs share its writer's lock.
type Handler struct {
	mu    *sync.Mutex
	w     io.Writer
	opts  slog.HandlerOptions
	pre   []byte      // WithAttrs' attributes, rendered, each with its leading comma
	attrs []slog.Attr // the same, for a WithGroup handler
}

// New returns a handler writing to w at opts.Level (info when opts or its Level is
// nil). ReplaceAttr and AddSource are not supported: the service sets neither.
func New(w io.Writer, opts *slog.HandlerOptions) *Handler {
	h := &Handler{mu: &sync.Mutex{}, w: w}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

// Enabled reports whether level is at or above the handler's.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.opts.Level != nil {
		min = h.opts.Level.Level()
	}
	return level >= min
}

// linePool holds line buffers; lines longer than maxPooled are not kept.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooled = 16 << 10

// Handle writes r as `{"time":…,"level":…,"msg":…,…}` and a newline.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	bp := linePool.Get().(*[]byte)
	buf := append((*bp)[:0], '{')
	if !r.Time.IsZero() {
		buf = append(buf, `"time":"`...)
		buf = r.Time.AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, `",`...)
	}
	buf = append(buf, `"level":`...)
	buf = appendString(buf, r.Level.String())
	buf = append(buf, `,"msg":`...)
	buf = appendString(buf, r.Message)
	buf = append(buf, h.pre...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, a)
		return true
	})
	buf = append(buf, '}', '\n')
	h.mu.Lock()
	_, err := h.w.Write(buf)
	h.mu.Unlock()
	if cap(buf) <= maxPooled {
		*bp = buf
		linePool.Put(bp)
	}
	return err
}

// WithAttrs renders attrs once, so that every line of the derived logger copies
// them instead of encoding them again.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	d := *h
	// A non-'{' byte in front makes appendAttr begin every attribute with a comma.
	pre := append([]byte{','}, h.pre...)
	for _, a := range attrs {
		pre = appendAttr(pre, a)
	}
	d.pre = pre[1:]
	d.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &d
}

// WithGroup hands the logger to slog.JSONHandler (on the same writer and lock):
// nothing in the service logs in groups, and slog's handler knows every rule of
// them.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	std := slog.NewJSONHandler(lockedWriter{h.mu, h.w}, &h.opts)
	return std.WithAttrs(h.attrs).WithGroup(name)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
