package server

// Benchmarks of the per-request hot path, the in-process half of bench/run.sh
// (token verification has its own, BenchmarkVerifyToken in internal/auth):
//
//	go test -run '^$' -bench . -benchmem ./internal/server
//
// BenchmarkRequest* and BenchmarkGetProductVsBare need PostgreSQL. They get a
// database from pgtest, whose Main the external test package's TestMain
// (main_test.go) already calls: both packages are built into one test binary, and
// Go allows a single TestMain in it.

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/bench/bareref"
	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
	"github.com/shopfloor/shopfloor/internal/logjson"
	"github.com/shopfloor/shopfloor/internal/metrics"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

const benchSecret = "bench-secret-that-is-at-least-32-bytes-long"

// benchConfig is the production configuration the benchmark harness serves with.
func benchConfig(tb testing.TB, databaseURL string) config.Config {
	tb.Helper()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "APP_ENV":
			return config.EnvProduction
		case "JWT_SECRET":
			return benchSecret
		case "DATABASE_URL":
			return databaseURL
		case "RATE_LIMIT_GLOBAL":
			return "off"
		}
		return ""
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// benchServer is a Server with only what the middleware under test reads.
func benchServer(tb testing.TB) *Server {
	tb.Helper()
	_, ops, err := loadOperations(shopfloor.OpenAPIYAML)
	if err != nil {
		tb.Fatal(err)
	}
	return &Server{cfg: benchConfig(tb, ""), log: slog.New(slog.DiscardHandler), ops: ops,
		validation: newValidationOptions(), failures: newFailureLog(slog.New(slog.DiscardHandler))}
}

func benchProduct() api.Product {
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	return api.Product{
		Id: uuid.MustParse("2f1b6f8e-3c2a-4d7e-9a4b-8c1d2e3f4a5b"), Sku: "SKU-004211",
		Name: "Heavy-Duty Walnut Workbench Pro", Description: "A heavy-duty walnut workbench for workshops.",
		PriceCents: 24999, Stock: 1000000, CreatedAt: now, UpdatedAt: now,
	}
}

// BenchmarkEnvelopeProduct writes a product envelope as the generated strict handler
// does for GET /api/v1/products/{id}: encode, headers, body.
func BenchmarkEnvelopeProduct(b *testing.B) {
	tag := `"1"`
	resp := api.GetProduct200JSONResponse{
		Body:    api.ProductEnvelope{Success: api.True, Data: benchProduct()},
		Headers: api.GetProduct200ResponseHeaders{ETag: &tag},
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		if err := resp.VisitGetProductResponse(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnvelopeError writes a 404 error envelope through the one error handler.
func BenchmarkEnvelopeError(b *testing.B) {
	s := benchServer(b)
	e := echo.New()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/products/2f1b6f8e-3c2a-4d7e-9a4b-8c1d2e3f4a5b", nil)
	req = req.WithContext(apperr.WithRequestID(req.Context(), "bench-request-id"))
	notFound := apperr.NotFound("No product has this id")
	b.ReportAllocs()
	for b.Loop() {
		c := e.NewContext(req, httptest.NewRecorder())
		s.handleError(notFound, c)
	}
}

// BenchmarkValidateCreateOrder runs the spec validation of POST /api/v1/orders on a
// one-item body, as the load test's order-create scenario sends it.
func BenchmarkValidateCreateOrder(b *testing.B) {
	s := benchServer(b)
	e := echo.New()
	body := []byte(`{"items":[{"productId":"2f1b6f8e-3c2a-4d7e-9a4b-8c1d2e3f4a5b","quantity":1}]}`)
	validate := s.validateRequest(func(echo.Context) error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/orders", bytes.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		c.SetPath("/api/v1/orders")
		if err := validate(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateGetProduct runs the spec validation of GET /api/v1/products/{id}:
// a plain request (see operation.plainRequest), which kin-openapi is not asked about.
func BenchmarkValidateGetProduct(b *testing.B) {
	s := benchServer(b)
	e := echo.New()
	id := "2f1b6f8e-3c2a-4d7e-9a4b-8c1d2e3f4a5b"
	req := httptest.NewRequest(http.MethodGet, "/api/v1/products/"+id, nil)
	validate := s.validateRequest(func(echo.Context) error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		c := e.NewContext(req, httptest.NewRecorder())
		c.SetPath("/api/v1/products/:id")
		c.SetParamNames("id")
		c.SetParamValues(id)
		if err := validate(c); err != nil {
			b.Fatal(err)
		}
	}
}

// benchHandler is the whole server on a fresh database holding one product, with the
// request log written as JSON and thrown away, as bench/run.sh serves it.
func benchHandler(b *testing.B) (h http.Handler, path string, databaseURL string) {
	b.Helper()
	databaseURL = pgtest.NewDB(b)
	cfg := benchConfig(b, databaseURL)
	ctx := context.Background()
	log := slog.New(logjson.New(io.Discard, nil))
	m := metrics.New()
	pool, err := database.Open(ctx, cfg, database.Options{Log: log, ObserveQuery: m.ObserveQuery})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	srv, err := New(cfg, pool, log, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	p, err := db.New(pool).ProductCreate(ctx, db.ProductCreateParams{
		Sku: "SKU-000001", Name: "Heavy-Duty Walnut Workbench", Description: "A bench.", PriceCents: 24999, Stock: 100,
	})
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), "/api/v1/products/" + p.ID.String(), databaseURL
}

// serveOnce serves one GET, with a context that can be cancelled as net/http's
// is (pgx watches such a context for the length of a query, and not one that cannot).
func serveOnce(b *testing.B, h http.Handler, path string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
}

// BenchmarkRequestGetProduct is one whole GET /api/v1/products/{id} through
// srv.Handler(): every middleware, validation, the query on a real database, the
// envelope, the request log. Only the network is missing.
func BenchmarkRequestGetProduct(b *testing.B) {
	h, path, _ := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, h, path)
	}
}

// BenchmarkRequestGetProductParallel is the same request from GOMAXPROCS goroutines
// at once, so that contention in the middleware or the pool shows.
func BenchmarkRequestGetProductParallel(b *testing.B) {
	h, path, _ := benchHandler(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, h, path)
		}
	})
}

// BenchmarkGetProductVsBare serves GET /api/v1/products/{id} from the whole server
// and from bench/bareref (net/http and pgx alone) on the same database, in process,
// from 8×GOMAXPROCS goroutines, alternating: each "shopfloor" round is followed by a
// "bare" one. cpu-ns/op is the CPU the process (every thread, the garbage collector's
// too, not PostgreSQL) spent per request, which the neighbours disturb far less than
// wall time; the difference between the two is what the server's middleware,
// validation, logging and metrics cost per request, the figure `make bench`'s paired
// ratio measures through the network.
func BenchmarkGetProductVsBare(b *testing.B) {
	h, path, databaseURL := benchHandler(b)
	pool, err := bareref.NewPool(context.Background(), databaseURL, benchConfig(b, databaseURL).DBMaxConns)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	bare := bareref.Handler(db.New(pool))
	for _, target := range []struct {
		name string
		h    http.Handler
	}{{"shopfloor", h}, {"bare", bare}} {
		b.Run(target.name, func(b *testing.B) {
			serveOnce(b, target.h, path)
			b.ReportAllocs()
			b.SetParallelism(8)
			start := cpuNanos()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serveOnce(b, target.h, path)
				}
			})
			reportCPU(b, start)
		})
	}
}
