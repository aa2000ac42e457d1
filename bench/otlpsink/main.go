// Command otlpsink is the benchmark's trace collector: an OTLP/HTTP endpoint that
// accepts every export and throws it away, so that a run with tracing on pays what
// the server pays to trace (spans, batching, encoding, sending) and nothing for a
// collector's work. It counts what it was sent and prints the counts when stopped.
//
//	go run ./bench/otlpsink --addr 127.0.0.1:4318
//	SERVER_ENV="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_TRACES_SAMPLER=always_on" make bench
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4318", "listen address (OTLP/HTTP's port is 4318)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var exports, bytes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		exports.Add(1)
		bytes.Add(n)
		// An empty ExportTraceServiceResponse: everything accepted.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("bench/otlpsink listening on %s", *addr)
	select {
	case err := <-errc:
		log.Fatal("bench/otlpsink: ", err)
	case <-ctx.Done():
	}
	_ = srv.Close()
	log.Printf("bench/otlpsink: %d exports, %d bytes", exports.Load(), bytes.Load())
}
