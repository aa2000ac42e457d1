// Package metrics holds the Prometheus collectors Shopfloor exposes at /metrics:
// requests by route and status, latency, requests in flight, the connection pool,
// query durations by sqlc query name, and rate-limit rejections.
package metrics

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one set of collectors on its own registry, so that tests can run
// several servers in one process without their figures mixing.
type Metrics struct {
	Registry    *prometheus.Registry
	Requests    *prometheus.CounterVec
	Latency     *prometheus.HistogramVec
	InFlight    prometheus.Gauge
	Queries     *prometheus.HistogramVec
	RateLimited *prometheus.CounterVec
}

// New makes the collectors, with the Go runtime and process collectors beside them.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopfloor_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopfloor_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shopfloor_http_requests_in_flight",
			Help: "HTTP requests being answered right now.",
		}),
		Queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopfloor_db_query_duration_seconds",
			Help:    "Time a SQL statement took, by sqlc query name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"query"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopfloor_rate_limited_total",
			Help: "Requests refused with 429, by the limit they exceeded.",
		}, []string{"limit"}),
	}
	m.Registry.MustRegister(m.Requests, m.Latency, m.InFlight, m.Queries, m.RateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveQuery records a statement's duration under its sqlc query name; it is the
// database pool's observer.
func (m *Metrics) ObserveQuery(name string, d time.Duration) {
	m.Queries.WithLabelValues(name).Observe(d.Seconds())
}

// PoolStats is what the pool gauges read; internal/database's Pool provides it.
type PoolStats interface {
	Stat() *pgxpool.Stat
	// Waiting is the number of requests waiting for a connection right now.
	Waiting() int64
}

// WatchPool exposes the pool's gauges: connections in total, idle, acquired, and
// requests waiting for one.
func (m *Metrics) WatchPool(pool PoolStats) {
	m.Registry.MustRegister(poolCollector{pool: pool})
}

var (
	poolTotal    = prometheus.NewDesc("shopfloor_db_pool_connections", "Connections open in the pool.", nil, nil)
	poolIdle     = prometheus.NewDesc("shopfloor_db_pool_idle_connections", "Open connections not in use.", nil, nil)
	poolAcquired = prometheus.NewDesc("shopfloor_db_pool_acquired_connections", "Connections in use by a request.", nil, nil)
	poolWaiting  = prometheus.NewDesc("shopfloor_db_pool_waiting_requests", "Requests waiting for a connection.", nil, nil)
	poolMax      = prometheus.NewDesc("shopfloor_db_pool_max_connections", "The pool's bound (DB_MAX_CONNS).", nil, nil)
	poolWaits    = prometheus.NewDesc("shopfloor_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", nil, nil)
)

type poolCollector struct{ pool PoolStats }

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolTotal, poolIdle, poolAcquired, poolWaiting, poolMax, poolWaits} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolWaiting, prometheus.GaugeValue, float64(c.pool.Waiting()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
}
