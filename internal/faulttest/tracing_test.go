package faulttest_test

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace endpoint that keeps the span names it is sent,
// by trace id.
type otlpReceiver struct {
	mu    sync.Mutex
	spans map[string][]string // trace id (hex) → span names
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil || req.URL.Path != "/v1/traces" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var msg coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range msg.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				id := hex.EncodeToString(s.TraceId)
				r.spans[id] = append(r.spans[id], s.Name)
			}
		}
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (r *otlpReceiver) trace(id string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.spans[id]...)
}

// testTracing runs the binary with only the standard variables pointing at an OTLP
// receiver: a request sent with a traceparent arrives there as its server span and
// its statement's span in the caller's trace, and the request line carries that
// trace id.
func testTracing(t *testing.T, bin string) {
	recv := &otlpReceiver{spans: map[string][]string{}}
	collector := httptest.NewServer(recv)
	t.Cleanup(collector.Close)
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	env := serveEnv(t, addr)
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.URL
	env["OTEL_TRACES_SAMPLER"] = "always_on"
	env["OTEL_BSP_SCHEDULE_DELAY"] = "100" // milliseconds: export soon after the request
	p := startShopfloor(t, bin, env, "serve")
	c := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + addr
	waitHealthy(t, p, c, base)

	const traceID = "0af7651916cd43dd8448eb211c80319c"
	r := send(t, c, http.MethodGet, base+"/api/v1/products/"+uuid.NewString(), nil, "traceparent", "00-"+traceID+"-b7ad6b7169203331-01")
	require.Equal(t, http.StatusNotFound, r.status, string(r.body))
	eventually(t, 20*time.Second, 50*time.Millisecond, "the request's spans reach the collector", func() bool {
		names := recv.trace(traceID)
		return len(names) >= 2
	})
	names := recv.trace(traceID)
	require.Contains(t, names, "GET /api/v1/products/{id}")
	require.Contains(t, names, "ProductGet", "the statement's span: %v", names)
	eventually(t, 10*time.Second, 50*time.Millisecond, "the request line carries the trace id", func() bool {
		return strings.Contains(p.out.String(), `"traceId":"`+traceID+`"`)
	})
}
